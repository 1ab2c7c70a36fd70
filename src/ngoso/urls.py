from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy
from django.views.generic import RedirectView

from ngoso.api.v1 import api

admin.site.site_header = gettext_lazy("Ngõ Số — administration")
admin.site.site_title = "Ngõ Số"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # browsers ask for /favicon.ico on pages without an icon link (the field app, public and printed pages):
    # a 404 there is a console error on every such page
    path("favicon.ico", RedirectView.as_view(url=static("ngoso/icon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("duplicates/", include("ngoso.people.review_urls")),
    path("", include("ngoso.core.urls")),
    # every app's pages, from its own urls.py (the URL names are global: {% url 'dashboard' … %})
    path("", include("ngoso.places.urls")),
    path("", include("ngoso.people.urls")),
    path("", include("ngoso.sync.urls")),
    path("", include("ngoso.teams.urls")),
    path("", include("ngoso.visits.urls")),
    path("", include("ngoso.insights.urls")),
    path("", include("ngoso.poverty.urls")),
    path("", include("ngoso.lessons.urls")),
    path("", include("ngoso.livelihoods.urls")),
    path("radio/", include("ngoso.radio.urls")),
]

handler403 = "ngoso.core.errors.permission_denied"
handler404 = "ngoso.core.errors.page_not_found"
handler500 = "ngoso.core.errors.server_error"
