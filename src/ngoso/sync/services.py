"""Sync between the field app and the server: push (idempotent, per-record results) and pull (chunked,
resumable). See docs/sync.md for the protocol."""

from __future__ import annotations

import base64
import datetime
import functools
import json
import uuid as uuidlib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ngoso.accounts import audit, permissions
from ngoso.accounts.scope import scoped
from ngoso.core import clean
from ngoso.core.text import vi_order
from ngoso.core.messages import Message, UserError, both, reason, render
from ngoso.lessons.content import language_for_ethnicity
from ngoso.lessons.models import LessonVersion
from ngoso.lessons.services import offline_payload
from ngoso.people import privacy
from ngoso.people import registration as reg
from ngoso.people.models import Erasure, Ethnicity, Household, Resident
from ngoso.people.registration import deferred_figures
from ngoso.places.models import Level as PlaceLevel, Place
from ngoso.skills.models import Catalogue, Skill
from ngoso.visits import services as visits
from ngoso.visits.models import Assignment, Visit

from .models import AppliedEdit, DeviceToken, SyncConflict

PROTOCOL = 1
MAX_RECORDS = 1000
DEFAULT_PAGE = 250
MAX_PAGE = 1000
SKEW_TOLERANCE = datetime.timedelta(hours=12)



class SyncError(UserError, ValueError):
    """The request as a whole is unusable (HTTP 400): the message says what and where."""

    def __init__(self, message=None, status: int = 400, code: str | None = None, details=None, **params):
        super().__init__(message, code=code, **params)
        self.status, self.details = status, details


def parse_body(body: bytes) -> dict:
    if not body:
        raise SyncError(_("Empty request"))
    try:
        data = clean.json_loads(body)  # no NaN, Infinity, 1e400 or deep nesting
    except clean.CleanError as exc:
        raise SyncError(exc, code="bad_json") from None
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise SyncError(_("Missing the 'records' list"))
    if len(data["records"]) > MAX_RECORDS:
        raise SyncError(_("Too many records in one batch (at most %(MAX_RECORDS)s)"), 413, MAX_RECORDS=MAX_RECORDS)
    return data


def _clock_skew(sent_at) -> datetime.timedelta:
    """How far the device's clock is behind the server's (positive: the phone is slow)."""
    if not sent_at:
        return datetime.timedelta(0)
    try:
        dt = clean.datetime_(sent_at, "sent_at")
    except clean.CleanError as exc:
        raise SyncError(exc, details={"field": "sent_at"}) from None
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    skew = timezone.now() - dt
    return skew if abs(skew) > SKEW_TOLERANCE else datetime.timedelta(0)


def _date(value, field: str, shift: datetime.timedelta) -> datetime.date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise visits.VisitError(_("'%(field)s' must be a YYYY-MM-DD string"), field=field)
    try:
        d = clean.date(value, field)
    except clean.CleanError as exc:
        raise visits.VisitError(exc, field=field) from None
    return d + datetime.timedelta(days=round(shift.total_seconds() / 86400))


def _list(rec: dict, field: str) -> list:
    value = rec.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise visits.VisitError(_("'%(field)s' must be a list"), field=field)
    return value


