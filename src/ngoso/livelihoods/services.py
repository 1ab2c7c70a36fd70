"""Livelihoods: every decision lives here; pages, the API, the CLI and the tests call these functions.

Public pages render only what ``public_producer`` / ``public_story`` return: dictionaries built field by
field from what the person consented to. Nothing private (ethnicity, poverty status, the household's
address or code, a phone without its own consent) is ever put in them.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ngoso.accounts import permissions
from ngoso.accounts.scope import can_see_place
from ngoso.core import files
from ngoso.core.clean import bad_character, char_name, max_length as field_max_length
from ngoso.core.public import public_url as absolute
from ngoso.core.text import fold, phone_digits
from ngoso.people.phones import PhoneError, normalize_phone
from ngoso.people.targets import is_elderly
from ngoso.radio.models import Bulletin

from .models import (ONLINE_SELLING, ArticleRevision, ArticleSend, ChannelKind, FarmingArticle, Naming,
                     OnlineChannel, Producer, ProducerKind, PublicConsent, Purpose, SuccessStory)


class LivelihoodError(Exception):
    """A user-facing refusal: the message says what is missing and where."""


# ----------------------------------------------------------------------------------------------------------
# Who may do what: the roles are declared on the models (``WRITE_ROLES``) and answered by
# ``accounts.permissions.can``; these name the questions this app asks. The area comes from ``scoped``
# (every object here is fetched through it) or from ``can`` given the object.

def can_edit(user, obj=None) -> bool:
    return permissions.can(user, "change", Producer if obj is None else obj)


def can_approve(user, story=None) -> bool:
    """Commune staff and province administrators approve and publish stories."""
    return permissions.can(user, "approve", SuccessStory if story is None else story)


def can_edit_articles(user) -> bool:
    """Province staff keep the farming library."""
    return permissions.can(user, "change", FarmingArticle)


def can_make_bulletin(user) -> bool:
    return permissions.can(user, "create", Bulletin)


# ----------------------------------------------------------------------------------------------------------
# Formatting

def format_price(n: int | None) -> str:
    """45000 -> "45.000 đ" (Vietnamese thousands separator)."""
    if n is None:
        return ""
    return f"{n:,}".replace(",", ".") + " đ"


def money_words(n: int) -> str:
    """An amount as a radio announcer says it: 4_500_000 -> "4 triệu 500 nghìn đồng"."""
    if n <= 0:
        return "0 đồng"
    parts = []
    for size, word in ((1_000_000_000, "tỷ"), (1_000_000, "triệu"), (1_000, "nghìn")):
        if n >= size:
            parts.append(f"{n // size} {word}")
            n %= size
    if n:
        parts.append(str(n))
    return " ".join(parts) + " đồng"


def honorific(resident, year: int | None = None) -> str:
    old = is_elderly(resident.birth_year, year)
    if resident.sex == "female":
        return "bà" if old else "chị"
    return "ông" if old else "anh"


def display_name(resident, naming: str) -> str | None:
    """How a person may be named in public: full name, "chị Lý", or not at all (None)."""
    if naming == Naming.FULL:
        return resident.full_name
    if naming == Naming.SHORT:
        return f"{honorific(resident)} {resident.full_name.split()[-1]}"
    return None


def place_label(village) -> str:
    """'Thôn Đồng Bụt, Xã Ngọc Thiện' — place names are public; addresses and codes are not."""
    parts = [village.name]
    if village.parent_id:
        parts.append(village.parent.name)
    return ", ".join(parts)


def _replace_name(text: str, resident, shown: str | None, fallback: str) -> str:
    """A convenience only: replace the person's exact full name by what consent allows (members write full
    names). Privacy does not rest on this: ``name_problems`` refuses any text that still names anyone."""
    if not text:
        return text
    repl = shown or fallback

    def sub(m):
        at_start = re.search(r"(^|[.!?…»]\s*|\n\s*)$", text[:m.start()]) is not None
        return repl[:1].upper() + repl[1:] if at_start else repl

    return re.sub(re.escape(resident.full_name), sub, text, flags=re.IGNORECASE)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFC", text or ""))


def _same_word(text_word: str, name_word: str) -> bool:
    """Case-insensitive; "Lý" matches "lý" and, written without diacritics, "ly" (not "lỵ")."""
    t, n = text_word.lower(), name_word.lower()
    return t == n or (t == fold(t) and t == fold(n))


# words that put a bare given name in a sentence: "chị Lý", "chồng là Bình", "con gái Hoa"
_NAME_CUES = {fold(w) for w in ("anh", "chị", "em", "ông", "bà", "cô", "chú", "bác", "cậu", "mợ", "dì", "thím",
                                 "cụ", "cháu", "con", "chồng", "vợ", "bố", "mẹ", "cha", "má", "là", "tên",
                                 "gái", "trai", "út")}


def names_found(text: str, names) -> list[str]:
    """Those of ``names`` that occur in ``text`` as whole words, case-insensitive, with or without
    diacritics. A name of several words matches anywhere. A single given name is also an ordinary word
    ("năm", "bình", "quản lý"), so it counts where it reads as a name: capitalised, or after a title or a
    kinship word ("chị Lý", "chi ly", "chồng là Bình")."""
    words = _words(text)
    found = []
    for name in names:
        nw = _words(name)
        k = len(nw)
        for i in range(len(words) - k + 1):
            if not all(_same_word(words[i + j], nw[j]) for j in range(k)):
                continue
            if k > 1 or words[i][:1].isupper() or (i > 0 and fold(words[i - 1]) in _NAME_CUES):
                found.append(name)
                break
    return found


def forbidden_names(resident, naming: str, household_members) -> list[str]:
    """The names that must not appear in a public text about ``resident`` named as ``naming``: their full
    name unless "full", their given name if "not named", and every other household member's full and
    given name (they consented to nothing), except a given name the person's own naming allows."""
    own_given = resident.full_name.split()[-1] if resident.full_name.split() else ""
    allowed = set()
    out = []
    if naming != Naming.FULL:
        out.append(resident.full_name)
    else:
        allowed |= {fold(w) for w in resident.full_name.split()}
    if naming == Naming.NONE:
        out.append(own_given)
    elif own_given:
        allowed.add(fold(own_given))
    for m in household_members:
        if m.pk == resident.pk or not m.full_name.strip():
            continue
        out.append(m.full_name)
        given = m.full_name.split()[-1]
        if fold(given) not in allowed:
            out.append(given)
    return list(dict.fromkeys(n for n in out if n.strip()))


