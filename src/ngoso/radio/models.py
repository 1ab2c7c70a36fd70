"""Smart radio: clusters of loudspeakers, bulletins, programmes, emergencies, play logs and alerts.

Priorities follow Circular 39/2020/TT-BTTTT: normal (the commune schedules it), priority (played first
in the programme), emergency (interrupts and plays at once). See ``schedule.py`` for the rules.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ngoso.accounts import permissions
from ngoso.accounts.permissions import RADIO, STAFF
from ngoso.core.messages import Message


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Category(models.TextChoices):
    POLICY = "policy", _("Policy")
    LESSON = "lesson", _("Digital skills lesson")
    AGRICULTURE = "agriculture", _("Agriculture")
    HEALTH = "health", _("Health")
    STORY = "story", _("Success story")
    EMERGENCY = "emergency", _("Emergency")


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    PRIORITY = "priority", pgettext_lazy("bulletin priority", "Priority")
    EMERGENCY = "emergency", _("Emergency")


PRIORITY_RANK = {Priority.NORMAL: 0, Priority.PRIORITY: 1, Priority.EMERGENCY: 2}


class Connection(models.TextChoices):
    INTERNET = "internet", _("Wired internet")
    G4 = "4g", "4G"
    G3 = "3g", "3G"
    WIFI = "wifi", "Wi-Fi"


class SpeakerCluster(models.Model):
    """A loudspeaker cluster (cụm loa) with its controller box; it talks to the server with its own token."""

    SCOPE_PATH = "place__path"
    WRITE_ROLES = {"create": RADIO, "change": RADIO}  # register; revoke its token, switch it on or off

    code = models.CharField(_("device id"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="speaker_clusters",
                              verbose_name=_("place"))
    address = models.CharField(_("location"), max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    connection = models.CharField(_("connection"), max_length=10, choices=Connection.choices, default=Connection.G4)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    amplifier = models.CharField(_("amplifier"), max_length=120, blank=True)
    speakers = models.CharField(_("speakers"), max_length=120, blank=True)
    active = models.BooleanField(_("active"), default=True)
    heartbeat_interval = models.PositiveIntegerField(default=30)
    created_at = models.DateTimeField(auto_now_add=True)

    # device credentials: a one-time registration code, then a token; only hashes are kept
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    token_issued_at = models.DateTimeField(null=True, blank=True)
    token_revoked_at = models.DateTimeField(null=True, blank=True)
    registration_hash = models.CharField(max_length=64, blank=True, db_index=True)
    registration_expires = models.DateTimeField(null=True, blank=True)

    # live status, written by heartbeats with .update() (no audit entry per heartbeat)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    volume = models.PositiveSmallIntegerField(null=True, blank=True)
    now_playing = models.CharField(max_length=200, blank=True)
    faults = models.JSONField(default=list, blank=True)
    cached_until = models.DateTimeField(null=True, blank=True)
    client_version = models.CharField(max_length=40, blank=True)
    pending_logs = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveIntegerField(default=0)  # the last push command the cluster reported it received

    class Meta:
        ordering = ["place__path", "code"]
        verbose_name = _("speaker cluster")

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def online(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(self.last_seen_at and (now - self.last_seen_at).total_seconds() <= 3 * self.heartbeat_interval)

    def issue_registration_code(self, days: int = 7) -> str:
        code = "-".join(secrets.token_hex(2).upper() for _ in range(3))
        self.registration_hash = hash_token(code)
        self.registration_expires = timezone.now() + timezone.timedelta(days=days)
        self.save(update_fields=["registration_hash", "registration_expires"])
        return code

    def issue_token(self) -> str:
        token = "spk_" + secrets.token_urlsafe(32)
        self.token_hash, self.token_issued_at, self.token_revoked_at = hash_token(token), timezone.now(), None
        self.registration_hash, self.registration_expires = "", None
        self.save(update_fields=["token_hash", "token_issued_at", "token_revoked_at", "registration_hash",
                                 "registration_expires"])
        return token

    def revoke_token(self) -> None:
        self.token_hash, self.token_revoked_at = "", timezone.now()
        self.save(update_fields=["token_hash", "token_revoked_at"])


class Bulletin(models.Model):
    """A bulletin (bản tin): text read by the speech engine, or uploaded audio; approved before broadcast."""

    SCOPE_PATH = "place__path"
    # "archive": operators archive drafts and refused bulletins; one on the air (approved, or in an active
    # programme) only those who "approve", as approving it was theirs (``write_refusal``)
    WRITE_ROLES = {"create": RADIO, "change": RADIO, "approve": STAFF, "archive": RADIO}

    class Status(models.TextChoices):
        DRAFT = "draft", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ARCHIVED = "archived", _("Archived")

    class Audio(models.TextChoices):
        NONE = "none", _("No audio yet")
        RENDERING = "rendering", _("Being read aloud")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="bulletins")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    source = models.CharField(_("source"), max_length=120, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies")
    voice = models.CharField(max_length=10, default="north")
    audio_path = models.CharField(max_length=255, blank=True)  # relative to settings.DATA_DIR
    audio_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    audio_duration = models.FloatField(default=0)
    audio_status = models.CharField(max_length=10, choices=Audio.choices, default=Audio.NONE)
    audio_uploaded = models.BooleanField(default=False)
    audio_error = models.TextField(blank=True)
    spoken_text = models.TextField(blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bulletin")

    def __str__(self) -> str:
        return self.title

    @property
    def ready(self) -> bool:
        return self.status == self.Status.APPROVED and self.audio_status == self.Audio.READY

    def write_refusal(self, user, action: str):
        """Beyond role and area (``accounts.permissions.can``): a bulletin on the air is archived only by those
        who may approve it."""
        if action == "archive" and not permissions.has_role(user, Bulletin, "approve") and (
                self.status == self.Status.APPROVED or self.programmes.filter(active=True).exists()):
            return Message(_("only commune staff may archive an approved bulletin"))
        return None


class Programme(models.Model):
    """A bulletin (or a relay of a live stream) at fixed times, repeated on chosen weekdays, for target areas."""

    SCOPE_PATH = "place__path"
    WRITE_ROLES = {"create": RADIO, "change": RADIO}

    title = models.CharField(_("title"), max_length=200)
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="radio_programmes")
    bulletin = models.ForeignKey(Bulletin, null=True, blank=True, on_delete=models.PROTECT, related_name="programmes")
    stream_url = models.URLField(_("live stream URL"), blank=True)
    stream_minutes = models.PositiveIntegerField(default=0)
    times = models.JSONField(default=list)  # ["06:00", "17:00"] local time
    weekdays = models.JSONField(default=list, blank=True)  # 0 = Monday … 6; empty = every day
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    targets = models.ManyToManyField("places.Place", related_name="+")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_date", "pk"]
        verbose_name = _("programme")

    def __str__(self) -> str:
        return self.title

    @property
    def priority(self) -> str:
        return self.bulletin.priority if self.bulletin_id else Priority.NORMAL


class Emergency(models.Model):
    """An emergency broadcast: interrupts whatever plays on every targeted cluster, at once."""

    SCOPE_PATH = "place__path"
    WRITE_ROLES = {"create": RADIO, "change": RADIO}

    bulletin = models.ForeignKey(Bulletin, on_delete=models.PROTECT, related_name="emergencies")
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    targets = models.ManyToManyField("places.Place", related_name="+")
    target_paths = models.JSONField(default=list)
    repeat = models.PositiveSmallIntegerField(default=2)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("emergency")

    @property
    def item_key(self) -> str:
        return f"e{self.pk}"


class Command(models.Model):
    """The push sequence: what the long-poll server hands to waiting clusters (emergency, stop, refresh,
    withdraw: drop a bulletin from the programme and the audio cache now)."""

    class Kind(models.TextChoices):
        EMERGENCY = "emergency"
        STOP = "stop"
        REFRESH = "refresh"
        WITHDRAW = "withdraw"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    emergency = models.ForeignKey(Emergency, null=True, blank=True, on_delete=models.CASCADE)
    target_paths = models.JSONField(default=list)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)


class PlayLog(models.Model):
    """A playback confirmation from a cluster; idempotent by the client's UUID."""

    SCOPE_PATH = "cluster__place__path"

    class Status(models.TextChoices):
        PLAYED = "played", _("Played")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")
        INTERRUPTED = "interrupted", _("Interrupted")

    uuid = models.UUIDField(unique=True, default=uuid.uuid4)
    cluster = models.ForeignKey(SpeakerCluster, on_delete=models.CASCADE, related_name="plays")
    item_key = models.CharField(max_length=80)
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.SET_NULL, related_name="plays")
    bulletin = models.ForeignKey(Bulletin, null=True, blank=True, on_delete=models.SET_NULL, related_name="plays")
    emergency = models.ForeignKey(Emergency, null=True, blank=True, on_delete=models.SET_NULL, related_name="plays")
    category = models.CharField(max_length=20, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(default=0)
    late_seconds = models.IntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices)
    reason = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-scheduled_at"]
        indexes = [models.Index(fields=["cluster", "item_key"]), models.Index(fields=["scheduled_at"])]


