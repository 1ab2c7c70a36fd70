"""Households and residents found at the door: registered (offline, with the phone's own UUIDs), and their
life events (moved away, died, moved to another household — a household split, joined, or a person moving
in from another village, keeping their skill history).

The field app's sync (``sync.services``) and any page call these; each is idempotent by the client's UUID
(a record sent again is found and nothing is stored twice), checks who may do it through
``accounts.permissions`` (action ``register`` for households and residents, declared on the models), cleans
every value at the door (``core.clean``, ``people.phones``) and brings the derived figures along through
``people.services.people_changed``.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import uuid as uuidlib

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ngoso.accounts import audit, permissions
from ngoso.core import changes, clean
from ngoso.core.messages import UserError
from ngoso.places.models import Level

from .models import Consent, Ethnicity, Household, Relation, Resident, Sex, Status
from .phones import PhoneError, normalize_phone


class RegistrationError(UserError, ValueError):
    """A value that cannot be registered, naming the field; the message is one msgid."""


def household_code(uid) -> str:
    """The code of a household registered in the field, made from its UUID so that the phone knows it offline
    (field.js computes the same): "M" and the first 12 hex digits, upper case."""
    return "M" + uuidlib.UUID(str(uid)).hex[:12].upper()


def _text(model, field, value) -> str:
    try:
        return clean.model_text(model, field, value if value is not None else "")
    except clean.CleanError as exc:
        raise RegistrationError(exc, field=field) from None


def _number(value, field, lo, hi):
    if value in (None, ""):
        return None
    if isinstance(value, (str, bool)):
        raise RegistrationError(_("'%(field)s' must be a number"), field=field)
    try:
        return clean.number(value, field, lo, hi)
    except clean.CleanError as exc:
        raise RegistrationError(exc, field=field) from None


_PENDING: contextvars.ContextVar = contextvars.ContextVar("registration_pending", default=None)


def _changed(household_ids, village_ids) -> None:
    pending = _PENDING.get()
    if pending is not None:  # inside ``deferred_figures``: once for the whole batch
        pending[0].update(household_ids)
        pending[1].update(village_ids)
        return
    from .services import people_changed

    people_changed(household_ids, village_ids)


@contextlib.contextmanager
def deferred_figures():
    """A batch of registrations (a sync push) in one transaction, each record in its own savepoint, with the
    derived figures (household status, counters) brought along once at the end instead of after each record."""
    from .services import people_changed

    pending = (set(), set())
    token = _PENDING.set(pending)
    try:
        with transaction.atomic():
            yield
            _PENDING.reset(token)
            token = None
            if pending[1]:
                people_changed(pending[0], pending[1])
    finally:
        if token is not None:
            _PENDING.reset(token)


def _save_once(obj, user, with_it=lambda: None) -> tuple:
    """Save the new ``obj`` and what ``with_it`` writes beside it, in one transaction audited as ``user``:
    ``(obj, True)``. When the same UUID was committed meanwhile by another request (a phone's retry racing
    itself), that one stands and nothing of ours is kept: ``(it, False)``."""
    try:
        with transaction.atomic(), audit.acting_as(user):
            obj.save()
            with_it()
    except IntegrityError:
        found = type(obj).objects.filter(uuid=obj.uuid).first()
        if found is None:
            raise
        return found, False
    return obj, True


def register_household(user, *, uuid, village, alley="", house_number="", address="", latitude=None,
                       longitude=None, access: dict | None = None) -> tuple[Household, bool]:
    """A household found at the door. ``village`` is a village ``Place`` in the user's area. Returns the
    household and whether it was created now (False: its UUID was stored already, nothing changes). The
    member who registers it answers for it from now on (an open assignment), so it reaches their phone."""
    uid = uuidlib.UUID(str(uuid))
    found = Household.objects.filter(uuid=uid).first()
    if found is not None:
        return found, False
    if village is None or village.level != Level.VILLAGE:
        raise RegistrationError(_("Choose a village"), field="village")
    hh = Household(uuid=uid, code=household_code(uid), village=village, alley=_text(Household, "alley", alley),
                   house_number=_text(Household, "house_number", house_number),
                   address=_text(Household, "address", address),
                   latitude=_number(latitude, "latitude", *clean.LATITUDE),
                   longitude=_number(longitude, "longitude", *clean.LONGITUDE))
    for field, value in (access or {}).items():
        if field not in Household.ACCESS_FIELDS:
            raise RegistrationError(_("No field '%(field)s'"), field=field)
        if not isinstance(value, bool):
            raise RegistrationError(_("'%(field)s' must be true or false"), field=field)
        setattr(hh, field, value)
    permissions.require(user, "register", hh)

    def with_it():
        changes.send(changes.REGISTERED, household=hh, user=user)  # visits: the registrar answers for it
        _changed([hh.pk], [village.pk])

    return _save_once(hh, user, with_it)


def resident_value(field: str, value):
    """A resident's field as it is stored, from what a phone or a form sent: the one check for registration
    and edits (``RegistrationError`` naming the field otherwise). ``ethnicity`` gives the ``Ethnicity``."""
    if field == "full_name":
        name = _text(Resident, "full_name", value)
        if not name:
            raise RegistrationError(_("The full name is required"), field="full_name")
        return name
    if field == "sex":
        if value not in Sex.values:
            raise RegistrationError(_("Sex must be 'male' or 'female'"), field="sex")
        return value
    if field == "birth_year":
        this_year = timezone.localdate().year
        if isinstance(value, bool) or not isinstance(value, int) or not 1890 <= value <= this_year:
            raise RegistrationError(_("Birth year must be a number from 1890 to %(this_year)s"), field="birth_year",
                                    this_year=this_year)
        return value
    if field == "relation":
        if value not in Relation.values:
            raise RegistrationError(_("Unknown relation '%(relation)s'"), field="relation", relation=value)
        return value
    if field == "ethnicity":
        eth = Ethnicity.objects.filter(code=str(value or "").zfill(2)).first() if isinstance(value, (str, int)) \
            and not isinstance(value, bool) else None
        if eth is None:
            raise RegistrationError(_("No ethnic group '%(ethnicity)s'"), field="ethnicity", ethnicity=value)
        return eth
    if field == "phone":
        try:
            return normalize_phone(_text(Resident, "phone", value))
        except PhoneError as exc:
            raise RegistrationError(exc, field="phone") from None
    if field == "disability":
        if not isinstance(value, bool):
            raise RegistrationError(_("'disability' must be true or false"), field="disability")
        return value
    raise RegistrationError(_("Field '%(field)s' cannot be edited"), field=field)


def household_value(field: str, value):
    """A household's field as it is stored (the same for registration and edits)."""
    if field in ("alley", "house_number", "address"):
        return _text(Household, field, value)
    if field in ("latitude", "longitude"):
        return _number(value, field, *(clean.LATITUDE if field == "latitude" else clean.LONGITUDE))
    if field == "phone":
        try:
            return normalize_phone(_text(Household, "phone", value))
        except PhoneError as exc:
            raise RegistrationError(exc, field="phone") from None
    if field in Household.ACCESS_FIELDS:
        if not isinstance(value, bool):
            raise RegistrationError(_("'%(field)s' must be true or false"), field=field)
        return value
    raise RegistrationError(_("Field '%(field)s' cannot be edited"), field=field)


