"""The menu by role: what each kind of user finds first."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def menu_for(user):
    items = [(_("Home"), reverse("home"))]
    if user.can("visit"):
        items.append((_("Today"), reverse("today")))
        items.append((_("Field app"), reverse("field_app")))
    if user.place_id:
        items.append((_("My area"), reverse("place", args=[user.place.code])))
        items.append((_("Dashboard"), reverse("dashboard", args=[user.place.code])))
    if user.can("manage_teams"):
        items.append((_("Team"), reverse("my_team")))
    items.append((_("Lessons"), reverse("lessons")))
    if user.can("radio"):
        items.append((_("Radio"), reverse("radio")))
    items.append((_("Search"), reverse("search")))
    items.append((_("Livelihoods"), reverse("livelihoods:producers")))
    if user.can("import"):
        items.append((_("Import"), reverse("import")))
    if user.can("manage_teams"):  # the roles that review and merge duplicates (people.Resident "merge")
        items.append((_("Duplicates"), reverse("duplicates")))
        items.append((_("Offline edits"), reverse("sync_conflicts")))
        items.append((_("Moving in"), reverse("move_requests")))
    if user.sees_schedule():
        items.append((_("Schedule"), reverse("schedule")))
    if user.can("admin") or user.is_superuser:
        items.append((_("Administration"), reverse("admin:index")))
    return items