def name_problems(texts, resident, naming: str, household_members) -> list[str]:
    """A refusal per name that a public text would show without the person's (or a relative's) consent."""
    names = forbidden_names(resident, naming, household_members)
    found = []
    for t in texts:
        for n in names_found(t or "", names):
            if n not in found:
                found.append(n)
    if not found:
        return []
    return [_("The public text still names %(names)s, which the consent does not allow (%(naming)s): rewrite it "
              "without these names.") % {"names": ", ".join(f"«{n}»" for n in found),
                                         "naming": Naming(naming).label}]


_PHONE_IN_TEXT = re.compile(r"zalo\.me/\+?\d|\+\s?84|(?<!\d)\d(?:[\s.\-]?\d){8,10}(?!\d)", re.IGNORECASE)


def contains_phone(text: str) -> bool:
    """A phone number in a link or handle: zalo.me/<digits>, +84…, or a run of 9–11 digits (spaces, dots
    or dashes allowed between them)."""
    return bool(_PHONE_IN_TEXT.search(text or ""))


# ----------------------------------------------------------------------------------------------------------
# Consent to public use

def record_public_consent(resident, purpose: str, given: bool, user, *, naming: str = Naming.SHORT,
                          method: str = PublicConsent.Method.ORAL, reference: str = "", story=None) -> PublicConsent:
    permissions.require(user, "create", PublicConsent(resident=resident))
    if purpose not in Purpose.values:
        raise LivelihoodError(_("Unknown purpose of consent: %(p)s") % {"p": purpose})
    if purpose == Purpose.STORY and story is None:
        raise LivelihoodError(_("A consent to publish a story names the story."))
    if story is not None and story.resident_id != resident.pk:
        raise LivelihoodError(_("The consent must be given by the person the story is about."))
    consent = PublicConsent.objects.create(resident=resident, purpose=purpose, story=story, given=given,
                                           naming=naming, method=method, reference=reference[:60], recorded_by=user)
    if story is not None and not given:
        # after the withdrawal is saved: a failure on the radio side must never undo it
        withdraw_story_bulletin(story, _("The person withdrew their consent to the story."))
    return consent


def current_public_consent(resident, purpose: str, story=None) -> PublicConsent | None:
    if resident is None:
        return None
    qs = PublicConsent.objects.filter(resident=resident, purpose=purpose)
    qs = qs.filter(story=story) if story is not None else qs.filter(story__isnull=True)
    return qs.order_by("-recorded_at", "-id").first()


def consent_in_force(resident, purpose: str, story=None) -> PublicConsent | None:
    c = current_public_consent(resident, purpose, story)
    return c if c is not None and c.given else None


# ----------------------------------------------------------------------------------------------------------
# Producers

def validate_phone(phone: str) -> str:
    """``people.phones.normalize_phone``, refusing with this app's error."""
    try:
        return normalize_phone(phone)
    except PhoneError as exc:
        raise LivelihoodError(_("Phone number «%(p)s» is not a Vietnamese phone number (10 digits, starting with 0).")
                              % {"p": exc.raw}) from exc


@transaction.atomic
def create_producer(household, user, *, name: str, kind: str = ProducerKind.CROPS, person=None,
                    description: str = "", phone: str = "", messenger_url: str = "") -> Producer:
    permissions.require(user, "create", Producer(household=household))
    name = (name or "").strip()
    if not name:
        raise LivelihoodError(_("Give the producer a name (e.g. «Bánh nhôm Ngọc Thiện»)."))
    if person is not None and person.household_id != household.pk:
        raise LivelihoodError(_("The owner must be a member of household %(h)s.") % {"h": household.code})
    if kind not in ProducerKind.values:
        raise LivelihoodError(_("Unknown kind of producer: %(k)s") % {"k": kind})
    return Producer.objects.create(household=household, person=person or household.head, name=name, kind=kind,
                                   description=description.strip(), phone=validate_phone(phone),
                                   messenger_url=messenger_url.strip(), created_by=user)


def latest_consents(residents, purposes) -> dict:
    """{(resident id, purpose): the consent in force or None} for many people in one query (no story)."""
    ids = {r.pk for r in residents if r is not None}
    out = {}
    for c in (PublicConsent.objects.filter(resident_id__in=ids, purpose__in=list(purposes), story__isnull=True)
              .order_by("resident_id", "purpose", "-recorded_at", "-id")):
        out.setdefault((c.resident_id, c.purpose), c)
    return {k: (c if c.given else None) for k, c in out.items()}


def _producer_consents(producer, consents: dict | None) -> tuple:
    """(page consent in force, phone consent in force) for the producer's owner."""
    if producer.person_id is None:
        return None, None
    if consents is None:
        return (consent_in_force(producer.person, Purpose.PRODUCER_PAGE),
                consent_in_force(producer.person, Purpose.SHOW_PHONE))
    return (consents.get((producer.person_id, Purpose.PRODUCER_PAGE)),
            consents.get((producer.person_id, Purpose.SHOW_PHONE)))


