"""Households, residents, their means of access to information, and consent.

Target groups (nhóm yếu thế) are derived, never typed twice: see ``ngoso.people.targets``.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from ngoso.accounts.models import Role
from ngoso.accounts.permissions import EDITORS, STAFF
from ngoso.core.text import fold, in_language, phone_digits


class Ethnicity(models.Model):
    """One of Vietnam's 54 ethnic groups (official GSO codes 01–54)."""

    code = models.CharField(max_length=2, unique=True)
    name_vi = models.CharField(max_length=60)
    name_en = models.CharField(max_length=60)
    other_names = models.CharField(max_length=200, blank=True)
    is_minority = models.BooleanField(default=True)
    search_key = models.CharField(max_length=200, editable=False, default="")

    class Meta:
        ordering = ["code"]
        verbose_name = _("ethnic group")

    def __str__(self) -> str:
        return in_language(self.name_vi, self.name_en)

    def save(self, *args, **kwargs):
        self.search_key = " | ".join(fold(x) for x in [self.name_vi, *self.other_names.split(";")] if x)
        super().save(*args, **kwargs)


class PovertyStatus(models.TextChoices):
    NONE = "", _("Not poor")
    NEAR_POOR = "near_poor", _("Near-poor household")
    POOR = "poor", _("Poor household")


