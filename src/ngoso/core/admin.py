from django.contrib import admin

from ngoso.accounts.admin_scope import ScopedAdmin

from .models import Job


@admin.register(Job)
class JobAdmin(ScopedAdmin):
    """Read-only: staff see why a job failed (``error_detail``: the traceback the user is never shown)."""

    list_display = ("kind", "status", "created_by", "place_path", "created_at", "finished_at", "expires_at")
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in Job._meta.fields if f.name != "token"]
    exclude = ("token",)  # the address of the file: not shown even to staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)