def _ref(value, field: str) -> str:
    """A reference sent by the phone (a code, a UUID, a pk): a short string or a whole number."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    try:
        return clean.text(value, field, max_length=64)
    except clean.CleanError as exc:
        raise visits.VisitError(exc, field=field) from None


def push(device: DeviceToken, data: dict) -> dict:
    """Apply a batch. Visits are append-only (never conflict); edits resolve field by field."""
    user = device.user
    shift = _clock_skew(data.get("sent_at"))
    results: list[dict | None] = [None] * len(data["records"])
    visit_items, visit_pos = [], []
    edits, registrations = [], []
    for i, rec in enumerate(data["records"]):
        if not isinstance(rec, dict):
            results[i] = {"index": i, "status": "rejected", **_said(_("A record is not a JSON object"))}
            continue
        rid = str(rec.get("uuid", ""))
        try:
            uid = uuidlib.UUID(rid)
        except ValueError:
            results[i] = {"index": i, "uuid": rid, "status": "rejected", "field": "uuid",
                          **_said(_("Missing or invalid record UUID"))}
            continue
        kind = rec.get("type")
        try:
            if kind == "visit":
                visit_items.append(_visit_in(rec, uid, shift))
                visit_pos.append(i)
            elif kind in ("household", "resident"):
                edits.append((i, uid, kind, rec))
            elif kind in REGISTRATION_ORDER:
                registrations.append((REGISTRATION_ORDER[kind], i, uid, kind, rec))
            else:
                raise visits.VisitError(_("Unknown record type: %(kind)s"), field="type", kind=f"{kind!r}")
        except visits.VisitError as exc:
            results[i] = {"index": i, "uuid": rid, "status": "rejected", "field": exc.field, "error": exc.vi,
                          "error_en": exc.en}
    # households and residents found at the door go in first, so that the batch's visits may name them
    if registrations:
        with deferred_figures():
            for _order, i, uid, kind, rec in sorted(registrations, key=lambda r: (r[0], r[1])):
                results[i] = {"index": i, "uuid": str(uid), **_register(device, uid, kind, rec, shift)}
    if visit_items:
        for pos, out in zip(visit_pos, visits.record_visits(user, visit_items, source=Visit.Source.SYNC)):
            results[pos] = {"index": pos, **out.as_dict()}
    if edits:

        with deferred_figures():  # the figures brought along once for the batch's edits
            for i, uid, kind, rec in edits:
                results[i] = {"index": i, "uuid": str(uid), **_apply_edit(device, uid, kind, rec)}
    counts = {s: sum(1 for r in results if r and r["status"] == s) for s in ("created", "duplicate", "rejected")}
    out = {"protocol": PROTOCOL, "server_time": timezone.now().isoformat(), "counts": counts, "results": results}
    if shift:
        days = round(shift.total_seconds() / 86400)
        out["clock_skew_days"] = days
        out["warning"] = both(Message(_("The phone's clock is %(n)s days off; dates were corrected to the server's. "
                                        "Please set the phone's date."), n=abs(days)))
    return out


REGISTRATION_ORDER = {"new_household": 0, "new_resident": 1, "life_event": 2, "move_in": 3}


def _register(device: DeviceToken, uid, kind: str, rec: dict, shift) -> dict:
    """A household or resident registered on the phone, or a life event (``people.registration``):
    idempotent by the record's UUID (a household's or resident's own UUID; a life event's in AppliedEdit)."""
    from django.core.exceptions import PermissionDenied

    user = device.user
    try:
        if kind == "new_household":
            village = scoped(Place.objects.filter(level=PlaceLevel.VILLAGE), user).filter(
                code=_ref(rec.get("village", ""), "village")).first()
            if village is None:
                return _rejected("village", _("No such village in your area"))
            access = rec.get("access") or {}
            if not isinstance(access, dict):
                return _rejected("access", _("'access' must be an object"))
            hh, created = reg.register_household(
                user, uuid=uid, village=village, alley=rec.get("alley", ""), house_number=rec.get("house_number", ""),
                address=rec.get("address", ""), latitude=rec.get("latitude"), longitude=rec.get("longitude"),
                access=access)
            return {"status": "created" if created else "duplicate", "household": hh.code}
        if kind == "new_resident":
            hh = scoped(Household.objects.select_related("village"), user).filter(
                code=_ref(rec.get("household", ""), "household")).first()
            if hh is None:
                return _rejected("household", _("No such household in your area"))
            consent = rec.get("consent")
            res, created = reg.register_resident(
                user, uuid=uid, household=hh, full_name=rec.get("full_name"), sex=rec.get("sex"),
                birth_year=rec.get("birth_year"), ethnicity=rec.get("ethnicity") or "01",
                relation=rec.get("relation") or "other", phone=rec.get("phone", ""),
                disability=rec.get("disability", False), consent=consent if isinstance(consent, dict) else None)
            return {"status": "created" if created else "duplicate"}
        if kind == "move_in":  # someone registered in another village: a request for staff to complete
            hh = scoped(Household.objects.select_related("village"), user).filter(
                code=_ref(rec.get("household", ""), "household")).first()
            if hh is None:
                return _rejected("household", _("No such household in your area"))
            from_village = None
            if rec.get("from_village"):
                from_village = Place.objects.filter(level=PlaceLevel.VILLAGE,
                                                    code=_ref(rec["from_village"], "from_village")).first()
                if from_village is None:
                    return _rejected("from_village", _("No such village"))
            req, created = reg.request_move_in(
                user, uuid=uid, household=hh, full_name=rec.get("full_name"), birth_year=rec.get("birth_year"),
                sex=rec.get("sex") or "", from_village=from_village, from_text=rec.get("from") or "",
                relation=rec.get("relation") or "other", on=_date(rec.get("on"), "on", shift))
            return {"status": "created" if created else "duplicate", "pending": req.status == "pending"}
        # a life event: moved away, died, came back, moved to another household
        if AppliedEdit.objects.filter(uuid=uid).exists():
            return {"status": "duplicate"}
        try:
            res = scoped(Resident.objects.select_related("household__village"), user).filter(
                uuid=uuidlib.UUID(str(rec.get("resident")))).first()
        except ValueError:
            res = None
        if res is None:
            return _rejected("resident", _("No such resident in your area"))
        target = None
        if rec.get("event") == "move":
            target = scoped(Household.objects.select_related("village"), user).filter(
                code=_ref(rec.get("household", ""), "household")).first()
            if target is None:
                return _rejected("household", _("No such household in your area"))
        on = _date(rec.get("on"), "on", shift)
        with transaction.atomic():
            reg.life_event(user, res, str(rec.get("event")), on=on, moved_to=rec.get("moved_to", ""),
                           household=target, relation=rec.get("relation"))
            AppliedEdit.objects.create(uuid=uid, device=device)
        return {"status": "created"}
    except reg.RegistrationError as exc:
        return _rejected(exc.field, exc)
    except visits.VisitError as exc:
        return _rejected(exc.field, exc)
    except PermissionDenied as exc:
        return _denied(kind, exc, _("You may not register this here"))


def _said(message) -> dict:
    """The protocol's ``error`` and ``error_en``: the one message (a msgid, a ``UserError``) in each language."""
    return {"error": render(message, "vi"), "error_en": render(message, "en")}


