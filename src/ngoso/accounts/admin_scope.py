from django.contrib import admin

from .scope import scoped


class ScopedAdmin(admin.ModelAdmin):
    """Admin pages go through the same scoping function as every other view."""

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)
