"""Users bound to a place, their roles, and the audit log of personal data."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from ngoso.core.messages import Message


class Role(models.TextChoices):
    PROVINCE_ADMIN = "province_admin", _("Province administrator")
    COMMUNE_STAFF = "commune_staff", _("Commune staff")
    RADIO_OPERATOR = "radio_operator", _("Radio operator")
    TEAM_LEADER = "team_leader", _("Team leader")
    MEMBER = "member", _("Team member")
    VIEWER = "viewer", _("Viewer")


# What each role may do beyond reading its area. Read access is always limited to the user's subtree.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.PROVINCE_ADMIN: {"edit_people", "import", "export", "manage_teams", "manage_users", "erase", "admin",
                           "edit_lessons"},
    Role.COMMUNE_STAFF: {"edit_people", "import", "export", "manage_teams", "erase"},
    Role.RADIO_OPERATOR: {"radio"},
    Role.TEAM_LEADER: {"edit_people", "manage_teams", "visit"},
    Role.MEMBER: {"edit_people", "visit"},
    Role.VIEWER: set(),
}
# Smart radio: operators write and schedule bulletins; commune staff and the province also approve them.
ROLE_PERMISSIONS[Role.RADIO_OPERATOR] |= {"radio"}
ROLE_PERMISSIONS[Role.COMMUNE_STAFF] |= {"radio", "radio_approve"}
ROLE_PERMISSIONS[Role.PROVINCE_ADMIN] |= {"radio", "radio_approve"}
# Every role sees the dashboard of its own area (no resident named): "dashboard" is what its PDF job needs
# (``core.jobs.may_open``), the area being checked besides.
for _perms in ROLE_PERMISSIONS.values():
    _perms.add("dashboard")

# What each capability lets a person do, as a refusal names it ("Your role (Viewer) may not import data."):
# the 403 page says these words, never the code.
CAPABILITY_LABELS = {
    "edit_people": _("edit households and residents"), "import": _("import data"), "export": _("export data"),
    "manage_teams": _("manage teams"), "manage_users": _("manage user accounts"),
    "erase": _("erase personal data"), "admin": _("open the administration"), "edit_lessons": _("edit lessons"),
    "radio": _("use the radio"), "radio_approve": _("approve radio bulletins"), "visit": _("record visits"),
    "dashboard": _("see the dashboard"),
}


# Which roles a user of each role may give (make a user of, or set the password of): the province any, commune
# staff the roles of their commune below their own. ``User.write_refusal`` applies it.
GRANTS: dict[str, frozenset[str]] = {
    Role.PROVINCE_ADMIN: frozenset(Role.values),
    Role.COMMUNE_STAFF: frozenset({Role.RADIO_OPERATOR, Role.TEAM_LEADER, Role.MEMBER, Role.VIEWER}),
}


class User(AbstractUser):
    SCOPE_PATH = "place__path"
    # Who may make a user ("create") and set another user's password ("change"; everyone changes their own on
    # /password/): staff, inside their area, of a role they may give (``GRANTS``, ``write_refusal``).
    WRITE_ROLES = {"create": frozenset({Role.PROVINCE_ADMIN, Role.COMMUNE_STAFF}),
                   "change": frozenset({Role.PROVINCE_ADMIN, Role.COMMUNE_STAFF})}

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VIEWER)
    place = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="users",
        verbose_name=_("area"), help_text=_("The user sees only this place and what lies under it."),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")

    def write_refusal(self, user, action: str):
        """Beyond role and area (``accounts.permissions.can``): only a role ``user`` may give (``GRANTS``), and
        an administrator's account only by an administrator."""
        if user.is_superuser:
            return None
        if self.is_superuser or self.role not in GRANTS.get(user.role, ()):
            if action == "create":
                return Message(_("Your role (%(role)s) may not make a user with the role %(given)s."),
                               role=Role(user.role).label, given=self._role_label())
            return Message(_("Your role (%(role)s) may not set the password of %(username)s (%(given)s)."),
                           role=Role(user.role).label, username=self.username, given=self._role_label())
        return None

    def _role_label(self):
        return Role(self.role).label if self.role in Role.values else self.role

    def can(self, permission: str) -> bool:
        if self.is_superuser:
            return True
        return permission in ROLE_PERMISSIONS.get(self.role, set())

    def sees_schedule(self) -> bool:
        """The periodic tasks' page (/schedule/) and its menu entry: province staff, or a superuser of no area."""
        return self.role == Role.PROVINCE_ADMIN or (self.is_superuser and self.place_id is None)


class AuditEntry(models.Model):
    """Who did what to which personal record, and what changed (old -> new). Append-only."""

    SCOPE_PATH = "place_path"

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        IMPORT = "import", _("Imported")
        EXPORT = "export", _("Exported")
        ERASE = "erase", _("Erased on request")
        VIEW_EXPORT = "subject_export", _("Data exported for the person")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.CharField(max_length=150, blank=True, help_text="Username or 'system:…' at the time.")
    action = models.CharField(max_length=20, choices=Action.choices)
    model = models.CharField(max_length=60)
    object_pk = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    place_path = models.CharField(max_length=255, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.model} {self.object_pk}"
