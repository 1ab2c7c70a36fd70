from django import forms
from django.contrib import admin

from ngoso.core.clean import CleanFormMixin

from . import permissions
from .scope import scoped


class CleanModelForm(CleanFormMixin, forms.ModelForm):
    """Admin forms refuse control characters like every other door (ngoso.core.clean)."""


class ScopedAdmin(admin.ModelAdmin):
    """Admin pages go through the same scoping function as every other view, clean their input, and write
    only where the model's ``WRITE_ROLES`` allow (``accounts.permissions.can``), on top of Django's model
    permissions."""

    form = CleanModelForm

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def _declared(self) -> bool:
        return hasattr(self.model, "WRITE_ROLES")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (
            not self._declared() or permissions.can(request.user, "create", self.model))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            not self._declared() or permissions.can(request.user, "change", obj if obj is not None else self.model))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            not self._declared() or permissions.can(request.user, "delete", obj if obj is not None else self.model))
