"""Access to information (mobile sites, wifi, loudspeakers, village surveys) and the annual poverty review."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ngoso.accounts.permissions import EDITORS, STAFF

MOBILE_TECH = ["none", "2G", "3G", "4G", "5G"]  # ordered: later is better


class AccessSite(models.Model):
    SCOPE_PATH = "village__path"
    WRITE_ROLES = {"create": STAFF, "change": STAFF, "import": STAFF}

    class Kind(models.TextChoices):
        BTS = "bts", _("Base station")
        POLE = "pole", _("Antenna pole")
        WIFI = "wifi", _("Free wifi hotspot")
        LOUDSPEAKER = "loudspeaker", _("Loudspeaker cluster")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Working")
        BROKEN = "broken", _("Out of order")
        PLANNED = "planned", _("Planned")

    code = models.CharField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=160, blank=True)
    village = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="access_sites")
    operator = models.CharField(_("operator"), max_length=40, blank=True)
    technology = models.CharField(_("technology"), max_length=3, blank=True)
    location_type = models.CharField(_("where"), max_length=60, blank=True,
                                     help_text="nhà văn hoá thôn, trường học, chợ, UBND…")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["village", "kind", "code"]


class VillageSurvey(models.Model):
    """What the commune found on the ground: the best mobile signal in the village."""

    SCOPE_PATH = "village__path"
    WRITE_ROLES = {"create": STAFF, "change": STAFF, "import": STAFF}

    village = models.OneToOneField("places.Place", on_delete=models.CASCADE, related_name="access_survey")
    mobile = models.CharField(max_length=4, choices=[(t, t) for t in MOBILE_TECH])
    surveyed_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)


class PovertyReview(models.Model):
    """One household's multidimensional poverty review for one year, classified by that year's standard."""

    SCOPE_PATH = "household__village__path"
    WRITE_ROLES = {"create": EDITORS, "change": EDITORS, "import": STAFF}

    household = models.ForeignKey("people.Household", on_delete=models.CASCADE, related_name="poverty_reviews")
    year = models.PositiveSmallIntegerField(_("year"))
    standard = models.CharField(max_length=20)
    area_type = models.CharField(max_length=5, choices=[("rural", _("rural")), ("urban", _("urban"))])
    income = models.PositiveIntegerField(_("income per person per month (đồng)"))
    lacking = models.JSONField(default=list)
    status = models.CharField(max_length=10)
    reasons = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["household", "-year"]
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="review_one_per_year")]
        indexes = [models.Index(fields=["year", "status"])]
