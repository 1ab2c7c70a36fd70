from django.contrib.auth import views as auth_views
from django.urls import include, path

from ngoso.accounts import views as accounts
from ngoso.lessons import views as lessons
from ngoso.people import views as people
from ngoso.places import views as places
from ngoso.poverty import views as poverty
from ngoso.sync import views as sync
from ngoso.visits import views as visits

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("places/<str:code>/", places.place_detail, name="place"),
    path("places/<str:code>/export/", people.export_place, name="export_place"),
    path("households/<str:code>/", people.household_detail, name="household"),
    path("residents/<uuid:uuid>/", people.resident_detail, name="resident"),
    path("residents/<uuid:uuid>/data.json", people.resident_data, name="resident_data"),
    path("residents/<uuid:uuid>/erase/", people.resident_erase, name="resident_erase"),
    path("search/", people.search, name="search"),
    path("import/", people.import_page, name="import"),
    path("import/template.xlsx", people.import_template, name="import_template"),
    path("app/", sync.field_app, name="field_app"),
    path("app/sw.js", sync.service_worker, name="app_sw"),
    path("app/manifest.webmanifest", sync.manifest, name="app_manifest"),
    path("devices/<int:pk>/revoke/", sync.revoke_device, name="revoke_device"),
    path("today/", visits.today, name="today"),
    path("visit/<str:code>/", visits.visit_form, name="visit"),
    path("skill-records/<int:pk>/correct/", visits.correct_skill, name="correct_skill"),
    path("teams/", visits.my_team, name="my_team"),
    path("teams/<int:pk>/", visits.team_page, name="team"),
    path("teams/<int:pk>/assign/", visits.assign_page, name="assign"),
    path("", include("ngoso.insights.urls")),
    path("places/<str:code>/access/", poverty.access_page, name="access"),
    path("places/<str:code>/access.xlsx", poverty.access_xlsx, name="access_xlsx"),
    path("places/<str:code>/poverty/", poverty.poverty_page, name="poverty"),
    path("places/<str:code>/poverty.xlsx", poverty.poverty_xlsx, name="poverty_xlsx"),
    path("import/<slug:kind>/", poverty.import_page, name="import_kind"),
    path("lessons/", lessons.library, name="lessons"),
    path("lessons/translations/", lessons.translations, name="lesson_translations"),
    path("lessons/translations/template.xlsx", lessons.translation_template, name="lesson_translation_template"),
    path("lessons/print/", lessons.tomorrow, name="lesson_batch"),
    path("lessons/<slug:skill>/", lessons.lesson, name="lesson"),
    path("lessons/<slug:skill>/audio/<slug:audience>/<slug:part>.ogg", lessons.audio, name="lesson_audio"),
    path("lessons/<slug:skill>/handout.pdf", lessons.handout, name="lesson_handout"),
    path("lessons/<slug:skill>/check/", lessons.check, name="lesson_check"),
    path("lessons/<slug:skill>/edit/", lessons.edit, name="lesson_edit"),
    path("lessons/<slug:skill>/history/", lessons.history, name="lesson_history"),
    path("lessons/<slug:skill>/restore/<int:pk>/", lessons.restore, name="lesson_restore"),
    path("jobs/<str:token>/", views.job_detail, name="job"),
    path("jobs/<str:token>/status.json", views.job_status, name="job_status"),
    path("jobs/<str:token>/download/", views.job_download, name="job_download"),
    path("", include("ngoso.livelihoods.urls")),
    path("radio/", include("ngoso.radio.urls")),
]