def producer_public_texts(producer) -> list[str]:
    """Every free text the public page shows: trade name, descriptions, products, photo captions."""
    texts = [producer.name, producer.description]
    for p in producer.products.all():
        if p.active:
            texts += [p.name, p.description, p.other_certifications, p.season]
            texts += [ph.caption for ph in p.photos.all()]
    return texts


def producer_text_problems(producer, page_consent, phone_consent) -> list[str]:
    """Names the owner's consent does not allow, or a phone number without phone consent, in public texts."""
    if producer.person_id is None or page_consent is None:
        return []
    texts = producer_public_texts(producer)
    problems = name_problems(texts, producer.person, page_consent.naming, producer.household.residents.all())
    if phone_consent is None and any(contains_phone(t) for t in texts):
        problems.append(_("A public text contains a phone number, but the owner has not consented to showing "
                          "their phone: remove it or record that consent."))
    return problems


def publish_problems(producer) -> list[str]:
    """What is missing before the producer's page may be public (empty list: nothing)."""
    problems = []
    page_consent, phone_consent = _producer_consents(producer, None)
    if producer.person_id is None:
        problems.append(_("Choose the person who owns the business: their consent is needed."))
    elif page_consent is None:
        problems.append(_("%(name)s has not consented to a public page (record the consent first).")
                        % {"name": producer.person.full_name})
    if not producer.products.filter(active=True).exists():
        problems.append(_("Add at least one product on sale."))
    problems += producer_text_problems(producer, page_consent, phone_consent)
    return problems


def set_published(producer, on: bool, user) -> Producer:
    permissions.require(user, "change", producer)
    if on:
        problems = publish_problems(producer)
        if problems:
            raise LivelihoodError(" ".join(problems))
    producer.published = on
    producer.save()
    return producer


def is_public(producer, consents: dict | None = None) -> bool:
    """The page is public only while switched on, the owner's consent is in force (a withdrawal hides it)
    and no public text names someone the consent does not allow (a later change of naming hides it too).
    ``consents`` (from ``latest_consents``) spares a query per producer in lists."""
    if not (producer.published and producer.person_id):
        return False
    page, phone = _producer_consents(producer, consents)
    return page is not None and not producer_text_problems(producer, page, phone)


def public_url(path: str, request=None) -> str:
    """An absolute address for QR codes and pasted text (NGOSO_PUBLIC_URL wins; see ngoso.core.public)."""

    return absolute(path, request)


def public_producer(producer, request=None) -> dict | None:
    """Exactly what the public page shows, or None if the page is not public."""
    if not is_public(producer):
        return None
    page_consent, phone_consent = _producer_consents(producer, None)
    phone_ok = bool(producer.phone) and phone_consent is not None
    digits = phone_digits(producer.phone) if phone_ok else ""
    village = producer.household.village
    products = []
    for p in producer.products.filter(active=True).prefetch_related("photos"):
        certs = []
        if p.ocop_stars:
            certs.append(f"OCOP {p.ocop_stars} sao")
        if p.vietgap:
            certs.append("VietGAP")
        if p.other_certifications:
            certs.append(p.other_certifications)
        products.append({
            "id": p.pk, "name": p.name, "description": p.description, "price": p.price,
            "price_text": format_price(p.price), "unit": p.unit, "season": p.season, "certifications": certs,
            "photos": [{"id": ph.pk, "w": ph.width, "h": ph.height, "caption": ph.caption} for ph in p.photos.all()],
        })
    # a link or handle that carries a phone number (zalo.me/09…) shows it only with the phone consent
    shows_phone = (lambda t: contains_phone(t) and phone_consent is None)  # noqa: E731
    channels = [{"platform": c.get_platform_display(), "kind": c.kind, "url": c.address}
                for c in producer.channels.filter(kind__in=ONLINE_SELLING, ended_on__isnull=True, show_publicly=True)
                if c.is_link and not shows_phone(c.address)]
    path = f"/p/{producer.public_code}/"
    return {
        "code": producer.public_code, "name": producer.name, "kind": producer.get_kind_display(),
        "description": producer.description, "place": place_label(village),
        "commune": village.parent.name if village.parent_id else "",
        "owner": display_name(producer.person, page_consent.naming),
        "phone": producer.phone if phone_ok else "", "tel": digits,
        "zalo": f"https://zalo.me/{digits}" if digits else "",
        "messenger": "" if shows_phone(producer.messenger_url) else producer.messenger_url,
        "products": products, "channels": channels,
        "url": public_url(path, request), "path": path,
    }


def _hashtag(text: str) -> str:
    return "#" + "".join(w[:1].upper() + w[1:] for w in re.findall(r"\w+", text))


def social_post_text(view: dict) -> str:
    """A ready-to-paste Vietnamese social-network post."""
    lines = [f"{view['name']} – {view['place']}"]
    if view["description"]:
        lines.append(view["description"])
    lines.append("")
    for p in view["products"]:
        price = f": {p['price_text']}" + (f"/{p['unit']}" if p["unit"] else "") if p["price"] is not None else ""
        extra = [x for x in [("mùa " + p["season"]) if p["season"] else "", ", ".join(p["certifications"])] if x]
        lines.append(f"• {p['name']}{price}" + (f" ({'; '.join(extra)})" if extra else ""))
    lines.append("")
    contact = []
    if view["phone"]:
        contact.append(f"Gọi / Zalo: {view['phone']}")
    if view["messenger"]:
        contact.append(f"Nhắn tin: {view['messenger']}")
    if contact:
        lines.append("Đặt hàng – " + " · ".join(contact))
    lines.append(f"Xem sản phẩm: {view['url']}")
    tags = [_hashtag(p["name"]) for p in view["products"][:3]]
    if view["commune"]:
        tags.append(_hashtag(view["commune"].replace("Xã ", "").replace("Phường ", "")))
    if tags:
        lines.append(" ".join(dict.fromkeys(tags)))
    return "\n".join(lines).strip()


