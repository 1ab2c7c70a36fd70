"""Lessons: every version of every variant kept; self-check attempts."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ngoso.accounts.permissions import FIELD, PROVINCE


class LessonVersion(models.Model):
    """One version of one lesson variant (skill × language × audience). Never edited: an edit adds a version.

    The current text of a variant is its highest ``number``."""

    WRITE_ROLES = {"create": PROVINCE, "change": PROVINCE}  # not personal data: no area, no SCOPE_PATH

    class Source(models.TextChoices):
        PACKAGE = "package", _("Shipped with Ngõ Số")
        EDIT = "edit", _("Edited in the web interface")
        IMPORT = "import", _("Imported translation")

    skill_code = models.SlugField(max_length=60)
    language = models.CharField(max_length=12)
    audience = models.CharField(max_length=12)
    number = models.PositiveIntegerField()
    content = models.JSONField()
    source = models.CharField(max_length=8, choices=Source.choices)
    package_version = models.PositiveIntegerField(null=True, blank=True,
                                                  help_text="the data file's version when source is package")
    based_on = models.PositiveIntegerField(null=True, blank=True,
                                           help_text="for translations: the Vietnamese version translated")
    note = models.CharField(max_length=300, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["skill_code", "language", "audience", "-number"]
        constraints = [models.UniqueConstraint(fields=["skill_code", "language", "audience", "number"],
                                               name="lesson_version_unique")]
        indexes = [models.Index(fields=["language", "audience", "skill_code", "number"])]
        verbose_name = _("lesson version")

    def __str__(self) -> str:
        return f"{self.skill_code}/{self.language}/{self.audience} v{self.number}"


class SelfCheck(models.Model):
    """A resident's answers to a lesson's self-check: by the resident alone (personal link on a handout) or
    with a member. A pass records a skill event (``skill_record``) when it raises the resident's level."""

    SCOPE_PATH = "resident__household__village__path"
    WRITE_ROLES = {"create": FIELD}

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, related_name="self_checks")
    skill_code = models.SlugField(max_length=60)
    language = models.CharField(max_length=12)
    audience = models.CharField(max_length=12)
    lesson_version = models.PositiveIntegerField()
    answers = models.JSONField()
    correct = models.PositiveSmallIntegerField()
    questions = models.PositiveSmallIntegerField()
    assisted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    did_it_alone = models.BooleanField(default=False, help_text="a member saw the resident do the steps alone")
    via_link = models.ForeignKey("HandoutLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="checks")
    # db_constraint=False: skill records are partitioned on PostgreSQL (core/partitions, decision 0020)
    skill_record = models.OneToOneField("visits.SkillRecord", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="self_check", db_constraint=False)
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_at"]
        verbose_name = _("self-check")

    @property
    def passed(self) -> bool:
        return self.correct == self.questions


class HandoutLink(models.Model):
    """The personal code in a handout's QR: opaque (nothing about the resident can be read from it), for one
    resident and one lesson, a few self-check attempts, until it expires."""

    SCOPE_PATH = "resident__household__village__path"
    WRITE_ROLES = {"create": FIELD}

    token = models.CharField(max_length=24, unique=True)
    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, related_name="handout_links")
    skill_code = models.SlugField(max_length=60)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_on = models.DateField()
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["resident", "skill_code", "expires_on"])]
        verbose_name = _("handout link")
