"""The kernel's own pages: home, login, password, background jobs. Every app's pages are in its own ``urls.py``,
listed in the project's ``ngoso/urls.py``."""

from django.contrib.auth import views as auth_views
from django.urls import path

from ngoso.accounts import views as accounts

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("schedule/", views.schedule_page, name="schedule"),
    path("jobs/<str:token>/", views.job_detail, name="job"),
    path("jobs/<str:token>/status.json", views.job_status, name="job_status"),
    path("jobs/<str:token>/download/", views.job_download, name="job_download"),
]
