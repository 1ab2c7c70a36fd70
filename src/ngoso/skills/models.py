"""The versioned skill catalogue, loaded from data files (``skills/data/catalogue_v*.json``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language, gettext_lazy as _


class Level(models.IntegerChoices):
    NOT_YET = 0, _("Not yet")
    WITH_HELP = 1, _("Can do with help")
    ALONE = 2, _("Can do alone")


class Basic5(models.TextChoices):
    """The national '5 basic digital skills' (2024 target: one proficient person in every household)."""

    PUBLIC_SERVICES = "public_services", _("Online public services")
    ONLINE_SHOPPING = "online_shopping", _("Online shopping")
    ONLINE_PAYMENT = "online_payment", _("Online payment")
    ONLINE_SAFETY = "online_safety", _("Staying safe online")
    LOCAL_PLATFORMS = "local_platforms", _("Other local platforms")


class Bilingual(models.Model):
    name_vi = models.CharField(max_length=160)
    name_en = models.CharField(max_length=160)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi

    def __str__(self) -> str:
        return self.name


class Catalogue(models.Model):
    version = models.CharField(max_length=20, unique=True)
    valid_from = models.DateField()
    title_vi = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    sources = models.JSONField(default=list)
    is_current = models.BooleanField(default=False)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("skill catalogue")

    def __str__(self) -> str:
        return f"{self.title_vi} (v{self.version})"


class Area(Bilingual):
    catalogue = models.ForeignKey(Catalogue, on_delete=models.CASCADE, related_name="areas")
    code = models.SlugField(max_length=40)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["catalogue", "order"]
        constraints = [models.UniqueConstraint(fields=["catalogue", "code"], name="area_code_unique")]
        verbose_name = _("skill area")


class Skill(Bilingual):
    catalogue = models.ForeignKey(Catalogue, on_delete=models.CASCADE, related_name="skills")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="skills")
    code = models.SlugField(max_length=60)
    order = models.PositiveSmallIntegerField(default=0)
    i_can_vi = models.CharField(max_length=300)
    i_can_en = models.CharField(max_length=300)
    description_vi = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    audience_note_vi = models.TextField(blank=True)
    basic5 = models.CharField(max_length=20, choices=Basic5.choices, blank=True, default="")
    province_focus = models.BooleanField(default=False)
    frameworks = models.JSONField(default=dict, blank=True)
    prerequisites = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="unlocks")
    min_age = models.PositiveSmallIntegerField(_("offered from age"), default=0)

    class Meta:
        ordering = ["catalogue", "order"]
        constraints = [models.UniqueConstraint(fields=["catalogue", "code"], name="skill_code_unique")]
        verbose_name = _("skill")

    @property
    def i_can(self) -> str:
        return self.i_can_en if (get_language() or "vi").startswith("en") else self.i_can_vi
