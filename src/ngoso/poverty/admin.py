from django.contrib import admin

from ngoso.accounts.admin_scope import ScopedAdmin

from .models import AccessSite, PovertyReview, VillageSurvey


@admin.register(AccessSite)
class AccessSiteAdmin(ScopedAdmin):
    list_display = ["code", "kind", "village", "operator", "technology", "status"]
    list_filter = ["kind", "technology", "status"]
    raw_id_fields = ["village"]


@admin.register(VillageSurvey)
class VillageSurveyAdmin(ScopedAdmin):
    list_display = ["village", "mobile", "surveyed_on"]
    raw_id_fields = ["village"]


@admin.register(PovertyReview)
class PovertyReviewAdmin(ScopedAdmin):
    list_display = ["household", "year", "status", "income", "standard"]
    list_filter = ["year", "status"]
    raw_id_fields = ["household"]