def _rejected(field, message) -> dict:
    """A record refused, naming the field."""
    return {"status": "rejected", "field": field, **_said(message)}


def _denied(field, exc, otherwise) -> dict:
    """A record refused by ``accounts.permissions``: its message in both languages when it is one msgid
    (``reason``), else its text as it is and ``otherwise`` in English."""
    why = exc.args[0] if exc.args else ""
    if isinstance(why, (Message, Promise)):
        return _rejected(field, why)
    return {"status": "rejected", "field": field, "error": reason(exc), "error_en": render(otherwise, "en")}


def _visit_in(rec: dict, uid, shift) -> visits.VisitIn:
    results = []
    for r in _list(rec, "results"):
        try:
            level = r["level"]
            if isinstance(level, bool) or not isinstance(level, int):
                raise TypeError
            results.append(visits.SkillResult(_ref(r["resident"], "results.resident"), _ref(r["skill"], "results.skill"),
                                              level))
        except (KeyError, TypeError):
            raise visits.VisitError(_("A skill result lacks resident, skill or level (a whole number)"),
                                    field="results") from None
    try:
        client_at = clean.datetime_(rec.get("recorded_at"), "recorded_at")
        note = clean.model_text(Visit, "note", rec.get("note"))
    except clean.CleanError as exc:
        raise visits.VisitError(exc, field=exc.field) from None
    if client_at is not None and timezone.is_naive(client_at):
        client_at = timezone.make_aware(client_at)
    return visits.VisitIn(
        household=_ref(rec.get("household", ""), "household"),
        visited_on=_date(rec.get("visited_on"), "visited_on", shift),
        present=[_ref(p, "present") for p in _list(rec, "present")], results=results, note=note,
        next_visit_on=_date(rec.get("next_visit_on"), "next_visit_on", shift), uuid=uid,
        client_recorded_at=client_at + shift if client_at else None)


