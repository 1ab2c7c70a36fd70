"""Door to door: who is responsible for which household, visits and the skills seen at them.

Visits and skill records are append-only and carry a UUID made where they were recorded (the phone,
for offline sync): sending one twice stores it once. A resident's current level per skill is derived
from the records (``ResidentSkill``); a correction is a new record that supersedes an earlier one,
never an edit in place. ``HouseholdStatus`` is derived too, kept up to date by ``ngoso.visits.services``
and ``ngoso.visits.status``; the figures of places are ``ngoso.insights``'.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ngoso.accounts.permissions import FIELD, TEAM_MANAGERS
from ngoso.skills.models import Level


class PriorityFactor(models.Model):
    """One reason a household needs help, with its weight. Data (``data/priority.json``, admin), not code."""

    code = models.SlugField(max_length=40, unique=True)
    weight = models.FloatField(_("weight"))
    label_vi = models.CharField(max_length=200, help_text="{n} = số ngày / tháng… nếu có")
    label_en = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("priority factor")

    def __str__(self) -> str:
        return f"{self.code} ({self.weight:g})"


class Assignment(models.Model):
    """A member is responsible for a household from ``started_on`` until ``ended_on``."""

    SCOPE_PATH = "household__village__path"
    WRITE_ROLES = {"create": TEAM_MANAGERS, "change": TEAM_MANAGERS}

    household = models.ForeignKey("people.Household", on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey("teams.Member", on_delete=models.CASCADE, related_name="assignments")
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    changed_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["household", "-started_on"]
        verbose_name = _("assignment")
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=models.Q(ended_on__isnull=True),
                                    name="assignment_one_current_per_household"),
        ]
        indexes = [models.Index(fields=["member", "ended_on"])]

    def __str__(self) -> str:
        return f"{self.household} → {self.member}"


class Visit(models.Model):
    SCOPE_PATH = "household__village__path"
    WRITE_ROLES = {"create": FIELD, "change": FIELD}

    class Source(models.TextChoices):
        WEB = "web", _("Web form")
        SYNC = "sync", _("Field app (sync)")
        IMPORT = "import", _("Import")
        DEMO = "demo", _("Demo data")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey("people.Household", on_delete=models.CASCADE, related_name="visits")
    member = models.ForeignKey("teams.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    visited_on = models.DateField(_("visit date"))
    recorded_at = models.DateTimeField(_("received"), auto_now_add=True)
    client_recorded_at = models.DateTimeField(null=True, blank=True)
    present = models.ManyToManyField("people.Resident", blank=True, related_name="visits_present")
    note = models.TextField(_("note"), blank=True)
    next_visit_on = models.DateField(_("next visit"), null=True, blank=True)
    # db_constraint=False: no foreign key may point into a partitioned table on PostgreSQL (core/partitions);
    # Django's deletion collector keeps on_delete on both databases.
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="corrections",
                                 db_constraint=False,
                                 help_text="A correction of an earlier visit's note or next date.")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)

    class Meta:
        ordering = ["-visited_on", "-recorded_at"]
        verbose_name = _("visit")
        indexes = [models.Index(fields=["household", "visited_on"]), models.Index(fields=["member", "visited_on"]),
                   models.Index(fields=["visited_on"])]

    def __str__(self) -> str:
        return f"{self.household} {self.visited_on}"


class SkillRecord(models.Model):
    """What a resident showed for one skill on one day. Append-only; corrections supersede."""

    SCOPE_PATH = "resident__household__village__path"
    WRITE_ROLES = {"create": FIELD, "change": FIELD}

    class Source(models.TextChoices):
        VISIT = "visit", _("Visit")
        CORRECTION = "correction", _("Correction")
        SELF_CHECK = "self_check", _("Self-check")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, related_name="skill_records")
    skill = models.ForeignKey("skills.Skill", on_delete=models.PROTECT, related_name="records")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    # db_constraint=False on the two fields pointing into partitioned tables (core/partitions, decision 0020)
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.CASCADE, related_name="skill_records",
                              db_constraint=False)
    member = models.ForeignKey("teams.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    observed_on = models.DateField(_("date"))
    recorded_at = models.DateTimeField(auto_now_add=True)
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="superseded_by", db_constraint=False)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.VISIT)

    class Meta:
        ordering = ["-observed_on", "-recorded_at", "-id"]
        verbose_name = _("skill record")
        indexes = [models.Index(fields=["resident", "skill", "observed_on"])]

    def __str__(self) -> str:
        return f"{self.resident_id}:{self.skill_id}={self.level}"


class ResidentSkill(models.Model):
    """Derived: a resident's current level per skill (the latest record not superseded)."""

    SCOPE_PATH = "resident__household__village__path"

    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, related_name="skill_levels")
    skill = models.ForeignKey("skills.Skill", on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    observed_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resident", "skill"], name="resident_skill_unique")]


class HouseholdStatus(models.Model):
    """Derived per household: last visit, next visit due, whether someone has all 5 basic skills."""

    SCOPE_PATH = "household__village__path"

    household = models.OneToOneField("people.Household", on_delete=models.CASCADE, related_name="status",
                                     primary_key=True)
    last_visit_on = models.DateField(null=True, blank=True)
    next_visit_on = models.DateField(null=True, blank=True, db_index=True)
    visits = models.PositiveIntegerField(default=0)
    basic5 = models.BooleanField(default=False)
