from django.urls import path

from . import views

urlpatterns = [
    path("today/", views.today, name="today"),
    path("visit/<str:code>/", views.visit_form, name="visit"),
    path("skill-records/<int:pk>/correct/", views.correct_skill, name="correct_skill"),
    path("teams/", views.my_team, name="my_team"),
    path("teams/<int:pk>/", views.team_page, name="team"),
    path("teams/<int:pk>/assign/", views.assign_page, name="assign"),
]
