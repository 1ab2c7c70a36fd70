from django.urls import path

from . import views

urlpatterns = [
    path("today/", views.today, name="today"),
    path("visit/<str:code>/", views.visit_form, name="visit"),
    path("skill-records/<int:pk>/correct/", views.correct_skill, name="correct_skill"),
]
