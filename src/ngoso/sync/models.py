"""Devices of the field app and the conflicts their edits caused."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class DeviceToken(models.Model):
    """A member's phone. The token is shown once; only its hash is kept. The leader can revoke it."""

    SCOPE_PATH = "user__place__path"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(_("device"), max_length=80)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("device")

    def __str__(self) -> str:
        return f"{self.user} · {self.name}"

    @classmethod
    def issue(cls, user, name: str) -> tuple["DeviceToken", str]:
        token = secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name[:80] or "?", token_hash=hash_token(token)), token

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def revoke(self, by) -> None:
        self.revoked_at, self.revoked_by = timezone.now(), by
        self.save(update_fields=["revoked_at", "revoked_by"])


class SyncConflict(models.Model):
    """Two devices changed the same field: the value received later won; the other is kept here (and in
    the audit log) for the leader to look at."""

    SCOPE_PATH = "place_path"

    place_path = models.CharField(max_length=255, db_index=True)
    model = models.CharField(max_length=40)
    object_code = models.CharField(max_length=60)
    field = models.CharField(max_length=40)
    overwritten = models.TextField(blank=True)
    kept = models.TextField(blank=True)
    device = models.ForeignKey(DeviceToken, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    seen = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at"]


class AppliedEdit(models.Model):
    """The UUID of every edit applied from a device, so that a batch sent again changes nothing twice."""

    uuid = models.UUIDField(unique=True)
    device = models.ForeignKey(DeviceToken, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