RESIDENT_EDITABLE = ("full_name", "sex", "birth_year", "ethnicity", "relation", "phone", "disability")
HOUSEHOLD_EDITABLE = ("alley", "house_number", "address", "phone", "latitude", "longitude", *Household.ACCESS_FIELDS)
# personal fields kept only with the person's consent in force (Decree 13/2023)
CONSENT_FIELDS = frozenset({"phone", "ethnicity", "disability"})


# the fields a phone may edit without holding them (decision 0007), in the order of their fingerprints
NOT_HELD = {"resident": ("ethnicity", "phone", "disability"),
            "household": ("phone", "latitude", "longitude", *Household.ACCESS_FIELDS)}
FP_DIGITS = 6


def fingerprint(kind: str, uid, values: dict) -> str:
    """What a phone keeps of the fields it does not hold (``NOT_HELD[kind]``; ``values`` their plain values):
    for each, in order, the first ``FP_DIGITS`` hex digits of a keyed digest (HMAC with the server's secret key)
    of the record's UUID, the field and its value. It says nothing of a value, only whether it is still the one
    the phone was sent; an edit sends it back (``fp``), so that such a field is compared by itself."""
    from django.utils.crypto import salted_hmac

    return "".join(salted_hmac("ngoso.people.fingerprint", f"{uid}|{field}|{values[field]!r}").hexdigest()[:FP_DIGITS]
                   for field in NOT_HELD[kind])