def listing_text(view: dict, product: dict) -> str:
    """A ready-to-paste marketplace listing for one product (title line, then the fields sellers fill)."""
    title = f"{product['name']} {view['commune'].replace('Xã ', '').replace('Phường ', '')}".strip()
    if product["certifications"]:
        title += " – " + ", ".join(product["certifications"])
    lines = [title[:120], ""]
    if product["price"] is not None:
        lines.append(f"Giá: {product['price_text']}" + (f"/{product['unit']}" if product["unit"] else ""))
    elif product["unit"]:
        lines.append(f"Đơn vị: {product['unit']}")
    if product["season"]:
        lines.append(f"Mùa vụ: {product['season']}")
    lines.append(f"Xuất xứ: {view['place']}")
    lines.append(f"Người bán: {view['name']}")
    if product["certifications"]:
        lines.append("Chứng nhận: " + ", ".join(product["certifications"]))
    if product["description"]:
        lines += ["", product["description"]]
    lines += ["", f"Thông tin và mã QR: {view['url']}"]
    return "\n".join(lines)


def search_producers(qs, q: str):
    """Accent-insensitive: every word of ``q`` must appear in the producer's or one of its products' text."""
    for word in fold(q).split():
        qs = qs.filter(Q(search_key__contains=word) | Q(products__search_key__contains=word))
    return qs.distinct()


# ----------------------------------------------------------------------------------------------------------
# Photos: validated, re-encoded (metadata such as GPS position dropped), stored under DATA_DIR/media

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
DISPLAY_SIZE = 1280
THUMB_SIZE = 480
ALLOWED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "MPO": "JPEG"}


@dataclass
class StoredPhoto:
    file: str
    thumb: str
    width: int
    height: int
    bytes: int
    thumb_bytes: int


def media_root() -> Path:
    """The photos' folder in the default (file-system) storage ``media``."""
    return files.root("media")


