from django import forms
from django.contrib import admin

from ngoso.accounts.admin_scope import CleanModelForm, ScopedAdmin

from .models import Consent, Ethnicity, Household, Resident
from .phones import PhoneError, normalize_phone


class PhoneForm(CleanModelForm):
    """The admin cleans its input and takes a phone number only as every other path does (``people.phones``)."""

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data.get("phone", ""))
        except PhoneError as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(Ethnicity)
class EthnicityAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en", "is_minority"]


class ResidentInline(admin.TabularInline):
    model = Resident
    form = PhoneForm
    fields = ["full_name", "sex", "birth_year", "ethnicity", "phone", "disability", "relation"]
    extra = 0


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    form = PhoneForm
    list_display = ["code", "village", "alley", "house_number", "poverty_status"]
    search_fields = ["code", "phone_digits"]
    raw_id_fields = ["village"]
    inlines = [ResidentInline]


@admin.register(Resident)
class ResidentAdmin(ScopedAdmin):
    form = PhoneForm
    list_display = ["full_name", "birth_year", "sex", "household"]
    search_fields = ["search_name", "phone_digits"]
    raw_id_fields = ["household"]


@admin.register(Consent)
class ConsentAdmin(ScopedAdmin):
    list_display = ["resident", "given", "method", "recorded_at"]
    raw_id_fields = ["resident"]