def plain(obj, field: str):
    """A field's value as the phone sends it and a conflict keeps it (the ethnic group by its code)."""
    if field == "ethnicity":
        return obj.ethnicity.code
    return getattr(obj, field)


def edit(user, obj, changes: dict, *, base=None, consent: dict | None = None,
         fp: str | None = None) -> list[tuple[str, object, object]]:
    """An edit made offline to a household or a resident: ``changes`` is ``{field: (from, to)}`` with the
    value the phone had (``from``, or None when the phone does not hold that field) and the new one;
    ``base`` is the record's ``updated_at`` when the phone pulled it (None: unknown); ``fp`` the record's
    ``fingerprint`` of the fields it does not hold, as the pull sent it (None: an older app).

    A field whose server value changed since the phone's pull — it is neither the phone's ``from`` nor the new
    value; without ``from``, its fingerprint differs from ``fp``'s; without either, the record changed after
    ``base`` — is **not** written: it is returned as a
    conflict ``(field, theirs, mine)`` for a leader to resolve (``sync.services.resolve_conflict``); the other
    fields are written, audited field by field. Personal fields of a resident (``CONSENT_FIELDS``) are kept only
    with their consent in force, or given with the edit (``consent``: recorded first, in the same transaction).
    Raises ``RegistrationError`` naming the field, ``PermissionDenied`` outside the user's area."""
    is_resident = isinstance(obj, Resident)
    allowed = RESIDENT_EDITABLE if is_resident else HOUSEHOLD_EDITABLE
    value_of = resident_value if is_resident else household_value
    plan = {}
    for field, (old, new) in changes.items():
        if field not in allowed:
            raise RegistrationError(_("Field '%(field)s' cannot be edited"), field=field)
        plan[field] = (old, value_of(field, new))
    permissions.require(user, "change", obj)
    kind = "resident" if is_resident else "household"
    order = NOT_HELD[kind]
    if not (isinstance(fp, str) and len(fp) == FP_DIGITS * len(order)):
        fp = None  # absent, or of another shape: the record's version decides, as before
    conflicts, applied = [], False
    with transaction.atomic(), audit.acting_as(user):
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        now_fp = fingerprint(kind, obj.uuid, {f: plain(obj, f) for f in order}) if fp else ""
        if is_resident and CONSENT_FIELDS & set(plan):
            _require_consent(user, obj, consent)
        for field, (old, new) in plan.items():
            current = plain(obj, field)
            mine = new.code if field == "ethnicity" else new
            if current == mine:
                continue
            if old is not None:
                changed = current != old
            elif fp and field in order:
                at = order.index(field) * FP_DIGITS
                changed = fp[at:at + FP_DIGITS] != now_fp[at:at + FP_DIGITS]
            else:
                changed = base is not None and obj.updated_at > base
            if changed:  # someone else changed it since this phone's pull: kept for a leader, never overwritten
                conflicts.append((field, current, mine))
                continue
            setattr(obj, field, new)
            applied = True
        if applied:
            obj.save()  # audited field by field (old -> new)
            hh = obj.household if is_resident else obj
            _changed([hh.pk], [hh.village_id])
    return conflicts


