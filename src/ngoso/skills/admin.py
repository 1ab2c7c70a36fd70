from django.contrib import admin

from .models import Area, Catalogue, Skill


@admin.register(Catalogue)
class CatalogueAdmin(admin.ModelAdmin):
    list_display = ["version", "title_vi", "valid_from", "is_current"]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en", "catalogue", "order"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "area", "basic5", "province_focus", "catalogue"]
    list_filter = ["catalogue", "area", "basic5", "province_focus"]
    search_fields = ["code", "name_vi", "name_en"]
    filter_horizontal = ["prerequisites"]