def _apply_edit(device: DeviceToken, uid, kind: str, rec: dict) -> dict:
    """An edit made offline (``people.registration.edit``): the fields that changed on the server since the
    phone's pull are not written but kept as ``SyncConflict`` rows for a leader; idempotent by the edit's UUID."""
    from django.core.exceptions import PermissionDenied

    from ngoso.people import registration as reg

    user = device.user
    if AppliedEdit.objects.filter(uuid=uid).exists():
        return {"status": "duplicate"}
    if not permissions.can(user, "change", Household if kind == "household" else Resident):  # area: scoped below
        return {"status": "rejected", **_said(_("You may not edit people"))}
    if kind == "household":
        obj = scoped(Household.objects.select_related("village"), user).filter(code=str(rec.get("household"))).first()
    else:
        try:
            obj = scoped(Resident.objects.select_related("household__village"), user).filter(
                uuid=uuidlib.UUID(str(rec.get("resident")))).first()
        except ValueError:
            obj = None
    if obj is None:
        return _rejected(kind, _("No such household/resident in your area"))
    changes = rec.get("changes")
    if not isinstance(changes, dict) or not changes:
        return _rejected("changes", _("Missing 'changes'"))
    plan = {}
    for field, change in changes.items():
        if not isinstance(change, dict) or "to" not in change:
            return _rejected(field, Message(_("Field '%(field)s' cannot be edited"), field=field))
        plan[field] = (change.get("from"), change["to"])
    base = None
    if rec.get("base") not in (None, ""):
        try:
            base = clean.datetime_(rec.get("base"), "base")
        except clean.CleanError as exc:
            return _rejected("base", exc)
        if timezone.is_naive(base):
            base = timezone.make_aware(base)
    consent = rec.get("consent") if isinstance(rec.get("consent"), dict) else None
    village = obj.village if kind == "household" else obj.household.village
    try:
        with transaction.atomic():
            conflicts = reg.edit(user, obj, plan, base=base, consent=consent, fp=rec.get("fp"))
            SyncConflict.objects.bulk_create([SyncConflict(
                place_path=village.path, model=kind, object_code=obj.code if kind == "household" else str(obj.uuid),
                household=obj if kind == "household" else None, resident=obj if kind == "resident" else None,
                edit_uuid=uid, field=field, base=_shown(plan[field][0]), theirs=_shown(theirs), mine=_shown(mine),
                value=mine, device=device, edited_by=user.get_username()) for field, theirs, mine in conflicts])
            AppliedEdit.objects.create(uuid=uid, device=device)
    except reg.RegistrationError as exc:
        return _rejected(exc.field, exc)
    except PermissionDenied as exc:
        return _denied(kind, exc, _("You may not edit this here"))
    return {"status": "created", "conflicts": [field for field, _t, _m in conflicts]}


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return both(_("yes") if value else _("no"))  # kept as data, for readers of either language
    return str(value)


def resolve_conflict(user, conflict: SyncConflict, choice: str) -> None:
    """A team leader or commune staff decides a conflicting offline edit: ``"mine"`` writes the phone's value
    (checked again as an edit, audited on the record), ``"theirs"`` keeps the server's. The decision itself is
    audited (who, when, which). A conflict already decided is left as it is."""
    from ngoso.people import registration as reg

    if choice not in (SyncConflict.Status.MINE, SyncConflict.Status.THEIRS):
        raise reg.RegistrationError(_("Choose the phone's value or the server's"), field="choice")
    permissions.require(user, "change", conflict)
    with transaction.atomic(), audit.acting_as(user):
        conflict = SyncConflict.objects.select_for_update().get(pk=conflict.pk)
        if conflict.status != SyncConflict.Status.PENDING:
            return
        if choice == SyncConflict.Status.MINE:
            obj = conflict.resident if conflict.model == "resident" else conflict.household
            if obj is None:
                raise reg.RegistrationError(_("This household/resident is gone"), field="object")
            reg.set_field(user, obj, conflict.field, conflict.value)
        conflict.status, conflict.resolved_by, conflict.resolved_at = choice, user.get_username(), timezone.now()
        conflict.seen = True
        conflict.save()


def pending_conflicts(user, place_path: str = ""):
    """The conflicts waiting for a decision that ``user`` may see (their area), oldest first."""
    qs = scoped(SyncConflict.objects.filter(status=SyncConflict.Status.PENDING), user)
    if place_path:
        qs = qs.filter(place_path__startswith=place_path)
    return qs.order_by("at", "id")


# --- pull ------------------------------------------------------------------------------------------------

CURSOR_VERSION = 2  # 2: the phone holds only the households the member answers for, in the least-data shape