def store_photo(data: bytes, filename: str, folder: str) -> StoredPhoto:
    """Check and re-encode an uploaded photo; raise ``LivelihoodError`` saying what is wrong with it."""
    from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

    # weasyprint turns this on for the whole process when it is imported (ngoso.core.pdf turns it back off);
    # a photo cut off on the way must be refused, never padded with grey
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    if not data:
        raise LivelihoodError(_("«%(f)s» is empty.") % {"f": filename})
    if len(data) > MAX_PHOTO_BYTES:
        raise LivelihoodError(_("«%(f)s» is too big (%(mb).1f MB); a photo may be at most %(max)d MB.")
                              % {"f": filename, "mb": len(data) / 1048576, "max": MAX_PHOTO_BYTES // 1048576})
    try:
        im = Image.open(io.BytesIO(data))
        fmt = im.format
        w, h = im.size
        if w * h > MAX_PIXELS:
            raise LivelihoodError(_("«%(f)s» is %(w)d × %(h)d pixels, too large to process.") % {"f": filename, "w": w, "h": h})
        if fmt not in ALLOWED_FORMATS:
            raise LivelihoodError(_("«%(f)s» is a %(fmt)s file; send a JPEG, PNG or WebP photo.")
                                  % {"f": filename, "fmt": fmt})
        try:
            im.load()
        except OSError as exc:
            if "truncated" not in str(exc) and "broken data stream" not in str(exc):
                raise
            raise LivelihoodError(_("«%(f)s» is cut off: the photo did not arrive whole. Send it again.")
                                  % {"f": filename}) from exc
    except LivelihoodError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise LivelihoodError(_("«%(f)s» is not a photo we can read (JPEG, PNG or WebP).") % {"f": filename}) from exc
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        bg = Image.new("RGB", im.size, (255, 255, 255))
        bg.paste(im, mask=im.split()[-1])
        im = bg
    elif im.mode != "RGB":
        im = im.convert("RGB")
    big = im.copy()
    big.thumbnail((DISPLAY_SIZE, DISPLAY_SIZE))
    small = im.copy()
    small.thumbnail((THUMB_SIZE, THUMB_SIZE))
    stem = uuid.uuid4().hex
    big_buf, small_buf = io.BytesIO(), io.BytesIO()
    big.save(big_buf, "JPEG", quality=80, optimize=True, progressive=True)
    small.save(small_buf, "WEBP", quality=62, method=4)
    rel = f"livelihoods/{folder}"
    big_name = files.save("media", f"{rel}/{stem}.jpg", big_buf.getvalue())
    try:
        small_name = files.save("media", f"{rel}/{stem}.webp", small_buf.getvalue())
    except BaseException:
        files.delete("media", big_name)
        raise
    return StoredPhoto(big_name, small_name, big.width, big.height, big_buf.tell(), small_buf.tell())


def add_product_photo(product, data: bytes, filename: str, user, caption: str = ""):
    from .models import ProductPhoto

    permissions.require(user, "create", ProductPhoto(product=product))
    if product.photos.count() >= 6:
        raise LivelihoodError(_("A product has at most 6 photos; remove one first."))
    s = store_photo(data, filename, f"p{product.producer_id}")
    with _files_kept_only_if_saved(s):
        return ProductPhoto.objects.create(product=product, file=s.file, thumb=s.thumb, width=s.width,
                                           height=s.height, bytes=s.bytes, thumb_bytes=s.thumb_bytes,
                                           caption=caption[:160])


def add_story_photo(story, data: bytes, filename: str, user, caption: str = ""):
    from .models import StoryPhoto

    permissions.require(user, "create", StoryPhoto(story=story))
    if story.photos.count() >= 6:
        raise LivelihoodError(_("A story has at most 6 photos; remove one first."))
    s = store_photo(data, filename, f"s{story.pk}")
    with _files_kept_only_if_saved(s):
        photo = StoryPhoto.objects.create(story=story, file=s.file, thumb=s.thumb, width=s.width, height=s.height,
                                          bytes=s.bytes, thumb_bytes=s.thumb_bytes, caption=caption[:160])
        _back_to_draft(story)  # a new photo is new public content: it is approved like a text edit
    return photo


@contextmanager
def _files_kept_only_if_saved(stored: StoredPhoto):
    """Run the database writes for photo files already on disk, atomically; if they fail, the files go."""
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for rel in (stored.file, stored.thumb):
            files.delete("media", rel)
        raise


def delete_photo(photo, user=None) -> None:
    """Remove the row, then (once that is committed) its files: a failure never leaves a row without files.
    ``user``: who deletes it, checked (``None`` only for the app's own clean-ups)."""
    if user is not None:
        permissions.require(user, "delete", photo)
    names = [photo.file, photo.thumb]
    with transaction.atomic():
        story = getattr(photo, "story", None)
        photo.delete()
        if story is not None:
            _back_to_draft(story)  # removing a photo changes what was approved
        transaction.on_commit(lambda: [files.delete("media", n) for n in names])


# ----------------------------------------------------------------------------------------------------------
# Online channels

def add_channel(producer, user, *, kind: str, platform: str, since, address: str = "", skills=(),
                show_publicly: bool = True) -> OnlineChannel:
    permissions.require(user, "create", OnlineChannel(producer=producer))
    if kind not in ChannelKind.values:
        raise LivelihoodError(_("Unknown kind of channel: %(k)s") % {"k": kind})
    if since is None or since > timezone.localdate():
        raise LivelihoodError(_("Give the date the channel has been in use since (not in the future)."))
    address = (address or "").strip()
    if kind == ChannelKind.PAYMENT:
        show_publicly = False  # account numbers and wallets are never shown in public
        if re.fullmatch(r"[\d .-]{6,}", address):
            raise LivelihoodError(_("Do not record account numbers; write the bank or wallet name only."))
    with transaction.atomic():
        ch = OnlineChannel.objects.create(producer=producer, kind=kind, platform=platform, address=address[:300],
                                          since=since, show_publicly=show_publicly, recorded_by=user)
        ch.skills.set(list(skills))
    return ch


def end_channel(channel, user, on=None) -> OnlineChannel:
    permissions.require(user, "change", channel)
    on = on or timezone.localdate()
    if on < channel.since:
        raise LivelihoodError(_("A channel cannot stop before it started (%(d)s).") % {"d": channel.since.strftime("%d/%m/%Y")})
    channel.ended_on = on
    channel.save()
    return channel


# ----------------------------------------------------------------------------------------------------------
# Farming articles

def load_starter_articles() -> int:
    """Create the starter articles shipped with the package; refresh those nobody has edited since."""
    text = resources.files("ngoso.livelihoods").joinpath("data/articles.json").read_text("utf-8")
    n = 0
    for a in json.loads(text)["articles"]:
        obj = FarmingArticle.objects.filter(slug=a["slug"]).first()
        fields = {k: a[k] for k in ("title", "topic", "subject", "summary", "body", "source_type", "source")}
        fields["body"] = "\n".join(a["body"]) if isinstance(a["body"], list) else a["body"]
        if obj is None:
            obj = FarmingArticle(slug=a["slug"], origin="starter", **fields)
            obj.save()
            ArticleRevision.objects.create(article=obj, version=1, title=obj.title, summary=obj.summary,
                                           body=obj.body, source=obj.source, edited_by="system:starter")
            n += 1
        elif obj.origin == "starter" and obj.version == 1 and any(getattr(obj, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(obj, k, v)
            obj.save()
            ArticleRevision.objects.filter(article=obj, version=1).update(
                title=obj.title, summary=obj.summary, body=obj.body, source=obj.source)
    return n


def article_slug(title: str) -> str:
    """"Phòng trừ rầy nâu" -> "phong-tru-ray-nau"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:70].strip("-") or "bai-viet"


ARTICLE_FIELDS = ("title", "topic", "subject", "summary", "body", "source_type", "source", "active")


@transaction.atomic
def save_article(article: FarmingArticle | None, data: dict, user, slug: str = "") -> FarmingArticle:
    """Create or edit an article; each saved version is kept."""
    permissions.require(user, "create" if article is None else "change", article or FarmingArticle)
    missing = [f for f in ("title", "subject", "summary", "body", "source") if not str(data.get(f, "")).strip()]
    if missing:
        raise LivelihoodError(_("Fill in: %(f)s.") % {"f": ", ".join(missing)})
    if article is None:
        if not slug:
            base = article_slug(data["title"])
            slug, i = base, 2
            while FarmingArticle.objects.filter(slug=slug).exists():
                slug, i = f"{base}-{i}", i + 1
        article = FarmingArticle(slug=slug, origin="local", version=0)
    for f in ARTICLE_FIELDS:
        if f in data:
            setattr(article, f, data[f].strip() if isinstance(data[f], str) else data[f])
    article.version += 1
    article.updated_by = user
    article.save()
    ArticleRevision.objects.create(article=article, version=article.version, title=article.title,
                                   summary=article.summary, body=article.body, source=article.source,
                                   edited_by=user.get_username())
    return article


def search_articles(q: str = "", topic: str = "", subject: str = ""):
    """Accent-insensitive search: "banh nhom" finds "bánh nhôm", "dau" finds "đậu"; every word must match.
    Title matches come first."""
    qs = FarmingArticle.objects.filter(active=True)
    if topic:
        qs = qs.filter(topic=topic)
    if subject:
        qs = qs.filter(subject_key=fold(subject))
    words = fold(q).split()
    for w in words:
        qs = qs.filter(search_key__contains=w)
    results = list(qs)
    if words:
        key = fold(q)
        results.sort(key=lambda a: (0 if key in fold(a.title) else 1 if key in a.subject_key else 2, a.title))
    return results


def subjects() -> list[tuple[str, str, int]]:
    """(topic, subject, number of articles) for browsing by crop and animal."""
    from django.db.models import Count

    return [(r["topic"], r["subject"], r["n"]) for r in FarmingArticle.objects.filter(active=True)
            .values("topic", "subject").annotate(n=Count("id")).order_by("topic", "subject")]


def send_article(article, household, user, how: str = ArticleSend.How.ZALO, note: str = "") -> ArticleSend:
    permissions.require(user, "create", ArticleSend(household=household))
    if how not in ArticleSend.How.values:
        raise LivelihoodError(_("Unknown way of sending: %(h)s") % {"h": how})
    return ArticleSend.objects.create(article=article, household=household, how=how, sent_by=user, note=note[:200])


# ----------------------------------------------------------------------------------------------------------
# Success stories

STORY_FIELDS = ("title", "before", "change", "income_before", "income_after", "income_period", "figures", "quote",
                "producer")


@transaction.atomic
def save_story(story: SuccessStory | None, data: dict, user, resident=None) -> SuccessStory:
    """Write or edit a story. Editing an approved or published story sends it back to draft for approval."""
    if story is not None:
        permissions.require(user, "change", story)
    else:
        permissions.require(user, "create", SuccessStory(resident=resident) if resident is not None else SuccessStory)
    missing = [f for f in ("title", "before", "change")
               if not str(data.get(f, getattr(story, f, "") if story else "") or "").strip()]
    if missing:
        labels = [str(SuccessStory._meta.get_field(f).verbose_name) for f in missing]
        raise LivelihoodError(_("Fill in: %(f)s.") % {"f": ", ".join(labels)})
    if story is None:
        if resident is None:
            raise LivelihoodError(_("Choose the person the story is about."))
        story = SuccessStory(resident=resident, village=resident.household.village, written_by=user)
    producer = data.get("producer")
    if producer is not None and producer.household_id != story.resident.household_id:
        raise LivelihoodError(_("The producer must be the person's own household."))
    changed = False
    for f in STORY_FIELDS:
        if f in data:
            v = data[f].strip() if isinstance(data[f], str) else data[f]
            if getattr(story, f) != v:
                setattr(story, f, v)
                changed = True
    if changed and story.pk:
        _back_to_draft(story, save=False)
    story.save()
    return story


def _back_to_draft(story, save: bool = True) -> None:
    """An approved or published story whose public content changed waits for approval again."""
    if story.status in (SuccessStory.Status.APPROVED, SuccessStory.Status.PUBLISHED):
        story.status = SuccessStory.Status.DRAFT
        story.approved_by, story.approved_at, story.published_at = None, None, None
        if save:
            story.save()


def _story_texts(story) -> list[str]:
    return [story.title, story.before, story.change, story.quote, story.figures] + [p.caption for p in story.photos.all()]


def _story_public_texts(story, consent) -> list[str]:
    """The texts as the public page shows them (the full name already replaced where consent allows)."""
    shown = display_name(story.resident, consent.naming)
    return [_replace_name(t, story.resident, shown, STORY_FALLBACK_NAME) for t in _story_texts(story)]


def story_problems(story, consent=None) -> list[str]:
    problems = []
    consent = consent or consent_in_force(story.resident, Purpose.STORY, story)
    if consent is None:
        problems.append(_("%(name)s's consent to publish this story is not recorded.") % {"name": story.resident.full_name})
    else:
        problems += name_problems(_story_public_texts(story, consent), story.resident, consent.naming,
                                  story.resident.household.residents.all())
    return problems


def approve_story(story, user) -> SuccessStory:
    permissions.require(user, "approve", story)
    if story.status != SuccessStory.Status.DRAFT:
        raise LivelihoodError(_("Only a draft can be approved."))
    problems = story_problems(story)
    if problems:
        raise LivelihoodError(" ".join(problems))
    story.status, story.approved_by, story.approved_at = SuccessStory.Status.APPROVED, user, timezone.now()
    story.save()
    return story


def publish_story(story, user) -> SuccessStory:
    permissions.require(user, "approve", story)
    if story.status != SuccessStory.Status.APPROVED:
        raise LivelihoodError(_("A story must be approved before it is published."))
    problems = story_problems(story)
    if problems:
        raise LivelihoodError(" ".join(problems))
    story.status, story.published_at = SuccessStory.Status.PUBLISHED, timezone.now()
    story.save()
    return story


def withdraw_story(story, user) -> SuccessStory:
    if not (can_approve(user, story) or (can_edit(user, story) and story.written_by_id == user.pk)):
        raise PermissionDenied
    story.status = SuccessStory.Status.WITHDRAWN
    story.save()  # saved first: a failure on the radio side must never undo the withdrawal
    withdraw_story_bulletin(story, _("The story was withdrawn from publication."))
    return story


def withdraw_story_bulletin(story, reason: str) -> bool:
    """Tell the radio that the bulletin made from ``story`` may no longer be aired (True if it was told).
    Nothing to do without a bulletin, or while the radio module is not installed."""
    ref = story.bulletin_ref
    if not ref:
        return False
    try:
        from ngoso.radio import services as radio
    except ModuleNotFoundError as exc:
        if exc.name in ("ngoso.radio", "ngoso.radio.services"):
            return False  # the radio module is not installed: there is no bulletin to withdraw
        raise
    radio.withdraw_bulletin(int(ref) if ref.isdigit() else ref, reason)
    return True


def erase_story_bulletin(story) -> bool:
    """Erasure on request: the bulletin made from ``story`` (and its copies) loses every word and sound of it
    (``radio.services.erase_bulletin``). Withdrawing (above) only archives; an erased person must not stay named."""
    ref = story.bulletin_ref
    if not ref:
        return False
    try:
        from ngoso.radio import services as radio
    except ModuleNotFoundError as exc:
        if exc.name in ("ngoso.radio", "ngoso.radio.services"):
            return False
        raise
    return bool(radio.erase_bulletin(ref))


def story_consents(stories) -> dict:
    """{story id: its consent in force or None} for many stories in one query."""
    whose = {s.pk: s.resident_id for s in stories}
    latest = {}
    for c in (PublicConsent.objects.filter(purpose=Purpose.STORY, story__in=list(whose))
              .order_by("story_id", "-recorded_at", "-id")):
        if c.resident_id == whose[c.story_id]:
            latest.setdefault(c.story_id, c)
    return {pk: (c if c.given else None) for pk, c in latest.items()}


_ASK = object()  # "look the consent up" (None means: known to be missing)


def story_is_public(story, consent=_ASK) -> bool:
    """Published, with the person's consent in force, and naming nobody the consent does not allow."""
    if story.status != SuccessStory.Status.PUBLISHED:
        return False
    if consent is _ASK:
        consent = consent_in_force(story.resident, Purpose.STORY, story)
    return consent is not None and not story_problems(story, consent)


STORY_FALLBACK_NAME = "một người dân"


def public_story(story, request=None, *, consent=_ASK, producer_public: bool | None = None) -> dict | None:
    """What the public story page shows (the person named only as their consent allows), or None.
    Lists pass ``consent`` (from ``story_consents``) and ``producer_public`` to spare queries per story."""
    if story.status != SuccessStory.Status.PUBLISHED:
        return None
    if consent is _ASK:
        consent = consent_in_force(story.resident, Purpose.STORY, story)
    if not story_is_public(story, consent):
        return None
    r = story.resident
    shown = display_name(r, consent.naming)
    clean = lambda t: _replace_name(t, r, shown, STORY_FALLBACK_NAME)  # noqa: E731
    if producer_public is None:
        producer_public = bool(story.producer_id) and is_public(story.producer)
    producer = story.producer if story.producer_id and producer_public else None
    return {
        "code": story.public_code, "title": clean(story.title), "who": shown, "place": place_label(story.village),
        "commune": story.village.parent.name if story.village.parent_id else "",
        "before": clean(story.before), "change": clean(story.change), "quote": clean(story.quote),
        "figures": clean(story.figures),
        "income_before": story.income_before, "income_after": story.income_after,
        "income_before_text": format_price(story.income_before), "income_after_text": format_price(story.income_after),
        "income_period": story.get_income_period_display(), "period": story.income_period,
        "published_at": story.published_at,
        "photos": [{"id": p.pk, "w": p.width, "h": p.height, "caption": clean(p.caption)} for p in story.photos.all()],
        "producer_path": f"/p/{producer.public_code}/" if producer else "",
        "url": public_url(f"/stories/{story.public_code}/", request),
    }


# ----------------------------------------------------------------------------------------------------------
# Radio: spoken texts (pure) and bulletins (through ngoso.radio)

_URL = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_NOT_SPOKEN = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200d#*•▪►✓✔]")


def spoken(text: str) -> str:
    """Plain text for a voice: no links, emojis, bullets or hashtags; one sentence per line joined."""
    text = _URL.sub("", text or "")
    text = _NOT_SPOKEN.sub("", text)
    sentences = []
    for line in text.splitlines():
        line = re.sub(r"^\s*[-–+\d]+[.)]\s+|^\s*[-–+]\s+", "", line).strip()
        if not line:
            continue
        if line[-1] not in ".!?:;":
            line += "."
        sentences.append(line)
    return re.sub(r"\s+", " ", " ".join(sentences)).strip()


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def story_spoken_text(view: dict) -> str:
    """The text a loudspeaker reads for a published story (built from ``public_story``)."""
    who = view["who"]
    subject = _cap(who) if who else "Một người dân"
    per = "mỗi tháng" if view["period"] == "month" else "mỗi năm"
    parts = [f"Câu chuyện hay ở {view['place']}: {view['title']}.",
             f"Đây là câu chuyện của {who}." if who else "", view["before"], view["change"]]
    if view["income_before"] is not None and view["income_after"] is not None:
        parts.append(f"Thu nhập từ khoảng {money_words(view['income_before'])} {per} "
                     f"nay đã lên khoảng {money_words(view['income_after'])} {per}.")
    elif view["income_after"] is not None:
        parts.append(f"Thu nhập nay đạt khoảng {money_words(view['income_after'])} {per}.")
    if view["figures"]:
        parts.append(view["figures"])
    if view["quote"]:
        parts.append(f"{subject} chia sẻ: {view['quote']}")
    parts.append("Bà con muốn học cách bán hàng qua mạng, thanh toán không dùng tiền mặt, xin liên hệ "
                 "tổ công nghệ số cộng đồng ở thôn, xã mình để được hướng dẫn miễn phí.")
    return spoken("\n".join(parts))


def article_spoken_text(article) -> str:
    parts = [f"Bản tin khuyến nông: {article.title}.", article.summary, article.body,
             f"Thông tin theo {article.source}." if article.source else "",
             "Bà con cần hướng dẫn thêm, xin liên hệ cán bộ khuyến nông hoặc tổ công nghệ số cộng đồng của xã."]
    return spoken("\n".join(p for p in parts if p))


def story_to_bulletin(story, user):
    """One step: a draft radio bulletin (category "story") from a published story, awaiting commune approval."""
    # looked up when called: the radio app may be replaced as a whole (tests/livelihoods/test_livelihoods.py fake_radio)
    from ngoso.radio.services import create_bulletin

    if not can_make_bulletin(user):
        raise PermissionDenied
    view = public_story(story)
    if view is None:
        raise LivelihoodError(_("Only a published story with the person's consent can go on the radio."))

    commune = story.village.parent if story.village.parent_id else story.village
    bulletin = create_bulletin(title=f"Câu chuyện hay: {view['title']}"[:200], text=story_spoken_text(view),
                               category="story", place=commune, author=user, priority="normal",
                               source=f"livelihoods.story:{story.uuid}")
    story.bulletin_ref = str(getattr(bulletin, "pk", "") or "")[:40]
    story.save(update_fields=["bulletin_ref", "updated_at"])
    return bulletin


def article_to_bulletin(article, place, user):
    """One step: a draft radio bulletin (category "agriculture") from a farming article, for ``place``."""
    # looked up when called: the radio app may be replaced as a whole (tests/livelihoods/test_livelihoods.py fake_radio)
    from ngoso.radio.services import create_bulletin

    if not can_make_bulletin(user):
        raise PermissionDenied

    if not can_see_place(user, place):
        raise PermissionDenied

    return create_bulletin(title=article.title[:200], text=article_spoken_text(article), category="agriculture",
                           place=place, author=user, priority="normal",
                           source=f"livelihoods.article:{article.slug}@v{article.version}")


def radio_available() -> bool:
    try:
        from ngoso.radio.services import create_bulletin  # noqa: F401
    except ImportError:
        return False
    return True


def import_articles(data: bytes, filename: str, user) -> list[FarmingArticle]:
    """Add or update articles from a JSON file in the format of ``data/articles.json``. Every article is
    checked first; on any error nothing is written and the errors say which article and which field."""
    from django.core.exceptions import ValidationError

    from .models import ArticleTopic, SourceType

    permissions.require(user, "create", FarmingArticle)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
        items = doc["articles"] if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise ValueError
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise LivelihoodError(_("«%(f)s» is not a JSON file with a list of articles.") % {"f": filename}) from exc
    errors, clean, seen = [], [], {}
    for i, a in enumerate(items, start=1):
        if not isinstance(a, dict):
            errors.append(_("Article %(i)d: not an object.") % {"i": i})
            continue
        where = _("Article %(i)d («%(t)s»)") % {"i": i, "t": str(a.get("title", ""))[:60]}
        body = "\n".join(a["body"]) if isinstance(a.get("body"), list) else str(a.get("body", ""))
        row = {"title": str(a.get("title", "")).strip(), "topic": a.get("topic", ""), "subject": str(a.get("subject", "")).strip(),
               "summary": str(a.get("summary", "")).strip(), "body": body.strip(), "source_type": a.get("source_type", ""),
               "source": str(a.get("source", "")).strip(), "active": True}
        slug = str(a.get("slug") or "").strip() or article_slug(row["title"])
        if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug) or len(slug) > 80:
            errors.append(f"{where}: " + _("slug «%(s)s» must be lower-case letters a–z, digits and dashes "
                                           "(at most 80)") % {"s": slug[:90]})
        elif slug in seen:
            errors.append(f"{where}: " + _("slug «%(s)s» is already used by article %(i)d of this file")
                          % {"s": slug, "i": seen[slug]})
        else:
            seen[slug] = i
        missing = [k for k in ("title", "subject", "summary", "body", "source") if not row[k]]
        if missing:
            errors.append(f"{where}: " + _("Fill in: %(f)s.") % {"f": ", ".join(missing)})
        if row["topic"] not in ArticleTopic.values:
            errors.append(f"{where}: " + _("topic must be one of %(v)s") % {"v": ", ".join(ArticleTopic.values)})
        if row["source_type"] not in SourceType.values:
            errors.append(f"{where}: " + _("source_type must be one of %(v)s") % {"v": ", ".join(SourceType.values)})
        for k in ("title", "subject", "summary", "body", "source"):
            limit = field_max_length(FarmingArticle, k)
            found = bad_character(row[k], multiline=k == "body")
            if found is not None:
                errors.append(f"{where}: " + _("%(k)s holds the control character %(c)s at position %(p)d; remove it")
                              % {"k": k, "c": char_name(found[1]), "p": found[0] + 1})
            elif len(row[k]) > limit:
                errors.append(f"{where}: " + _("%(k)s is longer than %(n)d characters") % {"k": k, "n": limit})
        clean.append((slug, row))
    if errors:
        raise LivelihoodError("; ".join(errors))
    out = []
    with transaction.atomic():
        for slug, row in clean:
            existing = FarmingArticle.objects.filter(slug=slug).first()
            if existing is not None and all(getattr(existing, k) == v for k, v in row.items()):
                out.append(existing)  # the same article again: no new version
                continue
            try:
                out.append(save_article(existing, row, user, slug=slug))
            except ValidationError as exc:  # pragma: no cover - checked above
                raise LivelihoodError(str(exc)) from exc
    return out
