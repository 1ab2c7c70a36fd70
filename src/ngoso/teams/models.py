"""Community digital technology teams (tổ công nghệ số cộng đồng), members and membership history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ngoso.accounts.permissions import TEAM_MANAGERS
from ngoso.core.text import fold, phone_digits


class TeamLevel(models.TextChoices):
    COMMUNE = "commune", _("Commune-level team")
    VILLAGE = "village", _("Village-level team")


class Team(models.Model):
    SCOPE_PATH = "place__path"
    WRITE_ROLES = {"create": TEAM_MANAGERS, "change": TEAM_MANAGERS}

    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="teams",
                              verbose_name=_("place"))
    level = models.CharField(_("level"), max_length=10, choices=TeamLevel.choices)
    name = models.CharField(_("name"), max_length=160)
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["place__path"]
        verbose_name = _("team")
        constraints = [
            # At most one team of each level per place: one village team per village, one commune team per commune.
            models.UniqueConstraint(fields=["place", "level"], name="team_one_per_place_level"),
        ]

    def __str__(self) -> str:
        return self.name

    def current_memberships(self):
        return self.memberships.filter(ended_on__isnull=True).select_related("member")


class Member(models.Model):
    """A volunteer. Where they serve now is ``place`` (their current team's place)."""

    SCOPE_PATH = "place__path"
    WRITE_ROLES = {"create": TEAM_MANAGERS, "change": TEAM_MANAGERS}

    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="members",
                              verbose_name=_("place"))
    full_name = models.CharField(_("full name"), max_length=120)
    search_name = models.CharField(max_length=120, db_index=True, editable=False)
    sex = models.CharField(_("sex"), max_length=6, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone_digits = models.CharField(max_length=20, blank=True, db_index=True, editable=False)
    organisation = models.CharField(_("organisation"), max_length=120, blank=True,
                                    help_text=_("Youth Union, Women's Union, village head, …"))
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="member")

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("member")

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.search_name = fold(self.full_name)
        self.phone_digits = phone_digits(self.phone)
        super().save(*args, **kwargs)


class Membership(models.Model):
    """A member's time in a team with a role; history is kept by closing (``ended_on``), never deleting."""

    SCOPE_PATH = "team__place__path"
    WRITE_ROLES = {"create": TEAM_MANAGERS, "change": TEAM_MANAGERS}

    class Role(models.TextChoices):
        LEADER = "leader", _("Leader")
        DEPUTY = "deputy", _("Deputy leader")
        MEMBER = "member", _("Member")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        ordering = ["team", "role", "started_on"]
        constraints = [
            models.UniqueConstraint(fields=["member", "team"], condition=models.Q(ended_on__isnull=True),
                                    name="membership_one_open_per_team"),
            models.CheckConstraint(condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                                   name="membership_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.member} – {self.team} ({self.get_role_display()})"