@dataclass
class Cursor:
    since: str | None = None     # changes after this server time (None: everything)
    after: int = 0               # households with a larger id still to send in this round
    started: str | None = None   # server time when this round began (the next round's ``since``)
    version: int = CURSOR_VERSION  # a cursor of an older protocol makes the next round a full one
    purge: bool = False          # this round ends by removing every household of the area the phone must not hold

    def encode(self) -> str:
        raw = {"s": self.since, "a": self.after, "t": self.started, "v": self.version}
        if self.purge:
            raw["p"] = 1
        raw = json.dumps(raw).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> "Cursor":
        if not text:
            return cls()
        try:
            if len(text) > 400:
                raise ValueError
            raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            if not isinstance(raw, dict):
                raise ValueError
            after, version = raw.get("a") or 0, raw.get("v") or 1
            for number in (after, version):
                if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < 2 ** 63:
                    raise ValueError
            for key in ("s", "t"):  # server times this server wrote: real moments or nothing
                if raw.get(key) is not None:
                    clean.datetime_(raw[key], "cursor")
            cur = cls(raw.get("s"), after, raw.get("t"), version, bool(raw.get("p")))
        except (ValueError, TypeError, json.JSONDecodeError):
            raise SyncError(_("Invalid sync cursor; start the sync again")) from None
        if cur.version < CURSOR_VERSION:
            # the phone was filled by an older protocol (the whole village, every field): a full round re-sends
            # its households in today's shape, and the last page removes the ones it must no longer hold
            return cls(purge=True)
        return cur


def held_households(user):
    """The households the user's phone holds: those the member answers for (their open assignments, and a
    team leader's team's), within their area. Nothing else of the area goes to a phone (decision 0007)."""

    return scoped(Household.objects.filter(id__in=privacy.responsible_household_ids(user)), user)


def pull(user, cursor_text: str | None, limit: int = DEFAULT_PAGE, catalogue_version: str | None = None,
         lessons_version: str | None = None, language: str | None = None) -> dict:
    """One page of the households the member answers for (docs/sync.md "Pull"); ``language`` is the app's
    ("en": its lesson library comes in English too)."""

    cur = Cursor.decode(cursor_text)
    limit = max(1, min(int(limit), MAX_PAGE))
    started = cur.started or timezone.now().isoformat()
    # only the households the member answers for: found through the assignment index, never by walking the
    # villages of the area
    qs = held_households(user)
    since = parse_datetime(cur.since) if cur.since else None
    if since is not None and timezone.is_naive(since):
        since = timezone.make_aware(since)
    if since is not None:
        # EXISTS per household (through each table's household index), not joins: joining residents,
        # visits and assignments multiplies rows by the household's whole history
        qs = qs.filter(Q(updated_at__gt=since)
                       | Exists(Resident.objects.filter(household=OuterRef("pk"), updated_at__gt=since))
                       | Exists(Visit.objects.filter(household=OuterRef("pk"), recorded_at__gt=since))
                       | Exists(Assignment.objects.filter(household=OuterRef("pk"), changed_at__gt=since)))
    ids = list(qs.filter(id__gt=cur.after).order_by("id").values_list("id", flat=True)[:limit])
    page = list(Household.objects.filter(id__in=ids).select_related("village", "status").order_by("id"))
    # residents as plain rows: a page holds hundreds, and model instances cost more than the query
    residents: dict[int, list[dict]] = {h.pk: [] for h in page}
    for r in Resident.objects.filter(household_id__in=ids, status="").values(
            "id", "household_id", "uuid", "full_name", "birth_year", "sex", "relation", "ethnicity__code",
            "phone", "disability", "updated_at"):
        residents[r["household_id"]].append(r)
    member = visits.member_for(user)
    mine = set(Assignment.objects.filter(member=member, ended_on__isnull=True, household_id__in=ids)
               .values_list("household_id", flat=True)) if member else set()
    levels = visits.levels_by_resident([r["id"] for rs in residents.values() for r in rs])
    skills = dict(Skill.objects.filter(catalogue__is_current=True).values_list("id", "code"))
    prios = {p.household.pk: p for p in visits.priorities(Household.objects.filter(id__in=mine))} if mine else {}
    langs = _lesson_languages()
    out = {"protocol": PROTOCOL, "households": [
        _household(h, residents[h.pk], h.pk in mine, levels, skills, prios.get(h.pk), langs,
                   privacy.visible_fields(user, h, responsible=True)) for h in page]}
    done = len(ids) < limit
    if done:
        out["complete"] = True
        out["cursor"] = Cursor(since=started, after=0).encode()
        out["assigned"] = sorted(Household.objects.filter(assignments__member=member, assignments__ended_on__isnull=True)
                                 .values_list("code", flat=True)) if member else []
        held = set(held_households(user).values_list("code", flat=True))
        out["held"] = sorted(held)
        out["removed"] = _removed(user, cur, since, held)
        out["catalogue"] = catalogue_payload(catalogue_version)
        out["day"] = visits.day_payload(user, member)  # the web's today list, in its order and words
        out["registration"] = registration_payload(user)
        out["lessons"] = offline_payload(user, lessons_version, "en" if language == "en" else "vi")
    else:
        out["complete"] = False
        out["cursor"] = Cursor(since=cur.since, after=ids[-1], started=started, purge=cur.purge).encode()
    return out


