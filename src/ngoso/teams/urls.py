from django.urls import path

from . import views

urlpatterns = [
    path("teams/", views.my_team, name="my_team"),
    path("teams/<int:pk>/", views.team_page, name="team"),
    path("teams/<int:pk>/assign/", views.assign_page, name="assign"),
    path("teams/<int:pk>/followups/", views.team_followups, name="team_followups"),
]
