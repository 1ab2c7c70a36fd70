"""Background jobs (imports, exports, reports): progress that a page or the CLI can follow."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    """The job's address in URLs: 192 random bits, never the sequential id."""
    return secrets.token_urlsafe(24)


class Job(models.Model):
    SCOPE_PATH = "place_path"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, help_text="What the user is told (Vietnamese / English).")
    said = models.JSONField(
        default=dict, blank=True,
        help_text="The message and the error in each language, for the pages: {'message': {'vi': …, 'en': …}}.")
    error_detail = models.TextField(blank=True, help_text="The traceback, for staff in the admin only.")
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True,
                                      help_text="The file is deleted at this time (exports).")
    file = models.CharField(max_length=300, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    place_path = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="How many times a worker has taken it.")
    lease_until = models.DateTimeField(
        null=True, blank=True, db_index=True,
        help_text="Running: the worker's claim ends then unless renewed. Queued: not before then (a retry).")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("background job")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.status}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("job", kwargs={"token": self.token})

    @property
    def expired(self) -> bool:
        from django.utils import timezone

        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.status == "done" else 0)

    def text(self, field: str, lang: str | None = None) -> str:
        """The job's ``message`` or ``error`` in ``lang`` (None: the active language) as ``said`` holds it; the
        stored column as it is when it was written as plain text (a place's name, a row from before ``said``)."""
        from django.utils.translation import get_language

        lang = (lang or get_language() or "vi")[:2]
        return ((self.said or {}).get(field) or {}).get(lang) or getattr(self, field)

    @property
    def message_text(self) -> str:
        return self.text("message")

    @property
    def error_text(self) -> str:
        return self.text("error")


class TaskRun(models.Model):
    """One run of a periodic task (``core.jobs.periodic``): unique per task and minute, so that two
    schedulers (two workers) never run the same slot twice; the schedule page shows the last one."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    name = models.CharField(max_length=60)
    slot = models.DateTimeField(help_text="The minute the schedule fired for.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="taskrun_once_per_slot")]
        indexes = [models.Index(fields=["name", "-slot"])]
        verbose_name = _("scheduled task run")

    def __str__(self) -> str:
        return f"{self.name} {self.slot:%Y-%m-%d %H:%M} {self.status}"