def set_field(user, obj, field: str, value) -> None:
    """Write one field chosen by a leader resolving a conflict (checked as an edit, audited, figures follow)."""
    value = (resident_value if isinstance(obj, Resident) else household_value)(field, value)
    permissions.require(user, "change", obj)
    with transaction.atomic(), audit.acting_as(user):
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        setattr(obj, field, value)
        obj.save()
        hh = obj.household if isinstance(obj, Resident) else obj
        _changed([hh.pk], [hh.village_id])


def _require_consent(user, resident, consent: dict | None) -> None:
    if isinstance(consent, dict) and consent.get("given") is True:
        method = consent.get("method") or Consent.Method.ORAL
        if method not in Consent.Method.values:
            raise RegistrationError(_("Unknown consent method '%(method)s'"), field="consent.method", method=method)
        Consent.objects.create(resident=resident, given=True, method=method, recorded_by=user.get_username(),
                               note=_text(Consent, "note", consent.get("note", "")))
        return
    latest = resident.consents.order_by("-recorded_at", "-id").first()
    if latest is None or not latest.given:
        raise RegistrationError(_("No consent from the person: their phone, ethnic group and disability are not "
                                  "kept"), field="consent")


def register_resident(user, *, uuid, household: Household, full_name, sex, birth_year, ethnicity="01",
                      relation=Relation.OTHER, phone="", disability=False, consent: dict | None = None
                      ) -> tuple[Resident, bool]:
    """A resident found at the door, with their consent. Consent comes first: without ``consent["given"]``
    nothing about the person is kept (the record is refused, naming the consent). Returns the resident and
    whether it was created now (False: its UUID was stored already)."""
    uid = uuidlib.UUID(str(uuid))
    found = Resident.objects.filter(uuid=uid).first()
    if found is not None:
        return found, False
    consent = consent or {}
    if consent.get("given") is not True:
        raise RegistrationError(_("No consent from the person: nothing about them is kept"), field="consent")
    method = consent.get("method") or Consent.Method.ORAL
    if method not in Consent.Method.values:
        raise RegistrationError(_("Unknown consent method '%(method)s'"), field="consent.method", method=method)
    name = resident_value("full_name", full_name)
    sex = resident_value("sex", sex)
    birth_year = resident_value("birth_year", birth_year)
    relation = resident_value("relation", relation)
    eth = resident_value("ethnicity", ethnicity or "01")
    phone = resident_value("phone", phone)
    disability = resident_value("disability", disability)
    res = Resident(uuid=uid, household=household, full_name=name, sex=sex, birth_year=birth_year, ethnicity=eth,
                   relation=relation, phone=phone, disability=disability)
    permissions.require(user, "register", res)

    def with_it():
        Consent.objects.create(resident=res, given=True, method=method, recorded_by=user.get_username(),
                               note=_text(Consent, "note", consent.get("note", "")))
        _changed([household.pk], [household.village_id])

    return _save_once(res, user, with_it)


EVENTS = ("moved_away", "died", "returned", "move")


def hand_on_headship(household: Household, *, leaving=None) -> None:
    """A household whose head no longer lives there (moved, moved away, died, erased): its eldest resident
    still living there becomes head, and the one who left (``leaving``, if they were head) is head no more —
    one head per household, the one the pages, the phone and the import name. Saved (audited) by the caller's
    actor."""
    present = household.residents.filter(status=Status.PRESENT)
    if leaving is not None:
        present = present.exclude(pk=leaving.pk)
    if present.filter(relation=Relation.HEAD).exists():
        heir = None
    else:
        heir = present.order_by("birth_year", "id").first()
    if leaving is not None and leaving.relation == Relation.HEAD and heir is not None:
        leaving.relation = Relation.OTHER
    if heir is not None:
        heir.relation = Relation.HEAD
        heir.save()