def _removed(user, cur: Cursor, since, held: set[str]) -> list[str]:
    """Codes the phone must delete (tombstones): households erased, and households the member no longer
    answers for (an assignment ended or moved to someone else) since the last round. Deleting a code the phone
    does not hold is a no-op, so the list may be sent again at no harm (idempotent)."""

    gone = Erasure.objects.filter(household_removed=True)
    if since is not None:
        gone = gone.filter(requested_at__gt=since)
    codes = set(scoped(gone, user).values_list("household_code", flat=True))
    ended = Assignment.objects.filter(member_id__in=privacy.responsible_member_ids(user), ended_on__isnull=False)
    if since is not None:
        # ``assign`` ends an assignment with update_fields=["ended_on"], which leaves ``changed_at`` as it was:
        # the end date catches those (a tombstone sent again for the rest of that day is harmless)
        ended = ended.filter(Q(changed_at__gt=since) | Q(ended_on__gte=timezone.localdate(since)))
    codes |= set(scoped(ended, user).values_list("household__code", flat=True))
    if cur.purge:
        # a phone filled by the old protocol holds its whole area: everything not held goes
        villages = scoped(Place.objects.filter(level=PlaceLevel.VILLAGE), user).values("id")
        codes |= set(scoped(Household.objects.filter(village_id__in=villages), user).values_list("code", flat=True))
    return sorted(codes - held)


@functools.lru_cache(maxsize=256)
def _language_of(ethnicity_code: str | None) -> str | None:
    return language_for_ethnicity(ethnicity_code)  # reads the languages file: once per group, not per resident


def _lesson_languages() -> set[str]:
    return set(LessonVersion.objects.values_list("language", flat=True).distinct())


def _household(h: Household, residents: list[dict], mine: bool, levels, skills, prio, langs: set[str],
               fields: frozenset) -> dict:
    """A household as the phone keeps it: what the visit form and the day's list read (field.js), nothing more.
    Not sent: phone numbers (the app calls nobody), GPS (the app draws no map; the day's order is by due date
    and priority), the poverty status, the ethnic group and the disability as such. A resident's ethnic group
    reaches the phone only as the language of their lessons; poverty, minority and disability only inside the
    priority reasons of the member's own households (decision 0007)."""
    st = getattr(h, "status", None) if _has(h, "status") else None
    reasons = mine and prio is not None and {"poverty", "ethnicity", "disability"} <= fields

    def language(code):
        lang = _language_of(code) if "ethnicity" in fields else None
        return lang if lang in langs else "vi"

    return {
        "code": h.code, "uuid": str(h.uuid), "version": h.updated_at.isoformat(),
        "fp": reg.fingerprint("household", h.uuid, {f: getattr(h, f) for f in reg.NOT_HELD["household"]}),
        "village": h.village.code,
        "village_name": h.village.name,
        "alley": h.alley, "house_number": h.house_number, "address": h.address,
        "assigned_to_me": mine,
        "last_visit_on": st.last_visit_on.isoformat() if st and st.last_visit_on else None,
        "next_visit_on": st.next_visit_on.isoformat() if st and st.next_visit_on else None,
        "priority": prio.score if prio else None, "reasons_vi": prio.text_vi if reasons else "",
        "reasons_en": prio.text_en if reasons else "",
        "residents": [{"uuid": str(r["uuid"]), "version": r["updated_at"].isoformat(), "full_name": r["full_name"],
                       "birth_year": r["birth_year"],
                       "sex": r["sex"], "relation": r["relation"], "language": language(r["ethnicity__code"]),
                       "fp": reg.fingerprint("resident", r["uuid"], {"ethnicity": r["ethnicity__code"],
                                                                     "phone": r["phone"],
                                                                     "disability": r["disability"]}),
                       "levels": {skills[s]: lv for s, lv in levels.get(r["id"], {}).items() if s in skills}}
                      for r in residents],
    }


