from django.contrib import admin

from ngoso.accounts.admin_scope import ScopedAdmin

from .models import Assignment, PriorityFactor, SkillRecord, Visit


@admin.register(PriorityFactor)
class PriorityFactorAdmin(admin.ModelAdmin):
    list_display = ["code", "weight", "label_vi", "active", "order"]
    list_editable = ["weight", "active"]


@admin.register(Assignment)
class AssignmentAdmin(ScopedAdmin):
    list_display = ["household", "member", "started_on", "ended_on"]
    raw_id_fields = ["household", "member"]


class ReadOnly(ScopedAdmin):
    """Visits and skill records are append-only: the admin shows them, never edits them."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Visit)
class VisitAdmin(ReadOnly):
    list_display = ["household", "visited_on", "member", "source", "recorded_at"]
    date_hierarchy = "visited_on"


@admin.register(SkillRecord)
class SkillRecordAdmin(ReadOnly):
    list_display = ["resident", "skill", "level", "observed_on", "source"]
