from django.contrib import admin

from ngoso.accounts.admin_scope import ScopedAdmin

from .models import Place, PlaceSuccession, PlaceType


@admin.register(PlaceType)
class PlaceTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en", "level", "urban"]


@admin.register(Place)
class PlaceAdmin(ScopedAdmin):
    list_display = ["code", "name", "level", "valid_from", "valid_to"]
    list_filter = ["level", "type"]
    search_fields = ["code", "name", "search_name"]
    raw_id_fields = ["parent", "former_parent"]
    readonly_fields = ["path", "former_path", "level"]


@admin.register(PlaceSuccession)
class PlaceSuccessionAdmin(admin.ModelAdmin):
    list_display = ["predecessor", "successor", "date", "kind", "partly"]
    raw_id_fields = ["predecessor", "successor"]
