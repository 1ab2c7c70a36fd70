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

from ngoso.accounts import audit, permissions
from ngoso.core import changes, clean
from ngoso.places.models import Level

from .models import Consent, Ethnicity, Household, Relation, Resident, Sex, Status
from .phones import PhoneError, normalize_phone


class RegistrationError(ValueError):
    """A value that cannot be registered, naming the field; ``vi``/``en`` messages."""

    def __init__(self, field: str, vi: str, en: str):
        super().__init__(f"{vi} / {en}")
        self.field, self.vi, self.en = field, vi, en


def household_code(uid) -> str:
    """The code of a household registered in the field, made from its UUID so that the phone knows it offline
    (field.js computes the same): "M" and the first 12 hex digits, upper case."""
    return "M" + uuidlib.UUID(str(uid)).hex[:12].upper()


def _text(model, field, value) -> str:
    try:
        return clean.model_text(model, field, value if value is not None else "")
    except clean.CleanError as exc:
        raise RegistrationError(field, exc.vi, exc.en) from None


def _number(value, field, lo, hi):
    if value in (None, ""):
        return None
    if isinstance(value, (str, bool)):
        raise RegistrationError(field, f"«{field}» phải là số", f"'{field}' must be a number")
    try:
        return clean.number(value, field, lo, hi)
    except clean.CleanError as exc:
        raise RegistrationError(field, exc.vi, exc.en) from None


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
        raise RegistrationError("village", "Cần chọn thôn/tổ dân phố", "Choose a village")
    hh = Household(uuid=uid, code=household_code(uid), village=village, alley=_text(Household, "alley", alley),
                   house_number=_text(Household, "house_number", house_number),
                   address=_text(Household, "address", address),
                   latitude=_number(latitude, "latitude", *clean.LATITUDE),
                   longitude=_number(longitude, "longitude", *clean.LONGITUDE))
    for field, value in (access or {}).items():
        if field not in Household.ACCESS_FIELDS:
            raise RegistrationError(field, f"Không có trường «{field}»", f"No field '{field}'")
        if not isinstance(value, bool):
            raise RegistrationError(field, f"«{field}» phải là có/không", f"'{field}' must be true or false")
        setattr(hh, field, value)
    permissions.require(user, "register", hh)
    try:
        with transaction.atomic(), audit.acting_as(user):
            hh.save()
            changes.send(changes.REGISTERED, household=hh, user=user)  # visits: the registrar answers for it
            _changed([hh.pk], [village.pk])
    except IntegrityError:  # the same UUID committed meanwhile by another request: that one stands
        found = Household.objects.filter(uuid=uid).first()
        if found is None:
            raise
        return found, False
    return hh, True


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
        raise RegistrationError("consent", "Chưa có sự đồng ý của người dân: không lưu thông tin nào về họ",
                                "No consent from the person: nothing about them is kept")
    method = consent.get("method") or Consent.Method.ORAL
    if method not in Consent.Method.values:
        raise RegistrationError("consent.method", f"Cách đồng ý không biết: «{method}»", f"Unknown consent method '{method}'")
    name = _text(Resident, "full_name", full_name)
    if not name:
        raise RegistrationError("full_name", "Cần họ và tên", "The full name is required")
    if sex not in Sex.values:
        raise RegistrationError("sex", "Giới tính phải là «male» hoặc «female»", "Sex must be 'male' or 'female'")
    this_year = timezone.localdate().year
    if isinstance(birth_year, bool) or not isinstance(birth_year, int) or not 1890 <= birth_year <= this_year:
        raise RegistrationError("birth_year", f"Năm sinh phải là số từ 1890 đến {this_year}",
                                f"Birth year must be a number from 1890 to {this_year}")
    if relation not in Relation.values:
        raise RegistrationError("relation", f"Quan hệ với chủ hộ không biết: «{relation}»", f"Unknown relation '{relation}'")
    eth = Ethnicity.objects.filter(code=str(ethnicity or "01").zfill(2)).first()
    if eth is None:
        raise RegistrationError("ethnicity", f"Mã dân tộc không có: «{ethnicity}»", f"No ethnic group '{ethnicity}'")
    try:
        phone = normalize_phone(_text(Resident, "phone", phone))
    except PhoneError as exc:
        raise RegistrationError("phone", exc.vi, exc.en) from None
    if not isinstance(disability, bool):
        raise RegistrationError("disability", "«disability» phải là có/không", "'disability' must be true or false")
    res = Resident(uuid=uid, household=household, full_name=name, sex=sex, birth_year=birth_year, ethnicity=eth,
                   relation=relation, phone=phone, disability=disability)
    permissions.require(user, "register", res)
    try:
        with transaction.atomic(), audit.acting_as(user):
            res.save()
            Consent.objects.create(resident=res, given=True, method=method, recorded_by=user.get_username(),
                                   note=_text(Consent, "note", consent.get("note", "")))
            _changed([household.pk], [household.village_id])
    except IntegrityError:
        found = Resident.objects.filter(uuid=uid).first()
        if found is None:
            raise
        return found, False
    return res, True


EVENTS = ("moved_away", "died", "returned", "move")


def life_event(user, resident: Resident, event: str, *, on: datetime.date | None = None, moved_to: str = "",
               household: Household | None = None) -> Resident:
    """Record what happened to a resident:

    - ``moved_away`` (to ``moved_to``, if known) and ``died``: the row stays with its history, the
      dashboards stop counting the person (``Resident.status``);
    - ``returned``: counted again;
    - ``move`` to ``household`` (in the user's area): a household split or joined, or a person moving in
      from another village — the same row moves, so their skill history goes with them; a household that
      loses its head gets its eldest remaining resident as head."""
    if event not in EVENTS:
        raise RegistrationError("event", f"Sự kiện không biết: «{event}»", f"Unknown event '{event}'")
    permissions.require(user, "change", resident)
    old = resident.household
    with transaction.atomic(), audit.acting_as(user):
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        if event == "move":
            if household is None:
                raise RegistrationError("household", "Cần hộ chuyển đến", "The household moved to is required")
            permissions.require(user, "change", household)
            if household.pk == old.pk:
                return resident
            was_head = resident.relation == Relation.HEAD
            resident.household = household
            if was_head and household.residents.filter(relation=Relation.HEAD).exists():
                resident.relation = Relation.OTHER
            resident.status, resident.status_on, resident.moved_to = Status.PRESENT, on, ""
            resident.save()
            if was_head:
                heir = old.residents.filter(status=Status.PRESENT).order_by("birth_year", "id").first()
                if heir is not None:
                    heir.relation = Relation.HEAD
                    heir.save()
            _changed([old.pk, household.pk], [old.village_id, household.village_id])
            return resident
        resident.status = {"moved_away": Status.MOVED_AWAY, "died": Status.DIED, "returned": Status.PRESENT}[event]
        resident.status_on = on or (timezone.localdate() if event != "returned" else None)
        resident.moved_to = _text(Resident, "moved_to", moved_to) if event == "moved_away" else ""
        resident.save()
        _changed([old.pk], [old.village_id])
    return resident