class Household(models.Model):
    SCOPE_PATH = "village__path"
    WRITE_ROLES = {"create": STAFF, "change": EDITORS, "delete": STAFF, "import": STAFF, "register": EDITORS,
                   "merge": STAFF | {Role.TEAM_LEADER}}

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("household code"), max_length=40, unique=True)
    village = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="households",
                                verbose_name=_("village"))
    alley = models.CharField(_("alley (ngõ)"), max_length=80, blank=True)
    house_number = models.CharField(_("house number"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    phone = models.CharField(_("household phone"), max_length=20, blank=True)
    phone_digits = models.CharField(max_length=20, blank=True, db_index=True, editable=False)
    # Means of access to information (also the information dimension of multidimensional poverty).
    has_smartphone = models.BooleanField(_("smartphone"), default=False)
    has_feature_phone = models.BooleanField(_("feature phone"), default=False)
    has_tv = models.BooleanField(_("television"), default=False)
    has_radio = models.BooleanField(_("radio"), default=False)
    has_computer = models.BooleanField(_("computer"), default=False)
    has_home_internet = models.BooleanField(_("home internet / wifi"), default=False)
    has_mobile_data = models.BooleanField(_("mobile data"), default=False)
    hears_loudspeaker = models.BooleanField(_("hears the village loudspeaker"), default=False)
    poverty_status = models.CharField(_("poverty status"), max_length=10, choices=PovertyStatus.choices,
                                      default="", blank=True)
    poverty_year = models.PositiveSmallIntegerField(_("poverty review year"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["village", "alley", "house_number", "code"]
        verbose_name = _("household")

    ACCESS_FIELDS = ("has_smartphone", "has_feature_phone", "has_tv", "has_radio", "has_computer",
                     "has_home_internet", "has_mobile_data", "hears_loudspeaker")

    def __str__(self) -> str:
        return f"{self.code}"

    def save(self, *args, **kwargs):
        self.phone_digits = phone_digits(self.phone)
        super().save(*args, **kwargs)

    @property
    def head(self):
        return self.residents.filter(relation=Relation.HEAD).first()

    @property
    def street_address(self) -> str:
        """The house number and alley in the reader's language ("số 12, ngõ 3" / "no. 12, alley 3", as the field
        app writes them), then the free address."""
        from django.utils.translation import gettext

        parts = [p for p in [gettext("no. %(n)s") % {"n": self.house_number} if self.house_number else "",
                             gettext("alley %(a)s") % {"a": self.alley} if self.alley else "", self.address] if p]
        return ", ".join(parts)


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    GRANDCHILD = "grandchild", _("Grandchild")
    PARENT = "parent", _("Parent")
    CHILD_IN_LAW = "child_in_law", _("Son/daughter-in-law")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    """Where a resident stands in the registry (life events, ``people.registration``). Only ``present``
    residents are counted by the dashboards; the others keep their row and their history."""

    PRESENT = "", _("Lives here")
    MOVED_AWAY = "moved_away", _("Moved away")
    DIED = "died", _("Died")


class Resident(models.Model):
    SCOPE_PATH = "household__village__path"
    # "register": found at the door by a member (the field app); "merge": two records of one person
    WRITE_ROLES = {"create": STAFF, "change": EDITORS, "delete": STAFF, "import": STAFF, "register": EDITORS,
                   "merge": STAFF | {Role.TEAM_LEADER}}

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="residents",
                                  verbose_name=_("household"))
    full_name = models.CharField(_("full name"), max_length=120)
    search_name = models.CharField(max_length=120, db_index=True, editable=False)
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    ethnicity = models.ForeignKey(Ethnicity, on_delete=models.PROTECT, verbose_name=_("ethnicity"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone_digits = models.CharField(max_length=20, blank=True, db_index=True, editable=False)
    disability = models.BooleanField(_("disability"), default=False)
    relation = models.CharField(_("relation to head"), max_length=14, choices=Relation.choices,
                                default=Relation.OTHER)
    # db_default: rows written by raw SQL (the demo builder, bulk paths) are present residents too
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="", db_default="",
                              blank=True, db_index=True)
    status_on = models.DateField(_("since"), null=True, blank=True)
    moved_to = models.CharField(_("moved to"), max_length=200, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["household", "-relation", "birth_year"]
        verbose_name = _("resident")
        constraints = [
            models.CheckConstraint(condition=models.Q(birth_year__gte=1890), name="resident_birth_year_sane"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.search_name = fold(self.full_name)
        self.phone_digits = phone_digits(self.phone)
        super().save(*args, **kwargs)

    def age(self, year: int | None = None) -> int:
        from django.utils import timezone

        return (year or timezone.localdate().year) - self.birth_year


class Consent(models.Model):
    """A resident's consent to being recorded (Decree 13/2023/NĐ-CP). The latest record is in force."""

    SCOPE_PATH = "resident__household__village__path"
    WRITE_ROLES = {"create": EDITORS | STAFF, "delete": STAFF}

    class Method(models.TextChoices):
        ORAL = "oral", _("Oral, witnessed by the member")
        SIGNED = "signed", _("Signed form")
        GUARDIAN = "guardian", _("Given by the head of household / guardian")
        SELF = "self", _("Given by the person online")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="consents")
    given = models.BooleanField(_("consent given"))
    method = models.CharField(_("how"), max_length=10, choices=Method.choices, default=Method.ORAL)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.CharField(max_length=150, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("consent")

    def __str__(self) -> str:
        return f"{self.resident_id}: {'yes' if self.given else 'no'}"


class Erasure(models.Model):
    """That a resident's data was erased on request — without any of the erased data."""

    SCOPE_PATH = "village__path"
    WRITE_ROLES = {"create": STAFF}

    village = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    household_code = models.CharField(max_length=40)
    household_removed = models.BooleanField(default=False)
    requested_at = models.DateTimeField(auto_now_add=True)
    done_by = models.CharField(max_length=150)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at"]


class DuplicateDecision(models.Model):
    """A reviewer's answer about a candidate pair: "not the same" is remembered and never proposed again.
    ``kind`` is "resident" or "household"; ``low``/``high`` are the two ids, smaller first."""

    SCOPE_PATH = "place_path"
    WRITE_ROLES = {"create": STAFF | {Role.TEAM_LEADER}}

    kind = models.CharField(max_length=10)
    low = models.PositiveBigIntegerField()
    high = models.PositiveBigIntegerField()
    same = models.BooleanField(default=False)
    place_path = models.CharField(max_length=255, db_index=True)
    decided_by = models.CharField(max_length=150)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "low", "high"], name="duplicate_decision_unique")]


class DuplicateScan(models.Model):
    """When a place's likely duplicates were last looked for (``people.duplicates.scan_and_store``): the review
    page says when, also when the scan found nothing or every pair was answered since."""

    SCOPE_PATH = "place_path"

    place_path = models.CharField(max_length=255, unique=True)
    scanned_at = models.DateTimeField()

    class Meta:
        verbose_name = _("duplicate scan")


class DuplicateCandidate(models.Model):
    """A pair the background scan found (``people.duplicates.scan_and_store``), waiting for review: the review
    page reads these instead of scanning a commune on every request."""

    SCOPE_PATH = "place_path"

    kind = models.CharField(max_length=10)
    low = models.PositiveBigIntegerField()
    high = models.PositiveBigIntegerField()
    score = models.FloatField()
    evidence = models.JSONField(default=list)
    place_path = models.CharField(max_length=255, db_index=True)  # the deeper common place of both
    found_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "low", "high"], name="duplicate_candidate_unique")]


class Merge(models.Model):
    """Two records of one person (or household) made one: who merged what, when, and the merged-away record
    with every row moved off it, so that ``people.merge.undo`` can put it back."""

    SCOPE_PATH = "place_path"
    WRITE_ROLES = {"create": STAFF | {Role.TEAM_LEADER}, "change": STAFF | {Role.TEAM_LEADER}}

    kind = models.CharField(max_length=10)  # resident | household
    kept_id = models.PositiveBigIntegerField()
    kept_repr = models.CharField(max_length=200)
    lost_id = models.PositiveBigIntegerField()
    lost_repr = models.CharField(max_length=200)
    lost_record = models.JSONField()   # the merged-away row as it was
    moved = models.JSONField()         # {"app.Model.field": [ids]} rows moved onto the kept record
    place_path = models.CharField(max_length=255, db_index=True)  # the deeper common place of both
    lost_path = models.CharField(max_length=255, blank=True)
    merged_by = models.CharField(max_length=150)
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_by = models.CharField(max_length=150, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]


class MoveRequest(models.Model):
    """A person moving into a household of the member's area from another village, asked for at the door
    (``people.registration.request_move_in``): the member cannot see the other village, so they give the
    name, birth year and old village; commune staff (or a leader whose area holds both villages) find the
    person on the server within their own area and move the same row (``complete_move``), with their skill
    history. ``resident`` is the person moved (erasing them takes the request with them)."""

    SCOPE_PATH = "household__village__path"
    WRITE_ROLES = {"create": EDITORS, "change": STAFF | {Role.TEAM_LEADER}}

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Moved in")
        REFUSED = "refused", _("Not found / refused")

    uuid = models.UUIDField(unique=True)
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="move_requests",
                                  verbose_name=_("household"))
    full_name = models.CharField(_("full name"), max_length=120)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices, blank=True)
    from_village = models.ForeignKey("places.Place", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("from village"))
    from_text = models.CharField(_("moved from"), max_length=200, blank=True)
    relation = models.CharField(_("relation to head"), max_length=14, choices=Relation.choices,
                                default=Relation.OTHER)
    on = models.DateField(_("moved in on"), null=True, blank=True)
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.CASCADE, related_name="moves_in")
    done_by = models.CharField(max_length=150, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("move-in request")
