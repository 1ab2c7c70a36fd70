from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .admin_scope import ScopedAdmin
from .models import AuditEntry, User
from ngoso.places.models import subtree_range


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "role", "place", "is_active"]
    list_filter = ["role", "is_active"]
    raw_id_fields = ["place"]
    fieldsets = BaseUserAdmin.fieldsets + (("Ngõ Số", {"fields": ["role", "place", "phone"]}),)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.place_id is None:
            return qs if request.user.is_superuser else qs.none()
        low, high = subtree_range(request.user.place.path)
        return qs.filter(place__path__gte=low, place__path__lt=high)


@admin.register(AuditEntry)
class AuditEntryAdmin(ScopedAdmin):
    list_display = ["at", "actor", "action", "model", "object_pk", "object_repr"]
    list_filter = ["action", "model"]
    search_fields = ["object_pk", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