def life_event(user, resident: Resident, event: str, *, on: datetime.date | None = None, moved_to: str = "",
               household: Household | None = None, relation: str | None = None) -> Resident:
    """Record what happened to a resident:

    - ``moved_away`` (to ``moved_to``, if known) and ``died``: the row stays with its history, the
      dashboards stop counting the person (``Resident.status``); a head who left hands the headship on
      (``hand_on_headship``);
    - ``returned``: counted again;
    - ``move`` to ``household`` (in the user's area): a household split or joined, or a person moving in
      from another village (across villages commune staff, across communes province staff:
      ``permissions.require_across``) — the same row moves, so their skill history goes with them. Their
      ``relation`` to the new household's head, if the member gave it; without it, the first person in a
      household without a head becomes its head, a head joining a household that has one becomes "other", anyone
      else keeps theirs. The household they left hands its headship on."""
    if event not in EVENTS:
        raise RegistrationError(_("Unknown event '%(event)s'"), field="event", event=event)
    if relation not in (None, ""):
        relation = resident_value("relation", relation)
    permissions.require(user, "change", resident)
    old = resident.household
    with transaction.atomic(), audit.acting_as(user):
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        if event == "move":
            if household is None:
                raise RegistrationError(_("The household moved to is required"), field="household")
            permissions.require(user, "change", household)
            if household.pk == old.pk:
                return resident
            permissions.require_across(user, old.village, household.village,
                                       _("Moving a person to a household of another village"))
            was_head = resident.relation == Relation.HEAD
            has_head = household.residents.filter(relation=Relation.HEAD, status=Status.PRESENT).exists()
            resident.household = household
            if relation and not (relation == Relation.HEAD and has_head):
                resident.relation = relation
            elif not has_head:
                resident.relation = Relation.HEAD
            elif was_head or relation == Relation.HEAD:
                resident.relation = Relation.OTHER
            resident.status, resident.status_on, resident.moved_to = Status.PRESENT, on, ""
            resident.save()
            if was_head:
                hand_on_headship(old)
            _changed([old.pk, household.pk], [old.village_id, household.village_id])
            return resident
        resident.status = {"moved_away": Status.MOVED_AWAY, "died": Status.DIED, "returned": Status.PRESENT}[event]
        resident.status_on = on or (timezone.localdate() if event != "returned" else None)
        resident.moved_to = _text(Resident, "moved_to", moved_to) if event == "moved_away" else ""
        if event != "returned" and resident.relation == Relation.HEAD:
            hand_on_headship(old, leaving=resident)
        elif event == "returned" and not old.residents.filter(relation=Relation.HEAD, status=Status.PRESENT).exists():
            resident.relation = Relation.HEAD
        resident.save()
        _changed([old.pk], [old.village_id])
    return resident


# --- a person moving in from another village ------------------------------------------------------------------

def request_move_in(user, *, uuid, household: Household, full_name, birth_year=None, sex="", from_village=None,
                    from_text="", relation=Relation.OTHER, on: datetime.date | None = None):
    """A member at the door: someone registered in another village now lives in ``household``. The member
    cannot see that village, so this only records who and from where (``MoveRequest``) for commune staff or a
    leader whose area holds both villages to find and move (``complete_move``). Idempotent by ``uuid``.
    Returns (request, created)."""
    from .models import MoveRequest

    uid = uuidlib.UUID(str(uuid))
    found = MoveRequest.objects.filter(uuid=uid).first()
    if found is not None:
        return found, False
    req = MoveRequest(uuid=uid, household=household, full_name=resident_value("full_name", full_name),
                      birth_year=None if birth_year in (None, "") else resident_value("birth_year", birth_year),
                      sex=resident_value("sex", sex) if sex else "", from_village=from_village,
                      from_text=_text(MoveRequest, "from_text", from_text),
                      relation=resident_value("relation", relation or Relation.OTHER), on=on,
                      requested_by=user.get_username())
    if from_village is None and not req.from_text:
        raise RegistrationError(_("The village the person comes from is required"), field="from_village")
    permissions.require(user, "create", req)
    return _save_once(req, user)


MOVE_MATCH = 0.5  # a resident scored this close to a request may be the person it names


