from django import forms
from django.contrib import admin

from ngoso.core.clean import CleanFormMixin

from .scope import scoped


class CleanModelForm(CleanFormMixin, forms.ModelForm):
    """Admin forms refuse control characters like every other door (ngoso.core.clean)."""


class ScopedAdmin(admin.ModelAdmin):
    """Admin pages go through the same scoping function as every other view, and clean their input."""

    form = CleanModelForm

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)