def _has(obj, attr) -> bool:
    try:
        getattr(obj, attr)
    except Exception:  # noqa: BLE001 - a missing one-to-one row
        return False
    return True


def registration_payload(user) -> dict:
    """What the app needs to register households and residents offline: the villages of the member's area
    and the ethnic groups (reference data, no person in it)."""
    villages = scoped(Place.objects.filter(level=PlaceLevel.VILLAGE, valid_to__isnull=True), user) \
        .order_by(vi_order("name"), "code").values_list("code", "name")
    # for a person moving in from another village of the commune: names and codes of places (no person in them),
    # beyond the member's own area; the person is found on the server by staff (people.registration.move_candidates)
    around = []
    if user.place_id:
        commune = user.place.parent_id if user.place.level == PlaceLevel.VILLAGE else user.place_id
        around = Place.objects.filter(level=PlaceLevel.VILLAGE, valid_to__isnull=True, parent_id=commune) \
            .order_by(vi_order("name"), "code").values_list("code", "name")[:500]
    return {"villages": [list(v) for v in villages[:500]], "villages_around": [list(v) for v in around],
            "ethnicities": [list(e) for e in Ethnicity.objects.order_by("code").values_list("code", "name_vi", "name_en")]}


def catalogue_payload(client_version: str | None) -> dict | None:
    cat = Catalogue.objects.filter(is_current=True).first()
    # the payload's own version: the catalogue's, plus the shape of what is sent (min_age added in issue 18),
    # so a phone holding an older shape fetches it again
    version = f"{cat.version}+age" if cat else None
    if cat is None or client_version == version:
        return None
    skills = Skill.objects.filter(catalogue=cat).prefetch_related("prerequisites").select_related("area") \
        .order_by("area__order", "order")
    return {"version": version, "skills": [
        {"code": s.code, "name_vi": s.name_vi, "name_en": s.name_en, "i_can_vi": s.i_can_vi, "i_can_en": s.i_can_en,
         "area": s.area.code, "basic5": s.basic5 or None, "prerequisites": [p.code for p in s.prerequisites.all()],
         "min_age": s.min_age}
        for s in skills]}


def authenticate(token: str) -> DeviceToken | None:
    from .models import hash_token

    dev = DeviceToken.objects.select_related("user__place").filter(token_hash=hash_token(token)).first()
    if dev is None or not dev.active or not dev.user.is_active:
        return None
    now = timezone.now()
    if dev.last_seen_at is None or now - dev.last_seen_at > datetime.timedelta(minutes=5):
        DeviceToken.objects.filter(pk=dev.pk).update(last_seen_at=now)
    return dev


def revoke(by, device: DeviceToken) -> None:
    """Its owner revokes their own device; for anyone else's, ``DeviceToken.WRITE_ROLES`` in their area."""
    if not (getattr(by, "is_authenticated", False) and by.pk == device.user_id):
        permissions.require(by, "change", device)
    with audit.acting_as(by):
        device.revoke(by)


def subject_data(resident, data: dict, **_) -> None:
    """What a person receives on request (``core.changes.SUBJECT_DATA``): the offline edits about them that
    conflicted, with both values and the decision."""
    data["conflicting_edits"] = [
        {"field": c.field, "on_the_server": c.theirs, "from_the_phone": c.mine, "status": c.status,
         "at": c.at.isoformat(), "decided_by": c.resolved_by,
         "decided_at": c.resolved_at.isoformat() if c.resolved_at else None}
        for c in SyncConflict.objects.filter(resident=resident).order_by("at", "id")]