def _may_be(req, row: dict):
    """Whether the resident ``row`` (``duplicates.RESIDENT_VALUES``) may be the person the move request names:
    ``(score, evidence)``, or None. The one rule for the candidates staff are offered and for the requests an
    erasure takes with the person."""
    from .duplicates import score_residents

    if req.sex and row["sex"] != req.sex:
        return None
    if req.birth_year and row["birth_year"] and abs(row["birth_year"] - req.birth_year) > 10:
        return None
    if req.from_village_id and row["household__village_id"] != req.from_village_id:
        return None
    score, ev = score_residents({"full_name": req.full_name, "birth_year": req.birth_year, "sex": req.sex,
                                 "household__village_id": req.from_village_id}, row)
    return (score, ev) if score >= MOVE_MATCH else None


def move_candidates(user, req, limit: int = 5) -> list[tuple[float, Resident, list]]:
    """Who the request may be about, among the residents ``user`` may see (never beyond their area), outside the
    household they move into: scored by the duplicates rule (``people.duplicates.score_residents``), best
    first."""
    from ngoso.accounts.scope import scoped

    from .duplicates import RESIDENT_VALUES

    qs = scoped(Resident.objects.exclude(household=req.household), user).filter(status__in=["", "moved_away"])
    if req.from_village_id:  # the same narrowing as ``_may_be``, in SQL
        qs = qs.filter(household__village_id=req.from_village_id)
    if req.sex:
        qs = qs.filter(sex=req.sex)
    if req.birth_year:
        qs = qs.filter(birth_year__gte=req.birth_year - 10, birth_year__lte=req.birth_year + 10)
    scored = []
    for row in qs.values(*RESIDENT_VALUES).iterator(chunk_size=5000):
        found = _may_be(req, row)
        if found is not None:
            scored.append((found[0], row["id"], found[1]))
    scored.sort(key=lambda x: (-x[0], x[1]))
    people = Resident.objects.select_related("household__village").in_bulk([x[1] for x in scored[:limit]])
    return [(score, people[rid], ev) for score, rid, ev in scored[:limit]]


def forget_move_requests(resident: Resident) -> int:
    """An erasure on request: the move requests never completed (waiting or refused) that may name this person,
    by the rule that offers them as a candidate (``_may_be``), are deleted — the name, birth year and village
    the member typed go with the person. A completed request points at them and goes with their row. Returns
    the requests deleted."""
    from django.db.models import Q

    from .duplicates import RESIDENT_VALUES
    from .models import MoveRequest

    row = Resident.objects.filter(pk=resident.pk).values(*RESIDENT_VALUES).first()
    if row is None:
        return 0
    reqs = MoveRequest.objects.filter(resident__isnull=True).filter(
        Q(from_village__isnull=True) | Q(from_village_id=row["household__village_id"]))
    doomed = [r.pk for r in reqs if _may_be(r, row) is not None]
    if doomed:
        MoveRequest.objects.filter(pk__in=doomed).delete()
    return len(doomed)


def complete_move(user, req, resident: Resident):
    """Move ``resident`` (the same row, with their visits and skill history) into the request's household.
    Across two villages of a commune it needs commune staff; across communes, province staff (``life_event``,
    through ``permissions.require_across``); the user must see both. Both villages' figures follow in the same
    transaction."""
    from ngoso.accounts.scope import scoped

    from .models import MoveRequest

    permissions.require(user, "change", req)
    if not scoped(Resident.objects.filter(pk=resident.pk), user).exists():
        permissions.require(user, "change", resident)  # says why: outside the user's area
    with transaction.atomic():
        req = MoveRequest.objects.select_for_update().get(pk=req.pk)
        if req.status != MoveRequest.Status.PENDING:
            raise RegistrationError(_("This request was already handled"), field="status")
        moved = life_event(user, resident, "move", on=req.on, household=req.household, relation=req.relation)
        req.status, req.resident, req.done_by, req.done_at = (MoveRequest.Status.DONE, moved, user.get_username(),
                                                              timezone.now())
        with audit.acting_as(user):
            req.save()
    return moved


def refuse_move(user, req) -> None:
    """Nobody matching in the user's area (or the person was registered as new): the request is closed."""
    from .models import MoveRequest

    permissions.require(user, "change", req)
    with transaction.atomic(), audit.acting_as(user):
        req.status, req.done_by, req.done_at = MoveRequest.Status.REFUSED, user.get_username(), timezone.now()
        req.save()
