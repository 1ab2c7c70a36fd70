from django.contrib import admin

from ngoso.accounts.admin_scope import ScopedAdmin

from .models import Member, Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    raw_id_fields = ["member"]
    extra = 0


@admin.register(Team)
class TeamAdmin(ScopedAdmin):
    list_display = ["name", "level", "place", "active"]
    list_filter = ["level", "active"]
    raw_id_fields = ["place"]
    inlines = [MembershipInline]


@admin.register(Member)
class MemberAdmin(ScopedAdmin):
    list_display = ["full_name", "phone", "organisation", "place"]
    search_fields = ["search_name", "phone_digits"]
    raw_id_fields = ["place", "user"]
