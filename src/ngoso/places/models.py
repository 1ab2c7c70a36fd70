"""The administrative hierarchy as data, of any depth, with history.

Every place has a materialised ``path`` of codes (``"24/07351/07351.003/"``): the subtree of a place is
every place whose path starts with its path, answered by one index range scan (see ``subtree_range``).

Two eras live side by side. Units valid now (province -> commune/ward -> village since 1 July 2025) form
the current tree. Units that were dissolved (the former districts and communes) keep their own tree, with
``valid_to`` set and codes prefixed ``old-``; ``PlaceSuccession`` says which former units make up a
current one. A village survives a reform: it has one row, under its current commune, and remembers
its former commune in ``former_parent``/``former_path`` so that figures can be rolled up either way.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ngoso.core.text import fold, in_language


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District (before 2025)")
    COMMUNE = "commune", _("Commune / ward")
    VILLAGE = "village", _("Village / residential group")


LEVEL_DEPTH = {Level.PROVINCE: 1, Level.DISTRICT: 2, Level.COMMUNE: 3, Level.VILLAGE: 4}

# Highest code point used in paths is "~" (0x7E) > every letter, digit, ".", "-" and "/".
PATH_END = "~"


def subtree_range(path: str) -> tuple[str, str]:
    """(low, high) bounds such that ``low <= p < high`` exactly for paths under ``path`` (inclusive)."""
    return path, path + PATH_END


class PlaceType(models.Model):
    """A kind of place (tỉnh, xã, phường, thôn, bản, tổ dân phố …): a catalogue, loaded as data."""

    code = models.SlugField(max_length=40, unique=True)
    level = models.CharField(max_length=16, choices=Level.choices)
    name_vi = models.CharField(max_length=64)
    name_en = models.CharField(max_length=64)
    urban = models.BooleanField(default=False, help_text="Phường, thị trấn, tổ dân phố count as urban.")

    class Meta:
        ordering = ["level", "code"]
        verbose_name = _("place type")

    def __str__(self) -> str:
        return in_language(self.name_vi, self.name_en)


class PlaceQuerySet(models.QuerySet):
    def current(self, on=None):
        if on is None:
            return self.filter(valid_to__isnull=True)
        return self.filter(models.Q(valid_from__isnull=True) | models.Q(valid_from__lte=on)).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=on)
        )

    def historic(self):
        return self.filter(valid_to__isnull=False)

    def under(self, place: "Place", include_self: bool = True):
        low, high = subtree_range(place.path)
        qs = self.filter(path__gte=low, path__lt=high)
        return qs if include_self else qs.exclude(pk=place.pk)

    def formerly_under(self, place: "Place"):
        """Places (villages) that sat under a former unit before its dissolution."""
        low, high = subtree_range(place.path)
        return self.filter(former_path__gte=low, former_path__lt=high)


class Place(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    official_code = models.CharField(_("official code"), max_length=20, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=120, help_text="Full name with type, e.g. 'Xã Ngọc Thiện'.")
    short_name = models.CharField(_("short name"), max_length=100)
    search_name = models.CharField(max_length=120, db_index=True, editable=False)
    type = models.ForeignKey(PlaceType, on_delete=models.PROTECT, verbose_name=_("type"))
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, db_index=True, editable=False)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, unique=True, editable=False)
    former_parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="former_children"
    )
    former_path = models.CharField(max_length=255, blank=True, default="", db_index=True, editable=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    mountainous = models.BooleanField(default=False)

    objects = PlaceQuerySet.as_manager()

    SCOPE_PATH = "path"

    class Meta:
        ordering = ["path"]
        verbose_name = _("place")
        indexes = [models.Index(fields=["level", "path"], name="place_level_path")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    @property
    def depth(self) -> int:
        return self.path.count("/")

    def compute_paths(self) -> None:
        self.level = self.type.level
        self.search_name = fold(self.name)
        self.path = (self.parent.path if self.parent_id else "") + self.code + "/"
        self.former_path = (self.former_parent.path + self.code + "/") if self.former_parent_id else ""

    def save(self, *args, **kwargs):
        self.compute_paths()
        super().save(*args, **kwargs)

    def ancestors(self) -> list["Place"]:
        """Ancestors from the root down, excluding self — one query."""
        codes = self.path.rstrip("/").split("/")[:-1]
        by_code = {p.code: p for p in Place.objects.filter(code__in=codes).select_related("type")}
        return [by_code[c] for c in codes if c in by_code]


class PlaceSuccession(models.Model):
    """A reform event: ``predecessor`` (dissolved) became (part of) ``successor``."""

    class Kind(models.TextChoices):
        MERGE = "merge", _("Merged into")
        SPLIT = "split", _("Split into")
        RENAME = "rename", _("Renamed")

    predecessor = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="successions")
    successor = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="predecessions")
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MERGE)
    partly = models.BooleanField(default=False, help_text="Only part of the predecessor went to this successor.")
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor", "date"], name="succession_unique")
        ]
        verbose_name = _("place succession")

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor} ({self.date})"