class ClusterDay(models.Model):
    """Seconds a cluster was online on a day (from heartbeats), for uptime reports."""

    cluster = models.ForeignKey(SpeakerCluster, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    online_seconds = models.PositiveIntegerField(default=0)
    heartbeats = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "day"], name="radio_cluster_day_unique")]


class Alert(models.Model):
    """Something the commune operator must look at: a cluster offline or faulty, an item not confirmed."""

    SCOPE_PATH = "place_path"

    class Kind(models.TextChoices):
        OFFLINE = "offline", _("Cluster offline")
        FAULT = "fault", _("Fault reported")
        UNCONFIRMED = "unconfirmed", _("Not confirmed")
        FAILED = "failed", _("Playback failed")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    cluster = models.ForeignKey(SpeakerCluster, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    place_path = models.CharField(max_length=255, db_index=True)
    key = models.CharField(max_length=120)
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["cluster", "key", "resolved_at"])]


class LocalAbbreviation(models.Model):
    """A local abbreviation and how the radio reads it ("HTX Tân Lập" -> ...), set by a province or a commune.

    The speech of a bulletin uses its province's entries and its commune's (a commune's entry wins over the
    province's for the same abbreviation); both win over the built-in dictionary of ``ngoso.vntext``.
    """

    SCOPE_PATH = "place__path"

    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="local_abbreviations",
                              verbose_name=_("place"))
    abbreviation = models.CharField(_("abbreviation"), max_length=40)
    reading = models.CharField(_("reading"), max_length=200)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["place__path", "abbreviation"]
        verbose_name = _("local abbreviation")
        constraints = [models.UniqueConstraint(fields=["place", "abbreviation"],
                                               name="radio_local_abbreviation_unique")]

    def __str__(self) -> str:
        return f"{self.abbreviation} → {self.reading}"
