from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from ngoso.core.messages import reason

from . import permissions
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

    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Ngõ Số", {"fields": ["role", "place"]}),)

    # Making users and setting their passwords follow the one rule (``User.WRITE_ROLES``, ``write_refusal``), on
    # top of Django's model permissions, as ``ngoso createuser`` and ``accounts.services`` do: the pages offer
    # only what the rule allows, and a form giving a role or an area the user may not give says why.
    def has_add_permission(self, request):
        return super().has_add_permission(request) and permissions.can(request.user, "create", User)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            permissions.can(request.user, "change", obj if obj is not None else User))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        action = "create" if obj is None else "change"

        class Checked(form):
            def _post_clean(self):
                super()._post_clean()  # self.instance now has the role and the area the form gives
                if not self.errors:
                    try:
                        permissions.require(request.user, action, self.instance)
                    except PermissionDenied as exc:
                        self.add_error(None, reason(exc))

        return Checked

    def save_model(self, request, obj, form, change):
        permissions.require(request.user, "change" if change else "create", obj)  # the form checked it already
        super().save_model(request, obj, form, change)


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
