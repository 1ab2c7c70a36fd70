"""Digital livelihoods: producers and their products, the online channels they use, farming articles
(and who was sent which), success stories, and the consents that let any of it be shown in public.

Producer, product, channel, story and consent rows hold personal data: they declare ``SCOPE_PATH`` and
are audited (see ``apps.py``). Farming articles are not personal; their edits are kept as revisions.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ngoso.accounts.permissions import EDITORS, PROVINCE, STAFF
from ngoso.core.text import fold, phone_digits

_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: codes get typed from packaging


def new_public_code(n: int = 8) -> str:
    """A short unguessable code for public addresses (pages cannot be enumerated)."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(n))


class ProducerKind(models.TextChoices):
    CROPS = "crops", _("Crops / orchard")
    LIVESTOCK = "livestock", _("Livestock / poultry")
    AQUACULTURE = "aquaculture", _("Fish / aquaculture")
    CRAFT = "craft", _("Craft / traditional food")
    SHOP = "shop", _("Small shop")
    SERVICE = "service", _("Service")
    OTHER = "other", _("Other")


class Producer(models.Model):
    """A household that produces or sells (farm, craft, small shop)."""

    SCOPE_PATH = "household__village__path"
    WRITE_ROLES = {"create": EDITORS, "change": EDITORS, "delete": EDITORS}

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_code = models.CharField(max_length=12, unique=True, default=new_public_code, editable=False)
    household = models.ForeignKey("people.Household", on_delete=models.CASCADE, related_name="producers",
                                  verbose_name=_("household"))
    person = models.ForeignKey("people.Resident", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="producers", verbose_name=_("owner (person)"))
    name = models.CharField(_("trade name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=ProducerKind.choices, default=ProducerKind.CROPS)
    description = models.TextField(_("description"), blank=True, max_length=1500)
    phone = models.CharField(_("phone for orders"), max_length=20, blank=True)
    messenger_url = models.URLField(_("Facebook page / Messenger link"), blank=True, max_length=300)
    published = models.BooleanField(_("public page switched on"), default=False)
    search_key = models.CharField(max_length=600, editable=False, default="", db_index=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("producer")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.phone = self.phone.strip()
        self.search_key = fold(" ".join([self.name, self.description[:300]]))[:600]
        super().save(*args, **kwargs)

    @property
    def phone_digits(self) -> str:
        return phone_digits(self.phone)


class Product(models.Model):
    SCOPE_PATH = "producer__household__village__path"
    WRITE_ROLES = {"create": EDITORS, "change": EDITORS, "delete": EDITORS}

    producer = models.ForeignKey(Producer, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(_("product"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    price = models.PositiveIntegerField(_("price (đồng)"), null=True, blank=True,
                                        validators=[MaxValueValidator(1_000_000_000)])
    unit = models.CharField(_("unit"), max_length=30, blank=True, help_text=_("kg, chiếc, hộp, chục…"))
    season = models.CharField(_("season"), max_length=80, blank=True, help_text=_("e.g. tháng 6 – tháng 7"))
    ocop_stars = models.PositiveSmallIntegerField(_("OCOP stars"), null=True, blank=True,
                                                  validators=[MinValueValidator(1), MaxValueValidator(5)])
    vietgap = models.BooleanField(_("VietGAP"), default=False)
    other_certifications = models.CharField(_("other certifications"), max_length=200, blank=True,
                                            help_text=_("organic, GlobalGAP, growing-area code…"))
    active = models.BooleanField(_("on sale"), default=True)
    search_key = models.CharField(max_length=400, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-active", "name", "id"]
        verbose_name = _("product")
        constraints = [models.CheckConstraint(
            condition=models.Q(ocop_stars__isnull=True) | models.Q(ocop_stars__gte=1, ocop_stars__lte=5),
            name="product_ocop_1_5")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.search_key = fold(" ".join([self.name, self.description[:200], self.other_certifications]))[:400]
        super().save(*args, **kwargs)


class PhotoBase(models.Model):
    """A photo re-encoded on upload (metadata such as GPS stripped): a display JPEG and a small WebP."""

    file = models.CharField(max_length=200)      # relative to MEDIA_ROOT
    thumb = models.CharField(max_length=200)     # relative to MEDIA_ROOT
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    bytes = models.PositiveIntegerField(default=0)
    thumb_bytes = models.PositiveIntegerField(default=0)
    caption = models.CharField(_("caption"), max_length=160, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]


class ProductPhoto(PhotoBase):
    SCOPE_PATH = "product__producer__household__village__path"
    WRITE_ROLES = {"create": EDITORS, "change": EDITORS, "delete": EDITORS}

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")


class ChannelKind(models.TextChoices):
    SOCIAL = "social", _("Social network page or group")
    MARKETPLACE = "marketplace", _("E-commerce platform shop")
    PAYMENT = "payment", _("E-payment (bank app, QR, e-wallet)")
    OTHER = "other", _("Other online channel")


ONLINE_SELLING = (ChannelKind.SOCIAL, ChannelKind.MARKETPLACE)

#: brand names are said as they are; the others are msgids (said in the reader's language)
PLATFORMS = [
    ("facebook", "Facebook"), ("zalo", "Zalo"), ("tiktok", "TikTok"), ("youtube", "YouTube"),
    ("shopee", "Shopee"), ("lazada", "Lazada"), ("tiktok_shop", "TikTok Shop"), ("postmart", "Postmart"),
    ("voso", "Voso"), ("tiki", "Tiki"), ("bank_app", _("Bank app")),
    ("vietqr", _("Bank QR code (VietQR)")), ("momo", "MoMo"), ("viettel_money", "Viettel Money"),
    ("vnpt_money", "VNPT Money"), ("zalopay", "ZaloPay"), ("website", _("Website")), ("other", _("Other")),
]


class OnlineChannel(models.Model):
    """An online channel a producer uses, since when (and until when), and the skills behind it."""

    SCOPE_PATH = "producer__household__village__path"
    WRITE_ROLES = {"create": EDITORS, "change": EDITORS, "delete": EDITORS}

    producer = models.ForeignKey(Producer, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(_("kind"), max_length=12, choices=ChannelKind.choices)
    platform = models.CharField(_("platform"), max_length=20, choices=PLATFORMS)
    address = models.CharField(_("link or handle"), max_length=300, blank=True,
                               help_text=_("page link, shop link or name; never an account number"))
    since = models.DateField(_("in use since"))
    ended_on = models.DateField(_("stopped on"), null=True, blank=True)
    skills = models.ManyToManyField("skills.Skill", blank=True, related_name="+", verbose_name=_("skills"))
    show_publicly = models.BooleanField(_("show the link on the public page"), default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "since", "id"]
        verbose_name = _("online channel")
        indexes = [models.Index(fields=["kind", "since"])]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} ({self.get_kind_display()})"

    @property
    def is_link(self) -> bool:
        return self.address.startswith(("https://", "http://"))


class Purpose(models.TextChoices):
    PRODUCER_PAGE = "producer_page", _("Public producer page")
    SHOW_PHONE = "show_phone", _("Phone number on the public page")
    STORY = "story", _("Publishing a success story")


class Naming(models.TextChoices):
    FULL = "full", _("Full name")
    SHORT = "short", _("Honorific and given name (chị Lý)")
    NONE = "none", _("Not named")


class PublicConsent(models.Model):
    """A person's consent to one public use of their data. The latest record for (person, purpose, story)
    is in force; withdrawing is a new record with ``given=False``. Nothing is public without one."""

    SCOPE_PATH = "resident__household__village__path"
    WRITE_ROLES = {"create": EDITORS, "change": EDITORS}

    class Method(models.TextChoices):
        ORAL = "oral", _("Oral, witnessed by the member")
        SIGNED = "signed", _("Signed form")
        SELF = "self", _("Given by the person online")

    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, related_name="public_consents")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    story = models.ForeignKey("SuccessStory", on_delete=models.CASCADE, null=True, blank=True,
                              related_name="consents")
    given = models.BooleanField(_("consent given"))
    naming = models.CharField(_("how the person may be named"), max_length=6, choices=Naming.choices,
                              default=Naming.SHORT)
    method = models.CharField(_("how"), max_length=8, choices=Method.choices, default=Method.ORAL)
    reference = models.CharField(_("reference (form number…)"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("consent to publish")
        indexes = [models.Index(fields=["resident", "purpose", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.purpose}: {'yes' if self.given else 'no'}"


class ArticleTopic(models.TextChoices):
    CROPS = "crops", _("Crops")
    LIVESTOCK = "livestock", _("Livestock")
    AQUACULTURE = "aquaculture", _("Aquaculture")
    MARKET = "market", _("Selling and the market")
    GENERAL = "general", _("General")


class SourceType(models.TextChoices):
    EXTENSION = "extension", _("Agricultural extension guidance")
    REGULATION = "regulation", _("Standard or official regulation")
    RESEARCH = "research", _("Research institute")
    PRACTICE = "practice", _("Local practice / experience")


class FarmingArticle(models.Model):
    """A short practical article. Starter articles ship as data; province staff add and edit more.
    Every edit is kept as an ``ArticleRevision``."""

    WRITE_ROLES = {"create": PROVINCE, "change": PROVINCE}  # not personal data: no area, no SCOPE_PATH

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=160)
    topic = models.CharField(_("topic"), max_length=12, choices=ArticleTopic.choices)
    subject = models.CharField(_("crop or animal"), max_length=80, help_text=_("lúa, vải thiều, lợn, gà…"))
    summary = models.CharField(_("summary"), max_length=300)
    body = models.TextField(_("text"), max_length=6000)
    source_type = models.CharField(_("kind of source"), max_length=12, choices=SourceType.choices)
    source = models.CharField(_("source"), max_length=200)
    origin = models.CharField(max_length=10, default="local", editable=False)  # starter | local
    version = models.PositiveIntegerField(default=1, editable=False)
    active = models.BooleanField(_("shown"), default=True)
    search_key = models.TextField(editable=False, default="")
    subject_key = models.CharField(max_length=80, editable=False, default="", db_index=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["topic", "subject", "title"]
        verbose_name = _("farming article")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.subject_key = fold(self.subject)
        self.search_key = " ".join(fold(x) for x in [self.title, self.subject, self.summary, self.body])
        super().save(*args, **kwargs)


class ArticleRevision(models.Model):
    article = models.ForeignKey(FarmingArticle, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=160)
    summary = models.CharField(max_length=300)
    body = models.TextField()
    source = models.CharField(max_length=200)
    edited_by = models.CharField(max_length=150, blank=True)
    edited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "-version"]
        constraints = [models.UniqueConstraint(fields=["article", "version"], name="article_revision_unique")]


class ArticleSend(models.Model):
    """That a member sent (or gave, or read) an article to a household."""

    SCOPE_PATH = "household__village__path"
    WRITE_ROLES = {"create": EDITORS}

    class How(models.TextChoices):
        ZALO = "zalo", _("By Zalo / message")
        PRINTED = "printed", _("Printed copy")
        IN_PERSON = "in_person", _("Read together during a visit")

    article = models.ForeignKey(FarmingArticle, on_delete=models.CASCADE, related_name="sends")
    household = models.ForeignKey("people.Household", on_delete=models.CASCADE, related_name="article_sends")
    how = models.CharField(_("how"), max_length=10, choices=How.choices, default=How.ZALO)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.article_id} → {self.household_id}"


class SuccessStory(models.Model):
    """A "good story": who, what changed, the figures, photos; published only with the person's consent.
    It belongs to the area of the person's current household (``village`` is where it was written, shown
    on the public page), so a move takes the story with the person."""

    SCOPE_PATH = "resident__household__village__path"
    WRITE_ROLES = {"create": EDITORS, "change": EDITORS, "approve": STAFF}

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Period(models.TextChoices):
        MONTH = "month", _("per month")
        YEAR = "year", _("per year")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_code = models.CharField(max_length=12, unique=True, default=new_public_code, editable=False)
    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, related_name="stories",
                                 verbose_name=_("who"))
    village = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    producer = models.ForeignKey(Producer, on_delete=models.SET_NULL, null=True, blank=True, related_name="stories",
                                 verbose_name=_("producer"))
    title = models.CharField(_("title"), max_length=160)
    before = models.TextField(_("before"), max_length=2000, help_text=_("the situation before"))
    change = models.TextField(_("what changed"), max_length=4000, help_text=_("what they learned and did, and what it changed"))
    income_before = models.PositiveIntegerField(_("income before (đồng)"), null=True, blank=True)
    income_after = models.PositiveIntegerField(_("income after (đồng)"), null=True, blank=True)
    income_period = models.CharField(_("income per"), max_length=5, choices=Period.choices, default=Period.MONTH)
    figures = models.CharField(_("other figures"), max_length=300, blank=True,
                               help_text=_("e.g. orders per month, provinces sold to"))
    quote = models.CharField(_("in their own words"), max_length=400, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    bulletin_ref = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("success story")
        verbose_name_plural = _("success stories")

    def __str__(self) -> str:
        return self.title


class StoryPhoto(PhotoBase):
    SCOPE_PATH = "story__resident__household__village__path"
    WRITE_ROLES = {"create": EDITORS, "change": EDITORS, "delete": EDITORS}

    story = models.ForeignKey(SuccessStory, on_delete=models.CASCADE, related_name="photos")
