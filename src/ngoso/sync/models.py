"""Devices of the field app and the conflicts their edits caused."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ngoso.accounts.models import Role
from ngoso.accounts.permissions import STAFF


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# A user has at most this many active device tokens; issuing one more revokes the one seen least recently.
MAX_ACTIVE_DEVICES = 5


class DeviceToken(models.Model):
    """A member's phone. The token is shown once; only its hash is kept. The leader can revoke it.

    ``device_key`` is the browser's own random id (the ``ngoso_device`` cookie, sync/api.py): a phone asking
    again for a token gets its row back with a new token (the old one stops working) instead of a new row."""

    SCOPE_PATH = "user__place__path"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(_("device"), max_length=80)
    device_key = models.CharField(max_length=64, blank=True, db_index=True)
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
    def issue(cls, user, name: str, device_key: str = "") -> tuple["DeviceToken", str]:
        """A new token for ``user``'s device. The same device (``device_key``) keeps its one row, with a new
        token; beyond MAX_ACTIVE_DEVICES active tokens the least recently seen ones are revoked."""
        from django.db import transaction
        from django.db.models.functions import Coalesce

        token = secrets.token_urlsafe(32)
        name, device_key = (name or "")[:80] or "?", (device_key or "")[:64]
        with transaction.atomic():
            dev = None
            if device_key:
                dev = (cls.objects.select_for_update().filter(user=user, device_key=device_key, revoked_at=None)
                       .order_by("-created_at").first())
            if dev is not None:
                dev.token_hash, dev.name = hash_token(token), name
                dev.save(update_fields=["token_hash", "name"])
            else:
                dev = cls.objects.create(user=user, name=name, device_key=device_key, token_hash=hash_token(token))
            extra = list(cls.objects.filter(user=user, revoked_at=None).exclude(pk=dev.pk)
                         .order_by(Coalesce("last_seen_at", "created_at").desc(), "-pk")[MAX_ACTIVE_DEVICES - 1:])
            for old in extra:
                old.revoke(user)
        return dev, token

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def revoke(self, by) -> None:
        self.revoked_at, self.revoked_by = timezone.now(), by
        self.save(update_fields=["revoked_at", "revoked_by"])


class SyncConflict(models.Model):
    """An edit made offline to a field that changed on the server since the phone's pull: the server's value
    stays (``theirs``), the phone's (``mine``, ``value`` as stored) waits here, never written silently, until a
    team leader or commune staff picks one (``sync.services.resolve_conflict``, audited). Rows from before
    issue 19 (the later value won) read as resolved ``mine``."""

    SCOPE_PATH = "place_path"
    WRITE_ROLES = {"change": STAFF | {Role.TEAM_LEADER}}

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        MINE = "mine", _("The phone's value kept")
        THEIRS = "theirs", _("The server's value kept")

    place_path = models.CharField(max_length=255, db_index=True)
    model = models.CharField(max_length=40)
    object_code = models.CharField(max_length=60)
    # named relations (not "+"), so that a merge moves them with the record (people.merge finds rows through
    # the models' relations) and an erasure takes them with the person
    household = models.ForeignKey("people.Household", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="sync_conflicts")
    resident = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="sync_conflicts")
    edit_uuid = models.UUIDField(null=True, blank=True, db_index=True)
    field = models.CharField(max_length=40)
    base = models.TextField(blank=True)      # what the phone had (its ``from``), if it held the field
    theirs = models.TextField(blank=True)    # the server's value when the edit arrived
    mine = models.TextField(blank=True)      # the phone's value
    value = models.JSONField(null=True, blank=True)  # the phone's value as stored, written if chosen
    device = models.ForeignKey(DeviceToken, null=True, on_delete=models.SET_NULL, related_name="+")
    edited_by = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    seen = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]


class AppliedEdit(models.Model):
    """The UUID of every edit applied from a device, so that a batch sent again changes nothing twice."""

    uuid = models.UUIDField(unique=True)
    device = models.ForeignKey(DeviceToken, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
