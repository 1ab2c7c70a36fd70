"""Smart radio services: the one place where bulletins, programmes, clusters and emergencies change.

Pages, the device protocol, the CLI, other modules (lessons, livelihoods: ``create_bulletin``) and the
tests all call these functions. Times are stored in UTC; programmes are written in local time
(``settings.TIME_ZONE``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import shutil
import subprocess
import uuid as uuidlib
import wave
import zoneinfo
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ngoso.accounts import audit, permissions
from ngoso.accounts.scope import within
from ngoso.core import files, jobs, xlsx
from ngoso.core.messages import Message, UserError, both
from ngoso.core.models import Job
from ngoso.core.pdf import html_to_pdf
from ngoso.core.text import vi_sorted
from ngoso.places.models import Level, Place
from ngoso.speech import SpeechError, SpeechUnavailable, synthesize
from ngoso.vntext import explain, normalize

from . import schedule
from .abbreviations import entries_for, for_place
from .models import (Alert, Bulletin, Category, ClusterDay, Command, Emergency, Priority, PlayLog,
                     Programme, SpeakerCluster, hash_token)

CATEGORIES = [c.value for c in Category]
PRIORITIES = [p.value for p in Priority]
PLAN_DAYS = 3  # days of programme a cluster keeps cached
CONFIRM_GRACE = dt.timedelta(minutes=10)  # after an item's planned end, before "not confirmed" is raised
AUDIO_EXTENSIONS = {".wav", ".ogg", ".mp3"}
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class RadioError(UserError, ValueError):
    """Bad input from a user or a device: the message (one msgid) says what and where."""


def tz():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def audio_root() -> Path:
    """The bulletins' audio folder in the default (file-system) storage ``radio``."""
    return files.root("radio") / "audio"


def _drop_audio(audio_path: str) -> None:
    """Delete a bulletin's sound file (named by its content) unless another bulletin still has it."""
    if audio_path and not Bulletin.objects.filter(audio_path=audio_path).exists():
        files.delete("radio", files.radio_name(audio_path))


# --- bulletins ------------------------------------------------------------------------------------------

def create_bulletin(*, title: str, text: str, category: str, place, author, priority: str = "normal",
                    source: str = "") -> Bulletin:
    """A DRAFT bulletin awaiting commune approval. Used by the lessons and livelihoods modules: keep stable."""
    title = (title or "").strip()
    if not title:
        raise RadioError(_("the title is empty"))
    if category not in CATEGORIES:
        raise RadioError(_("unknown category %(category)s; use %(choices)s"), category=repr(category),
                         choices=CATEGORIES)
    if priority not in PRIORITIES:
        raise RadioError(_("unknown priority %(priority)s; use %(choices)s"), priority=repr(priority),
                         choices=PRIORITIES)
    if place is None:
        raise RadioError(_("no place given"))
    if author is not None:  # a person writes it (None: the system, e.g. a withdrawn source's follow-up)
        permissions.require(author, "create", Bulletin(place=place))
    return Bulletin.objects.create(title=title[:200], text=(text or "").strip(), category=category, priority=priority,
                                   place=place, author=author, source=(source or "")[:120])


def withdraw_bulletin(bulletin_pk, reason: str = "") -> Bulletin | None:
    """Take a bulletin off the air for good (its source was withdrawn, e.g. a story whose consent ended):
    archived, so it is never approved or scheduled again. Returns None when it no longer exists."""
    bulletin = Bulletin.objects.filter(pk=bulletin_pk).first()
    if bulletin is None:
        return None
    if bulletin.status != Bulletin.Status.ARCHIVED:
        with transaction.atomic():
            bulletin.status = Bulletin.Status.ARCHIVED
            bulletin.source = (f"{bulletin.source} · rút: {reason}" if reason else bulletin.source)[:120]
            bulletin.save(update_fields=["status", "source"])
            withdraw_from_clusters(bulletin)
    return bulletin


def withdraw_from_clusters(bulletin: Bulletin) -> Command | None:
    """Tell every cluster that may hold ``bulletin`` (or a copy sent down from it) to drop it from its programme
    and its audio cache at once: a ``withdraw`` command on the push path emergencies take, for the places of
    the bulletin and its copies and the targets of their programmes. A cluster offline now gets it on its next
    contact (``pending_commands`` keeps withdrawals longer than a cache lasts), and its fresh programme no longer
    has the bulletin. Call inside the transaction that archives it."""
    todo, seen, paths, audio = [bulletin], set(), set(), set()
    while todo:
        b = todo.pop()
        if b.pk in seen:
            continue
        seen.add(b.pk)
        todo += list(Bulletin.objects.filter(parent=b).select_related("place"))
        paths.add(b.place.path)
        if b.audio_sha256:
            audio.add(b.audio_sha256 + Path(b.audio_path).suffix)
        for prog in Programme.objects.filter(bulletin=b).prefetch_related("targets"):
            paths.update(t.path for t in prog.targets.all())
    if not paths:
        return None
    return Command.objects.create(kind=Command.Kind.WITHDRAW, target_paths=sorted(paths),
                                  payload={"bulletins": sorted(seen), "audio": sorted(audio)})


def erase_bulletin(bulletin_pk) -> int:
    """Erasure on request of a person a bulletin names (a story's bulletin, ``livelihoods.story_to_bulletin``):
    the bulletin and the copies sent down from it keep their rows (play logs point at them) but lose their
    title, text, spoken text and audio; they are archived, so never aired again; the audio file goes unless
    another bulletin still uses it; the render jobs' messages and the audit entries that held the text are
    scrubbed. Returns how many bulletins were erased."""

    todo = list(Bulletin.objects.filter(pk=bulletin_pk)) if str(bulletin_pk).isdigit() else []
    if todo:
        withdraw_from_clusters(todo[0])  # off every loudspeaker's programme and cache now
    seen = set()
    while todo:
        b = todo.pop()
        if b.pk in seen:
            continue
        seen.add(b.pk)
        todo += list(Bulletin.objects.filter(parent=b))
        path = b.audio_path
        b.title, b.text, b.spoken_text, b.source, b.audio_error = audit.ERASED, "", "", "erased", ""
        b.status, b.approved_by, b.approved_at = Bulletin.Status.ARCHIVED, None, None
        b.audio_status, b.audio_path, b.audio_sha256, b.audio_duration = Bulletin.Audio.NONE, "", "", 0
        b.audio_uploaded = False
        b.save()
        audit.scrub("radio.Bulletin", str(b.pk))
        Job.objects.filter(kind="radio_render", params__bulletin=b.pk).update(message="", result={}, error="")
        _drop_audio(path)
        _programme_changed_for(b)
    return len(seen)


def edit_bulletin(bulletin: Bulletin, user, **fields) -> Bulletin:
    """Change a bulletin; an approved one goes back to draft (it must be approved again) and its audio is redone."""
    permissions.require(user, "change", bulletin)
    if bulletin.status == Bulletin.Status.ARCHIVED:
        raise RadioError(_("the bulletin is archived"))
    changed_text = False
    for name in ("title", "text", "category", "priority", "voice"):
        if name in fields and fields[name] is not None and getattr(bulletin, name) != fields[name]:
            setattr(bulletin, name, fields[name])
            changed_text |= name in ("text", "voice")
    if bulletin.category not in CATEGORIES or bulletin.priority not in PRIORITIES:
        raise RadioError(_("bad category or priority"))
    if not bulletin.title.strip():
        raise RadioError(_("the title is empty"))
    bulletin.status = Bulletin.Status.DRAFT
    bulletin.approved_by, bulletin.approved_at = None, None
    if changed_text and not bulletin.audio_uploaded:
        bulletin.audio_status, bulletin.audio_path, bulletin.audio_sha256 = Bulletin.Audio.NONE, "", ""
    bulletin.save()
    return bulletin


def _region(voice: str) -> str:
    return voice if voice in ("north", "central", "south") else "north"


def preview(text: str, voice: str = "north", place: Place | None = None) -> str:
    """The normalised reading the speech engine will speak ("7h30" -> "bảy giờ ba mươi"), with the local
    abbreviations of ``place`` (its province's and its commune's)."""

    return normalize(text or "", region=_region(voice), abbreviations=for_place(place) or None)


def _r(label):
    return pgettext_lazy("reading rule", label)


# Names of the rules of ngoso.vntext.explain (its RULES), for the editor's preview; an unknown id is shown as it is.
RULE_LABELS = {  # pgettext context "reading rule": no clash with the same words elsewhere
    "abbreviation": _r("abbreviation"), "local_abbreviation": _r("local abbreviation"),
    "acronym": _r("spelled letter by letter"), "unknown_acronym": _r("not in the dictionary: spelled letter by letter"),
    "date": _r("date"), "time": _r("time"), "range": _r("range"), "score": _r("score"), "number": _r("number"),
    "digits": _r("digits read one by one"), "fraction": _r("fraction"), "address": _r("house or serial number"),
    "phone": _r("phone number"), "document": _r("document number"), "url": _r("web address"), "email": _r("e-mail"),
    "currency": _r("currency"), "unit": _r("unit of measure"), "roman": _r("Roman numeral"),
    "code": _r("code of letters and digits"), "symbol": _r("symbol"), "operator": _r("arithmetic"),
    "sign": _r("minus sign"), "hyphen": _r("hyphen read as a short pause"),
    "clean": _r("control or broken character removed"), "unicode": _r("Unicode normalisation"),
    "space": _r("spacing"), "word": _r("word"),
}


QUIET_RULES = {"space", "unicode"}


def explain_preview(text: str, voice: str = "north", place: Place | None = None) -> dict:
    """What the editor's preview shows: the reading cut into kept text and changed spans, each changed span with
    its source, its reading, the rule that changed it and a short note. ``unknown`` marks an all-capital word the
    normaliser does not know (the operator may add it to the local list)."""

    text = text or ""
    local, origin = {}, {}
    for e in sorted(entries_for(place), key=lambda e: len(e.place.path)):  # the nearest place wins
        local[e.abbreviation] = e.reading
        origin[e.abbreviation] = f"{e.place.name}: {e.note}" if e.note else e.place.name
    region = _region(voice)
    spans = explain(text, region=region, abbreviations=local or None)
    segments, pos, unknown = [], 0, 0
    for sp in sorted(spans, key=lambda s: (s.start, s.end)):
        if sp.start < pos:  # overlapping spans never come from explain; keep the first rather than fail
            continue
        if sp.start > pos:
            segments.append({"text": text[pos:sp.start]})
        rule = sp.rule
        if rule in QUIET_RULES:  # spacing and Unicode composition: the listener hears no difference
            segments.append({"text": sp.spoken})
            pos = sp.end
            continue
        source = sp.source
        if rule == "clean":  # an invisible character: name it
            source = " ".join(f"U+{ord(c):04X}" for c in source)
        if rule == "abbreviation" and sp.source.strip() in local:
            rule = "local_abbreviation"
        is_unknown = rule == "unknown_acronym"
        note = sp.note or ""
        if note.endswith(f": {sp.source} → {sp.spoken}"):  # only repeats what the preview shows already
            note = ""
        if rule == "local_abbreviation" and sp.source.strip() in origin:  # whose list, and its note
            note = origin[sp.source.strip()]
        unknown += is_unknown
        segments.append({"text": sp.spoken, "source": source, "rule": rule,
                         "label": str(RULE_LABELS.get(rule, rule)), "note": note, "unknown": is_unknown,
                         "start": sp.start, "end": sp.end})
        pos = sp.end
    if pos < len(text):
        segments.append({"text": text[pos:]})
    return {"spoken": normalize(text, region=region, abbreviations=local or None), "segments": segments,
            "changed": sum(1 for s in segments if "rule" in s), "unknown": unknown}


def _store_audio(bulletin: Bulletin, src: Path, duration: float) -> None:
    """Put a local sound file into the storage ``radio`` as ``audio/<sha256>.<ext>`` (once per content); the
    bulletin's ``audio_path`` is ``radio/audio/…``, relative to the data directory as before."""
    data = src.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    name = f"audio/{digest}{src.suffix.lower()}"
    if not files.exists("radio", name):
        files.save("radio", name, data)
    src.unlink(missing_ok=True)
    bulletin.audio_path = f"radio/{name}"
    bulletin.audio_sha256, bulletin.audio_duration = digest, round(duration, 3)
    bulletin.audio_status, bulletin.audio_error = Bulletin.Audio.READY, ""


def render_audio(bulletin: Bulletin) -> Bulletin:
    """Read the bulletin aloud with ``ngoso.speech`` (espeak-ng + the Vietnamese normaliser) into a WAV file."""

    if not bulletin.text.strip():
        raise RadioError(_("the bulletin has no text to read"))
    tmp = Path(tempfile.gettempdir()) / f"ngoso-render-{bulletin.pk}-{uuidlib.uuid4().hex}.wav"
    try:
        # normalised here, with the local abbreviations of the bulletin's place, so that the speech says
        # exactly what the editor's preview showed
        spoken = preview(bulletin.text, bulletin.voice, bulletin.place)
        result = synthesize(spoken, tmp, voice=bulletin.voice, normalise=False)
    except (SpeechError, SpeechUnavailable, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        Bulletin.objects.filter(pk=bulletin.pk).update(audio_status=Bulletin.Audio.FAILED, audio_error=str(exc)[:2000])
        bulletin.refresh_from_db()
        raise RadioError(_("the bulletin could not be read aloud: %(why)s"), why=str(exc)) from exc
    _store_audio(bulletin, tmp, result.duration_seconds)
    bulletin.spoken_text, bulletin.audio_uploaded = result.spoken_text, False
    Bulletin.objects.filter(pk=bulletin.pk).update(
        audio_path=bulletin.audio_path, audio_sha256=bulletin.audio_sha256, audio_duration=bulletin.audio_duration,
        audio_status=bulletin.audio_status, audio_error="", spoken_text=bulletin.spoken_text, audio_uploaded=False)
    _programme_changed_for(bulletin)
    return bulletin


@jobs.handler("radio_render", permission="radio")
def _render_job(job, progress):
    bulletin = Bulletin.objects.get(pk=job.params["bulletin"])
    progress(0, 1, bulletin.title)
    render_audio(bulletin)
    progress(1, 1, bulletin.title)
    return {"bulletin": bulletin.pk, "duration": bulletin.audio_duration}


def request_render(bulletin: Bulletin, user, background: bool = True):
    """Render in the background (the page polls the job); ``background=False`` for the CLI and tests."""
    permissions.require(user, "change", bulletin)
    Bulletin.objects.filter(pk=bulletin.pk).update(audio_status=Bulletin.Audio.RENDERING, audio_error="")
    return jobs.submit("radio_render", {"bulletin": bulletin.pk}, user=user, place_path=bulletin.place.path,
                       background=background)


def audio_duration(path: Path) -> float:
    if path.suffix.lower() == ".wav":
        try:
            with wave.open(str(path), "rb") as w:
                return w.getnframes() / w.getframerate() if w.getframerate() else 0.0
        except (wave.Error, EOFError) as exc:
            raise RadioError(_("not a valid WAV file: %(exc)s"), exc=exc) from exc
    soxi = shutil.which("soxi")
    if not soxi:
        raise RadioError(_("install sox to accept ogg/mp3 (apt-get install sox libsox-fmt-all)"))
    proc = subprocess.run([soxi, "-D", str(path)], capture_output=True, text=True, timeout=30)
    try:
        return float(proc.stdout.strip())
    except ValueError:
        raise RadioError(_("not a valid audio file (%(x)s)"), x=proc.stderr.strip()[:200]) from None


def attach_upload(bulletin: Bulletin, data: bytes, filename: str, user) -> Bulletin:
    """Use an uploaded recording (WAV, OGG, MP3) instead of the speech engine."""
    permissions.require(user, "change", bulletin)
    suffix = Path(filename or "").suffix.lower()
    if suffix not in AUDIO_EXTENSIONS:
        raise RadioError(_("unsupported file %(filename)s: only %(x)s files are accepted"), filename=f"{filename!r}",
                         x=', '.join(sorted(AUDIO_EXTENSIONS)))
    if len(data) > MAX_UPLOAD_BYTES:
        raise RadioError(_("file too large (50 MB max)"))
    tmp = Path(tempfile.gettempdir()) / f"ngoso-upload-{uuidlib.uuid4().hex}{suffix}"  # soxi reads a file
    tmp.write_bytes(data)
    try:
        duration = audio_duration(tmp)
        if duration <= 0:
            raise RadioError(_("the audio file is empty"))
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    _store_audio(bulletin, tmp, duration)
    bulletin.audio_uploaded = True
    bulletin.status, bulletin.approved_by, bulletin.approved_at = Bulletin.Status.DRAFT, None, None
    bulletin.save()
    return bulletin


def approve(bulletin: Bulletin, user) -> Bulletin:
    if not permissions.can(user, "approve", bulletin):
        raise RadioError(_("only commune staff may approve bulletins"))
    if bulletin.audio_status != Bulletin.Audio.READY:
        raise RadioError(_("the bulletin has no audio yet"))
    bulletin.status, bulletin.approved_by, bulletin.approved_at = Bulletin.Status.APPROVED, user, timezone.now()
    bulletin.save()
    _programme_changed_for(bulletin)
    return bulletin


def reject(bulletin: Bulletin, user) -> Bulletin:
    if not permissions.can(user, "approve", bulletin):
        raise RadioError(_("only commune staff may approve bulletins"))
    bulletin.status, bulletin.approved_by, bulletin.approved_at = Bulletin.Status.REJECTED, None, None
    bulletin.save()
    _programme_changed_for(bulletin)
    return bulletin


def send_down(bulletin: Bulletin, communes, user, background: bool = True) -> list[Bulletin]:
    """The province sends a bulletin to chosen communes: each gets its own draft copy to approve and schedule.
    A copy keeps the province's audio unless it was read by the machine and the commune has local abbreviations
    that read it differently: then the copy is read again with the commune's list (a job)."""
    permissions.require(user, "change", bulletin)  # the source: the province's own bulletin
    copies, rerender, communes = [], [], list(communes)
    province_list = for_place(bulletin.place)
    for commune in communes:  # every commune checked before any copy is made
        if not commune.path.startswith(bulletin.place.path) or commune.pk == bulletin.place_id:
            raise RadioError(_("%(name2)s is not under %(name)s"), name=bulletin.place.name, name2=commune.name)
        permissions.require(user, "create", Bulletin(place=commune))
    for commune in communes:
        copy = create_bulletin(title=bulletin.title, text=bulletin.text, category=bulletin.category, place=commune,
                               author=user, priority=bulletin.priority, source=f"bulletin:{bulletin.pk}")
        copy.parent, copy.voice = bulletin, bulletin.voice
        same_reading = bulletin.audio_uploaded or for_place(commune) == province_list
        if bulletin.audio_status == Bulletin.Audio.READY and same_reading:
            copy.audio_path, copy.audio_sha256, copy.audio_duration = (bulletin.audio_path, bulletin.audio_sha256,
                                                                       bulletin.audio_duration)
            copy.audio_status, copy.audio_uploaded = Bulletin.Audio.READY, bulletin.audio_uploaded
            copy.spoken_text = bulletin.spoken_text
        elif bulletin.audio_status == Bulletin.Audio.READY and copy.text.strip():
            rerender.append(copy)
        copy.save()
        copies.append(copy)
    for copy in rerender:
        request_render(copy, user, background=background)
    return copies


# --- programmes -----------------------------------------------------------------------------------------

def _check_targets(targets, owner: Place) -> list[Place]:
    targets = list(targets)
    if not targets:
        raise RadioError(_("choose at least one target area"))
    for t in targets:
        if not t.path.startswith(owner.path):
            raise RadioError(_("%(name)s is outside %(name2)s"), name=t.name, name2=owner.name)
    return targets


def create_programme(*, place, title: str, times, targets, start_date: dt.date, bulletin: Bulletin | None = None,
                     stream_url: str = "", stream_minutes: int = 0, weekdays=(), end_date: dt.date | None = None,
                     user=None) -> Programme:
    """Schedule a bulletin (or relay a stream for ``stream_minutes``) at ``times`` (local "HH:MM")."""
    if (bulletin is None) == (not stream_url):
        raise RadioError(_("give a bulletin or a stream URL"))
    if bulletin is not None and not bulletin.place.path.startswith(place.path) and \
            not place.path.startswith(bulletin.place.path):
        raise RadioError(_("the bulletin belongs to another area"))
    if stream_url:
        if not stream_url.startswith(("http://", "https://")):
            raise RadioError(_("the stream address must start with http:// or https://: %(stream_url)s"),
                             stream_url=f"{stream_url!r}")
        if not (1 <= int(stream_minutes or 0) <= 24 * 60):
            raise RadioError(_("relay window must be 1-1440 minutes"))
    try:
        times = sorted({schedule.format_time(t) for t in times if str(t).strip()})
    except ValueError as exc:
        raise RadioError(_("invalid broadcast time: %(why)s"), why=str(exc)) from None
    if not times:
        raise RadioError(_("no broadcast time given"))
    weekdays = sorted({int(d) for d in weekdays})
    if any(d < 0 or d > 6 for d in weekdays):
        raise RadioError(_("weekdays are 0 (Mon) to 6 (Sun)"))
    if end_date and end_date < start_date:
        raise RadioError(_("the end date is before the start date"))
    targets = _check_targets(targets, place)
    if user is not None:  # a person schedules it (None: the system, e.g. the demo)
        permissions.require(user, "create", Programme(place=place))
    with transaction.atomic():
        prog = Programme.objects.create(place=place, title=(title or (bulletin.title if bulletin else "Tiếp sóng"))[:200],
                                        bulletin=bulletin, stream_url=stream_url, stream_minutes=stream_minutes or 0,
                                        times=times, weekdays=weekdays, start_date=start_date, end_date=end_date,
                                        created_by=user)
        prog.targets.set(targets)
        notify_refresh([t.path for t in targets])
    return prog


def stop_programme(prog: Programme, user) -> None:
    permissions.require(user, "change", prog)
    prog.active = False
    prog.save()
    notify_refresh([t.path for t in prog.targets.all()])


def notify_refresh(paths: list[str]) -> None:
    """Tell the clusters under ``paths`` (through the push channel) to fetch their programme again."""
    if paths:
        Command.objects.create(kind=Command.Kind.REFRESH, target_paths=sorted(set(paths)))


def _programme_changed_for(bulletin: Bulletin) -> None:
    paths = set()
    for prog in Programme.objects.filter(bulletin=bulletin, active=True).prefetch_related("targets"):
        paths.update(t.path for t in prog.targets.all())
    notify_refresh(sorted(paths))


def targeted(cluster_path: str, target_paths) -> bool:
    return any(cluster_path.startswith(p) for p in target_paths)


def clusters_under(paths) -> list[SpeakerCluster]:
    from django.db.models import Q

    q = Q()
    for p in paths:
        q |= Q(place__path__startswith=p)
    return list(SpeakerCluster.objects.filter(q, active=True).select_related("place")) if paths else []


def _programmes_for(cluster: SpeakerCluster, start: dt.datetime, end: dt.datetime, programmes=None):
    if programmes is None:
        programmes = active_programmes(start, end)
    path = cluster.place.path
    return [p for p in programmes if targeted(path, p._target_paths)]


def active_programmes(start: dt.datetime, end: dt.datetime) -> list[Programme]:
    from django.db.models import Q

    local_start, local_end = start.astimezone(tz()).date(), end.astimezone(tz()).date()
    progs = list(Programme.objects.filter(active=True, start_date__lte=local_end)
                 .filter(Q(end_date__isnull=True) | Q(end_date__gte=local_start - dt.timedelta(days=1)))
                 .select_related("bulletin").prefetch_related("targets"))
    for p in progs:
        p._target_paths = [t.path for t in p.targets.all()]
    return progs


def slots_for(cluster: SpeakerCluster, start: dt.datetime, end: dt.datetime, programmes=None) -> list[schedule.Slot]:
    """The airings due on ``cluster`` in ``[start, end)``: approved bulletins with audio, and relays."""
    out = []
    for prog in _programmes_for(cluster, start, end, programmes):
        b = prog.bulletin
        if b is not None and not b.ready:
            continue
        for when in schedule.occurrences(prog.times, prog.weekdays, prog.start_date, prog.end_date, start, end, tz()):
            key = f"p{prog.pk}@{when.isoformat(timespec='seconds')}"
            if b is not None:
                out.append(schedule.Slot(key, when, b.audio_duration, b.priority, "audio", prog.pk, {
                    "programme": prog.pk, "bulletin": b.pk, "title": b.title, "category": b.category,
                    "audio": b.audio_sha256, "ext": Path(b.audio_path).suffix}))
            else:
                out.append(schedule.Slot(key, when, prog.stream_minutes * 60.0, "normal", "stream", prog.pk, {
                    "programme": prog.pk, "title": prog.title, "category": "relay", "stream_url": prog.stream_url}))
    return out


def plan_for(cluster: SpeakerCluster, start: dt.datetime, end: dt.datetime, programmes=None) -> list[schedule.Planned]:
    # resolve from a little earlier so that an item still playing at ``start`` pushes later ones correctly
    lead = dt.timedelta(hours=2)
    plan = schedule.resolve(slots_for(cluster, start - lead, end, programmes))
    return [p for p in plan if p.end > start or (p.status == "skipped" and p.slot.start >= start)]


def programme_document(cluster: SpeakerCluster, now: dt.datetime | None = None, days: int = PLAN_DAYS) -> dict:
    """What a cluster caches: the resolved plan of the next ``days`` days and the audio it needs."""
    now = now or timezone.now()
    end = now + dt.timedelta(days=days)
    items = []
    for p in plan_for(cluster, now, end):
        d = p.slot.data
        items.append({
            "key": p.key, "title": d.get("title", ""), "category": d.get("category", ""), "kind": p.slot.kind,
            "priority": p.slot.priority, "scheduled_at": p.slot.start.isoformat(), "start": p.start.isoformat(),
            "end": p.end.isoformat(), "duration": round((p.end - p.start).total_seconds(), 3), "status": p.status,
            "reason": p.reason, "programme": d.get("programme"), "bulletin": d.get("bulletin"),
            "audio": (d["audio"] + d["ext"]) if d.get("audio") else None, "stream_url": d.get("stream_url"),
        })
    return {"cluster": cluster.code, "generated_at": now.isoformat(), "valid_until": end.isoformat(), "items": items}


# --- emergencies ----------------------------------------------------------------------------------------

def clean_repeat(value) -> int:
    """How many times an emergency plays: a whole number from 1 to 10 (the form's confirm step checks it too)."""
    try:
        repeat = int(value)
    except (TypeError, ValueError):
        raise RadioError(_("repeat must be a number 1-10")) from None
    if not 1 <= repeat <= 10:
        raise RadioError(_("repeat must be 1-10"))
    return repeat


def issue_emergency(bulletin: Bulletin, targets, user, repeat: int = 2) -> Emergency:
    """Interrupt and play at once on every cluster under ``targets``. Issuing approves the bulletin."""
    if not permissions.can(user, "create", Emergency):
        raise RadioError(_("not allowed to send an emergency"))
    targets = _check_targets(targets, user.place if user.place_id else targets[0])
    repeat = clean_repeat(repeat)
    if bulletin.audio_status != Bulletin.Audio.READY:
        render_audio(bulletin)  # a fraction of a second with espeak-ng; the emergency cannot wait for a queue
    with transaction.atomic():
        bulletin.priority = Priority.EMERGENCY
        if bulletin.status != Bulletin.Status.APPROVED:
            bulletin.status, bulletin.approved_by, bulletin.approved_at = Bulletin.Status.APPROVED, user, timezone.now()
        bulletin.save()
        paths = sorted({t.path for t in targets})
        em = Emergency.objects.create(bulletin=bulletin, place=user.place or targets[0], target_paths=paths,
                                      repeat=repeat, issued_by=user)
        em.targets.set(targets)
        Command.objects.create(kind=Command.Kind.EMERGENCY, emergency=em, target_paths=paths,
                               payload=emergency_payload(em))
    return em


def send_emergency(*, title: str, text: str, targets, user, repeat=2) -> Emergency:
    """A new emergency from the page: the bulletin is written, read aloud and played at once — all or nothing.
    A refused or failed emergency (no area, bad targets or repeat, speech failed) leaves no draft behind."""
    if not user.can("radio"):
        raise RadioError(_("not allowed to send an emergency"))
    if user.place_id is None:
        raise RadioError(_("your account has no area"))
    repeat = clean_repeat(repeat)
    if not (text or "").strip():
        raise RadioError(_("the emergency has no text to read"))
    stored = []
    try:
        with transaction.atomic():
            b = create_bulletin(title=title, text=text, category="emergency", place=user.place, author=user,
                                priority="emergency")
            stored.append(b)
            return issue_emergency(b, list(targets), user, repeat=repeat)
    except Exception:
        for b in stored:  # rolled back: its sound file (named by content) goes too unless another bulletin has it
            _drop_audio(b.audio_path)
        raise


def archive_bulletin(bulletin: Bulletin, user) -> Bulletin:
    """Take a bulletin off (archived): who may is ``Bulletin.WRITE_ROLES["archive"]`` and, for one on the air,
    ``Bulletin.write_refusal`` (``accounts.permissions``)."""
    permissions.require(user, "archive", bulletin)
    if bulletin.status != Bulletin.Status.ARCHIVED:
        with transaction.atomic():
            bulletin.status = Bulletin.Status.ARCHIVED
            bulletin.save()
            _programme_changed_for(bulletin)
            withdraw_from_clusters(bulletin)
    return bulletin


def emergency_payload(em: Emergency) -> dict:
    b = em.bulletin
    return {"emergency": em.pk, "key": em.item_key, "title": b.title, "bulletin": b.pk, "category": b.category,
            "audio": b.audio_sha256 + Path(b.audio_path).suffix, "duration": b.audio_duration, "repeat": em.repeat,
            "issued_at": em.issued_at.isoformat()}


def stop_emergency(em: Emergency, user) -> Emergency:
    permissions.require(user, "change", em)
    if em.cancelled_at is None:
        em.cancelled_at = timezone.now()
        em.save()
        Command.objects.create(kind=Command.Kind.STOP, emergency=em, target_paths=em.target_paths,
                               payload={"emergency": em.pk, "key": em.item_key})
    return em


def pending_commands(cluster: SpeakerCluster, after: int, limit: int = 20) -> list[dict]:
    """Commands for ``cluster`` newer than ``after`` (the heartbeat fallback when the push port is unreachable)."""
    from django.db.models import Q

    now = timezone.now()
    # withdrawals are kept for longer than a cluster's cache lasts (3 days): one back after an outage drops them
    recent = Q(created_at__gte=now - dt.timedelta(hours=6)) | Q(kind=Command.Kind.WITHDRAW,
                                                                created_at__gte=now - WITHDRAW_KEPT)
    out = []
    for c in Command.objects.filter(recent, pk__gt=after).order_by("pk")[:500]:
        if targeted(cluster.place.path, c.target_paths):
            out.append(command_message(c))
            if len(out) >= limit:
                break
    return out


WITHDRAW_KEPT = dt.timedelta(days=4)


def command_message(c: Command) -> dict:
    return {"seq": c.pk, "type": c.kind, **c.payload}


def last_command_seq() -> int:
    last = Command.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


# --- clusters and the device side -----------------------------------------------------------------------

def register_cluster(*, place, code: str, name: str, user=None, **fields) -> tuple[SpeakerCluster, str]:
    """Register a cluster; returns it with a one-time registration code for ``ngoso speaker --code``."""
    code = (code or "").strip()
    if not code:
        raise RadioError(_("the device id is empty"))
    if SpeakerCluster.objects.filter(code=code).exists():
        raise RadioError(_("device id %(code_)s already exists"), code_=code)
    if place.level not in (Level.VILLAGE, Level.COMMUNE):
        raise RadioError(_("a cluster belongs to a commune or a village"))
    if user is not None:  # a person registers it (None: the system, e.g. the demo)
        permissions.require(user, "create", SpeakerCluster(place=place))
    cluster = SpeakerCluster.objects.create(place=place, code=code[:40], name=(name or code)[:120], **fields)
    return cluster, cluster.issue_registration_code()


def issue_registration_code(cluster: SpeakerCluster, user) -> str:
    """A new one-time registration code for ``ngoso speaker --code`` (the cluster's earlier code stops): a change
    of the cluster, ``SpeakerCluster.WRITE_ROLES`` in the user's area."""
    permissions.require(user, "change", cluster)
    return cluster.issue_registration_code()


def revoke_cluster_token(cluster: SpeakerCluster, user) -> None:
    """Revoke a cluster's token. Every device request checks the database (``authenticate``); the push port
    (``push.py``) is told once the revocation is committed, so the token stops there at once too and its
    waiting long-polls are closed."""
    from . import push

    permissions.require(user, "change", cluster)
    cluster.revoke_token()
    transaction.on_commit(lambda: push.token_changed(cluster.pk, ""))


def set_cluster_active(cluster: SpeakerCluster, active: bool, user) -> None:
    """Switch a cluster on or off; switched off, its token stops on the push port of this process at once
    (other processes: at their next full token reload, ``push.TOKEN_REFRESH``)."""
    from . import push

    permissions.require(user, "change", cluster)
    cluster.active = active
    cluster.save()
    if not active:
        transaction.on_commit(lambda: push.token_changed(cluster.pk, ""))


def authenticate(token: str) -> SpeakerCluster | None:
    if not token:
        return None
    return (SpeakerCluster.objects.select_related("place")
            .filter(token_hash=hash_token(token), active=True, token_revoked_at__isnull=True).first())


def redeem_registration(code: str, client_version: str = "") -> tuple[SpeakerCluster, str]:
    code = (code or "").strip().upper()
    cluster = SpeakerCluster.objects.filter(registration_hash=hash_token(code), active=True).first() if code else None
    if cluster is None or not cluster.registration_expires or cluster.registration_expires < timezone.now():
        raise RadioError(_("unknown or expired registration code"))
    token = cluster.issue_token()
    SpeakerCluster.objects.filter(pk=cluster.pk).update(client_version=client_version[:40])
    return cluster, token


def clean_heartbeat(data) -> dict:
    """Check a heartbeat body; returns the fields to store. RadioError says what is wrong."""
    if not isinstance(data, dict):
        raise RadioError(_("the JSON body must be an object"))
    volume = data.get("volume")
    if volume is not None and (not isinstance(volume, int) or isinstance(volume, bool) or not 0 <= volume <= 100):
        raise RadioError(_("volume must be an integer 0-100"))
    faults = data.get("faults") or []
    if not isinstance(faults, list) or not all(isinstance(f, str) for f in faults):
        raise RadioError(_("faults must be a list of strings"))
    cached_until = _parse_time(data.get("cached_until"), "cached_until") if data.get("cached_until") else None
    try:
        pending, last_seq = max(0, int(data.get("pending_logs") or 0)), int(data.get("last_seq") or 0)
    except (TypeError, ValueError):
        raise RadioError(_("must be integers")) from None
    return {"volume": volume, "now_playing": str(data.get("now_playing") or "")[:200],
            "faults": sorted({f[:60] for f in faults})[:20], "cached_until": cached_until,
            "version": str(data.get("version") or "")[:40], "pending_logs": pending, "last_seq": last_seq}


def heartbeat(cluster: SpeakerCluster, data: dict, now: dt.datetime | None = None) -> dict:
    """Record a cluster's status; answer with the server time and the commands it has not seen."""
    now = now or timezone.now()
    clean = clean_heartbeat(data)
    with transaction.atomic():
        record_heartbeats([(cluster.pk, clean, now)])
    return {"server_time": now.isoformat(), "heartbeat_interval": cluster.heartbeat_interval,
            "commands": pending_commands(cluster, clean["last_seq"]), "last_seq": last_command_seq()}


def record_heartbeats(rows: list[tuple[int, dict, dt.datetime]]) -> int:
    """Store many heartbeats (already cleaned) at once: the push server group-commits them every 0.25 s.

    Per cluster: live status, uptime credit for the day (time since the previous heartbeat, at most two
    intervals), "offline" alerts resolved, fault alerts opened for new faults and resolved for cleared ones.
    """
    from django.db import connection

    if not rows:
        return 0
    ids = {cid for cid, _, _ in rows}
    clusters = {c.pk: c for c in SpeakerCluster.objects.filter(pk__in=ids).select_related("place")}
    open_alerts = defaultdict(dict)
    for a in Alert.objects.filter(cluster_id__in=ids, resolved_at__isnull=True,
                                  kind__in=[Alert.Kind.OFFLINE, Alert.Kind.FAULT]):
        open_alerts[a.cluster_id][a.key] = a
    status, credit, resolve, new_alerts = {}, defaultdict(lambda: [0, 0]), [], []
    for cid, d, now in sorted(rows, key=lambda r: r[2]):
        c = clusters.get(cid)
        if c is None:
            continue
        gap = (now - c.last_seen_at).total_seconds() if c.last_seen_at else 0
        day = credit[(cid, now.astimezone(tz()).date())]
        day[0] += int(min(max(gap, 0), 2 * c.heartbeat_interval))
        day[1] += 1
        c.last_seen_at = now
        status[cid] = (now, d)
        for key, alert in list(open_alerts[cid].items()):
            if key == "offline" or (key.startswith("fault:") and key[6:] not in d["faults"]):
                resolve.append(alert.pk)
                del open_alerts[cid][key]
        for f in d["faults"]:
            if f"fault:{f}" not in open_alerts[cid]:
                a = Alert(kind=Alert.Kind.FAULT, cluster_id=cid, place_path=c.place.path, key=f"fault:{f}"[:120],
                          message=both(Message(_("Cluster %(code)s reports a fault: %(fault)s"), code=c.code,
                                                       fault=f))[:300], created_at=now)
                open_alerts[cid][a.key] = a
                new_alerts.append(a)
    qn = connection.ops.quote_name
    sc, cd = SpeakerCluster._meta.db_table, ClusterDay._meta.db_table
    with connection.cursor() as cur:
        cur.executemany(
            f"UPDATE {qn(sc)} SET last_seen_at=%s, volume=%s, now_playing=%s, faults=%s, cached_until=%s, "
            f"client_version=%s, pending_logs=%s, last_seq=%s WHERE id=%s",
            [(_db_time(now), d["volume"], d["now_playing"], json.dumps(d["faults"]), _db_time(d["cached_until"]),
              d["version"], d["pending_logs"], max(0, d["last_seq"]), cid) for cid, (now, d) in status.items()])
        cur.executemany(
            f"INSERT INTO {qn(cd)} (cluster_id, day, online_seconds, heartbeats) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT (cluster_id, day) DO UPDATE SET online_seconds = {qn(cd)}.online_seconds + "
            f"excluded.online_seconds, heartbeats = {qn(cd)}.heartbeats + excluded.heartbeats",
            [(cid, day, secs, n) for (cid, day), (secs, n) in credit.items()])
    if resolve:
        Alert.objects.filter(pk__in=resolve).update(resolved_at=timezone.now())
    if new_alerts:
        Alert.objects.bulk_create(new_alerts)
    return len(status)


def _db_time(value):
    from django.db import connection

    return connection.ops.adapt_datetimefield_value(value) if value is not None else None


def _parse_time(value, name: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise RadioError(_("%(name)s: not an ISO time: %(value)s"), value=f"{value!r}", name=name) from None
    if t.tzinfo is None:
        raise RadioError(_("%(name)s: the time needs a UTC offset: %(value)s"), value=f"{value!r}", name=name)
    return t


def _alert(cluster, kind, key, message, now=None):
    return Alert.objects.create(kind=kind, cluster=cluster, place_path=cluster.place.path, key=key[:120],
                                message=message[:300], created_at=now or timezone.now())


LOG_FIELDS = {"uuid", "key", "status", "started_at", "scheduled_at", "duration", "late_seconds", "reason"}


def record_logs(cluster: SpeakerCluster, entries) -> dict:
    """Store play logs sent by a cluster (maybe hours late). Idempotent by UUID; the whole batch is checked first."""
    return store_logs(cluster, clean_logs(entries))


def clean_logs(entries) -> list[tuple]:
    """Check a batch of play logs; RadioError names the first bad entry and field."""
    if not isinstance(entries, list):
        raise RadioError(_("logs must be a list"))
    if len(entries) > 1000:
        raise RadioError(_("at most 1000 logs per request"))
    rows = []
    for n, e in enumerate(entries):
        where = f"logs[{n}]"
        if not isinstance(e, dict):
            raise RadioError(_("%(where)s: must be an object"), where=where)
        try:
            uid = uuidlib.UUID(str(e.get("uuid")))
        except ValueError:
            raise RadioError(_("%(where)s.uuid: not a UUID: %(x)s"), x=f"{e.get('uuid')!r}", where=where) from None
        status = e.get("status")
        if status not in PlayLog.Status.values:
            raise RadioError(_("%(where)s.status: must be one of %(values)s, got %(status)s"),
                             values=PlayLog.Status.values,
                             status=f"{status!r}", where=where)
        key = str(e.get("key") or "")
        if not key or len(key) > 80:
            raise RadioError(_("%(where)s.key: missing or too long"), where=where)
        started = _parse_time(e["started_at"], f"{where}.started_at") if e.get("started_at") else None
        scheduled = _parse_time(e["scheduled_at"], f"{where}.scheduled_at") if e.get("scheduled_at") else None
        try:
            duration = float(e.get("duration") or 0)
            late = int(e.get("late_seconds") or 0)
        except (TypeError, ValueError):
            raise RadioError(_("%(where)s: duration/late_seconds must be numbers"), where=where) from None
        rows.append((uid, key, status, started, scheduled, duration, late, str(e.get("reason") or "")[:200]))
    return rows


def store_logs(cluster: SpeakerCluster, rows: list[tuple]) -> dict:
    return store_logs_many([(cluster, rows)])[0]


# Play logs are partitioned by month of ``received_at`` on PostgreSQL (core/partitions) while the reports and the
# monitoring ask for the logs *scheduled* in a window. So that such a query may bound the partition key too (and
# PostgreSQL reads only the window's partitions), a log's ``received_at`` is kept within these margins of its
# scheduled time: it is the server's time of receipt, moved to the nearest edge when a cluster uploads a log more
# than RECEIVED_LATE after its scheduled time (offline for longer) or more than RECEIVED_EARLY before it (a fast
# clock, a bogus time). Nothing else reads ``received_at``.
RECEIVED_EARLY = dt.timedelta(days=1)
RECEIVED_LATE = dt.timedelta(days=7)


def received_at_for(scheduled: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """The ``received_at`` stored for a log scheduled at ``scheduled`` and received at ``now``."""
    if scheduled is None:
        return now
    return min(max(now, scheduled - RECEIVED_EARLY), scheduled + RECEIVED_LATE)


def scheduled_between(logs, start: dt.datetime | None = None, end: dt.datetime | None = None):
    """``logs`` (a PlayLog queryset) scheduled in ``[start, end)``, also bounded on the partition key
    ``received_at`` (see RECEIVED_LATE) so that PostgreSQL reads only the partitions of the window."""
    if start is not None:
        logs = logs.filter(scheduled_at__gte=start, received_at__gte=start - RECEIVED_EARLY)
    if end is not None:
        logs = logs.filter(scheduled_at__lt=end, received_at__lt=end + RECEIVED_LATE)
    return logs


def store_logs_many(batches: list[tuple[SpeakerCluster, list[tuple]]], now: dt.datetime | None = None) -> list[dict]:
    """Store cleaned log batches of many clusters with a handful of queries (the push server's group commit),
    received at ``now`` (default: the server's time).

    Known UUIDs are counted as duplicates; "not confirmed" alerts of the confirmed items are resolved; a
    ``failed`` log opens a "playback failed" alert. Returns one ``{"accepted", "duplicates"}`` per batch.
    """
    uuids = [r[0] for _, rows in batches for r in rows]
    known = set()
    for i in range(0, len(uuids), 5000):
        known.update(PlayLog.objects.filter(uuid__in=uuids[i:i + 5000]).values_list("uuid", flat=True))
    results, new, seen = [], [], set()
    now = now or timezone.now()
    for cluster, rows in batches:
        accepted = 0
        for uid, key, status, started, scheduled, duration, late, reason in rows:
            if uid in known or uid in seen:
                continue
            seen.add(uid)
            accepted += 1
            prog_id, em_id = _parse_key(key)
            new.append(PlayLog(uuid=uid, cluster=cluster, item_key=key, programme_id=prog_id, emergency_id=em_id,
                               scheduled_at=scheduled or started, started_at=started, duration_seconds=duration,
                               late_seconds=late, status=status, reason=reason,
                               received_at=received_at_for(scheduled or started, now)))
        results.append({"accepted": accepted, "duplicates": len(rows) - accepted})
    if new:
        _link(new)
        with transaction.atomic():
            PlayLog.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
            wanted = {(p.cluster_id, f"item:{p.item_key}") for p in new if p.programme_id}
            if wanted:
                open_ids = [pk for pk, cid, key in Alert.objects.filter(
                    kind=Alert.Kind.UNCONFIRMED, resolved_at__isnull=True, cluster_id__in={c for c, _ in wanted},
                    key__in={k for _, k in wanted}).values_list("pk", "cluster_id", "key") if (cid, key) in wanted]
                Alert.objects.filter(pk__in=open_ids).update(resolved_at=timezone.now())
            for p in new:
                if p.status == PlayLog.Status.FAILED:
                    _alert(p.cluster, Alert.Kind.FAILED, f"failed:{p.item_key}",
                           f"Cụm loa {p.cluster.code} không phát được «{p.item_key}»: {p.reason}")
    return results


def _parse_key(key: str) -> tuple[int | None, int | None]:
    try:
        if key.startswith("p") and "@" in key:
            return int(key[1:key.index("@")]), None
        if key.startswith("e"):
            return None, int(key[1:])
    except ValueError:
        pass
    return None, None


def _link(logs: list[PlayLog]) -> None:
    """Fill bulletin and category from the programme or emergency (ids that no longer exist are dropped)."""
    progs = {p.pk: p for p in Programme.objects.filter(pk__in={x.programme_id for x in logs if x.programme_id})
             .select_related("bulletin")}
    ems = {e.pk: e for e in Emergency.objects.filter(pk__in={x.emergency_id for x in logs if x.emergency_id})
           .select_related("bulletin")}
    for x in logs:
        prog, em = progs.get(x.programme_id), ems.get(x.emergency_id)
        x.programme_id = prog.pk if prog else None
        x.emergency_id = em.pk if em else None
        b = (prog.bulletin if prog else None) or (em.bulletin if em else None)
        x.bulletin = b
        x.category = b.category if b else ("relay" if prog else "")


def audio_file(cluster: SpeakerCluster, name: str) -> str | None:
    """The audio file ``<sha256>.<ext>`` if it is a bulletin's audio (any cluster may fetch broadcast audio):
    its name in the storage ``radio``."""
    sha, _, ext = name.partition(".")
    if len(sha) != 64 or f".{ext}" not in AUDIO_EXTENSIONS:
        return None
    b = Bulletin.objects.filter(audio_sha256=sha).exclude(audio_path="").first()
    if b is None:
        return None
    stored = files.radio_name(b.audio_path)
    return stored if files.exists("radio", stored) else None


# --- monitoring: offline clusters and unconfirmed items -------------------------------------------------

def check(now: dt.datetime | None = None, lookback: dt.timedelta = dt.timedelta(hours=24)) -> dict:
    """Raise alerts: clusters that missed 3 heartbeats; planned items with no confirmation after their end + grace."""
    now = now or timezone.now()
    clusters = list(SpeakerCluster.objects.filter(active=True).select_related("place"))
    offline = 0
    open_offline = set(Alert.objects.filter(kind=Alert.Kind.OFFLINE, resolved_at__isnull=True)
                       .values_list("cluster_id", flat=True))
    for c in clusters:
        if c.last_seen_at and not c.online(now) and c.pk not in open_offline:
            # stored in both languages for the log and the CLI; pages say it again in theirs (words.alert_text)
            _alert(c, Alert.Kind.OFFLINE, "offline",
                   both(Message(_("Cluster %(code)s (%(name)s) offline since %(when)s"), code=c.code, name=c.name,
                                when=f"{c.last_seen_at.astimezone(tz()):%d/%m/%Y %H:%M}")), now)
            offline += 1
    start, end = now - lookback, now - CONFIRM_GRACE
    progs = active_programmes(start, end)
    confirmed = set(scheduled_between(PlayLog.objects, start - dt.timedelta(hours=2))
                    .values_list("cluster_id", "item_key"))
    alerted = set(Alert.objects.filter(kind=Alert.Kind.UNCONFIRMED, created_at__gte=start - dt.timedelta(days=1))
                  .values_list("cluster_id", "key"))
    unconfirmed = 0
    for c in clusters:
        since = max(start, c.created_at)
        for p in plan_for(c, since, end, progs):
            if p.status == "skipped" or p.end + CONFIRM_GRACE > now or p.start < since:
                continue
            if (c.pk, p.key) in confirmed or (c.pk, f"item:{p.key}") in alerted:
                continue
            _alert(c, Alert.Kind.UNCONFIRMED, f"item:{p.key}",
                   both(Message(_("Not confirmed: «%(title)s» at %(when)s on %(code)s"),
                                title=p.slot.data.get("title", ""), when=f"{p.start.astimezone(tz()):%H:%M %d/%m}",
                                code=c.code)), now)
            unconfirmed += 1
    return {"offline": offline, "unconfirmed": unconfirmed}


# --- status and reports ---------------------------------------------------------------------------------

def cluster_rows(clusters, now=None) -> list[dict]:
    now = now or timezone.now()
    open_alerts = defaultdict(int)
    for cid in Alert.objects.filter(cluster__in=clusters, resolved_at__isnull=True).values_list("cluster_id", flat=True):
        open_alerts[cid] += 1
    return [{"c": c, "online": c.online(now), "alerts": open_alerts[c.pk]} for c in clusters]


def period(year: int, month: int | None) -> tuple[dt.datetime, dt.datetime]:
    if month is not None and not 1 <= month <= 12:
        raise RadioError(_("month must be 1-12"))
    if not 2000 <= year <= 2100:
        raise RadioError(_("year must be 2000-2100"))
    z = tz()
    if month:
        start = dt.datetime(year, month, 1, tzinfo=z)
        end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=z)
    else:
        start, end = dt.datetime(year, 1, 1, tzinfo=z), dt.datetime(year + 1, 1, 1, tzinfo=z)
    return start, end


def report(place: Place, year: int, month: int | None = None, now=None) -> dict:
    """Hours broadcast per commune and category, bulletins per cluster with delivery confirmation, uptime.
    Read from the read replica when one is configured (``core.db``)."""
    from ngoso.core.db import reading_from_replica

    with reading_from_replica():
        return _report(place, year, month, now)


def _report(place: Place, year: int, month: int | None, now) -> dict:

    now = now or timezone.now()
    start, end = period(year, month)
    clusters = list(within(SpeakerCluster.objects.select_related("place", "place__parent"), place))
    by_id = {c.pk: c for c in clusters}

    def commune_of(c):
        return c.place if c.place.level == Level.COMMUNE else (c.place.parent or c.place)

    logs = scheduled_between(PlayLog.objects.filter(cluster_id__in=by_id), start, end)
    hours = defaultdict(lambda: defaultdict(float))
    per_cluster = defaultdict(lambda: defaultdict(int))
    confirmed = defaultdict(set)
    for cid, key, status, dur, cat, late in logs.values_list("cluster_id", "item_key", "status", "duration_seconds",
                                                             "category", "late_seconds"):
        c = by_id[cid]
        per_cluster[cid][status] += 1
        confirmed[cid].add(key)
        if status in ("played", "interrupted"):
            hours[commune_of(c).name][cat or "other"] += dur / 3600
            per_cluster[cid]["seconds"] += dur
            if late > 60:
                per_cluster[cid]["late"] += 1
    # expected items (the plan) to measure delivery; only up to now
    plan_end = min(end, now - CONFIRM_GRACE)
    progs = active_programmes(start, plan_end) if plan_end > start else []
    uptime_sum = defaultdict(int)
    for cid, secs in ClusterDay.objects.filter(cluster_id__in=by_id, day__gte=start.date(),
                                               day__lt=end.date()).values_list("cluster_id", "online_seconds"):
        uptime_sum[cid] += secs
    rows = []
    for c in clusters:
        since = max(start, c.created_at)
        keys = _plan_keys(c, since, plan_end, progs) if plan_end > since else set()
        expected = len(keys)
        counted_from = max(start, c.created_at)
        span = max(1.0, (min(end, now) - counted_from).total_seconds())
        pc = per_cluster[c.pk]
        rows.append({"code": c.code, "name": c.name, "place": c.place.name, "commune": commune_of(c).name,
                     "expected": expected, "played": pc["played"], "interrupted": pc["interrupted"],
                     "skipped": pc["skipped"], "failed": pc["failed"], "late": pc["late"],
                     "missing": len(keys - confirmed[c.pk]),
                     "hours": round(pc["seconds"] / 3600, 2),
                     "uptime_pct": round(min(100.0, 100 * uptime_sum[c.pk] / span), 1) if span > 1 else None})
    cats = [c.value for c in Category] + ["relay"]
    hour_rows = [{"commune": k, **{cat: round(v.get(cat, 0.0), 2) for cat in cats},
                  "total": round(sum(v.values()), 2)} for k, v in vi_sorted(hours.items(), key=lambda kv: kv[0])]
    return {"place": place, "year": year, "month": month, "start": start, "end": end, "categories": cats,
            "category_labels": {**dict(Category.choices), "relay": pgettext_lazy("radio category", "Relay")},
            "hours": hour_rows, "clusters": rows,
            "totals": {"hours": round(sum(r["total"] for r in hour_rows), 2),
                       "expected": sum(r["expected"] for r in rows), "played": sum(r["played"] for r in rows),
                       "missing": sum(r["missing"] for r in rows)}}


def _plan_keys(c, since, end, progs) -> set[str]:
    return {p.key for p in plan_for(c, since, end, progs) if p.status != "skipped" and p.start >= since}


def _title(data: dict) -> str:
    """The report's title in the active language: "Báo cáo truyền thanh tháng 11/2026"."""
    if data["month"]:
        return str(_("Radio report, month %(month)s/%(year)s")) % {"month": f"{data['month']:02d}", "year": data["year"]}
    return str(_("Radio report, year %(year)s")) % {"year": data["year"]}


def _heading(data: dict, now=None) -> dict:
    """The official heading and lines above the tables, in the active language (``places.heading``)."""
    from django.utils.formats import number_format

    from ngoso.places.heading import area_label, heading

    t = data["totals"]
    return {**heading(data["place"], timezone.localdate(now), _("Radio station")),
            "title": _title(data).upper(), "area": area_label(data["place"]),
            "summary": str(_("Hours on air: %(hours)s · played / scheduled: %(played)s / %(expected)s · not confirmed: "
                             "%(missing)s")) % {"hours": number_format(t["hours"], 2),
                                                "played": number_format(t["played"], force_grouping=True),
                                                "expected": number_format(t["expected"], force_grouping=True),
                                                "missing": number_format(t["missing"], force_grouping=True)}}


def report_xlsx(data: dict, now=None) -> bytes:
    """The report as a workbook a commune sends up, in the active language: the official heading, the hours by
    commune and category (hours "#,##0.00"), then a sheet of the clusters (counts "#,##0", uptime a real
    percentage "0.0%"); headers bold and frozen, widths set, A4 fitted to the width with the header repeated."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    h = _heading(data, now)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8EEF4")
    wrap = Alignment(wrap_text=True, vertical="center", horizontal="center")

    def table(ws, row: int, headers: list, rows: list, formats: list, widths: list) -> int:
        xlsx.append_at(ws, row, headers)
        for j, w in enumerate(widths, start=1):
            c = ws.cell(row, j)
            c.font, c.fill, c.alignment = bold, fill, wrap
            letter = c.column_letter
            ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, w)
        ws.row_dimensions[row].height = 32
        for i, values in enumerate(rows, start=row + 1):
            xlsx.append_at(ws, i, values)
            for j, fmt in enumerate(formats, start=1):
                if fmt:
                    ws.cell(i, j).number_format = fmt
        return row

    wb = Workbook()
    ws = wb.active
    ws.title = xlsx.sheet_title(str(_("Hours on air")))
    labels = data["category_labels"]
    row = xlsx.title_block(ws, h, [(h["title"], "title"), (h["area"], "bold"), (h["summary"], "italic")],
                           width=len(data["categories"]) + 2)
    header = table(ws, row, [str(_("Commune / ward"))] + [str(labels[c]) for c in data["categories"]] + [str(_("Total"))],
                   [[r["commune"]] + [r[c] for c in data["categories"]] + [r["total"]] for r in data["hours"]],
                   [None] + ["#,##0.00"] * (len(data["categories"]) + 1), [28] + [13] * (len(data["categories"]) + 1))
    ws.freeze_panes = ws.cell(header + 1, 2)
    xlsx.print_setup(ws, f"{header}:{header}", landscape=True)

    ws2 = wb.create_sheet(xlsx.sheet_title(str(pgettext_lazy("radio", "Clusters"))))
    xlsx.append_at(ws2, 1, [h["title"]])
    ws2.cell(1, 1).font = Font(bold=True, size=12)
    xlsx.append_at(ws2, 2, [h["area"]])
    ws2.cell(2, 1).font = Font(italic=True)
    cols = [(_("Code"), 16, None), (pgettext_lazy("radio", "Cluster"), 26, None), (_("Place"), 18, None),
            (_("Commune / ward"), 18, None), (pgettext_lazy("radio", "Scheduled"), 11, "#,##0"),
            (pgettext_lazy("radio count", "Played"), 11, "#,##0"), (_("Cut short"), 10, "#,##0"),
            (pgettext_lazy("radio count", "Skipped"), 10, "#,##0"), (pgettext_lazy("radio count", "Failed"), 10, "#,##0"),
            (_("Over 1 minute late"), 12, "#,##0"), (pgettext_lazy("radio count", "Not confirmed"), 12, "#,##0"),
            (_("Hours on air"), 11, "#,##0.00"), (_("Uptime"), 11, "0.0%")]
    header = table(ws2, 4, [str(c[0]) for c in cols],
                   [[r["code"], r["name"], r["place"], r["commune"], r["expected"], r["played"], r["interrupted"],
                     r["skipped"], r["failed"], r["late"], r["missing"], r["hours"],
                     None if r["uptime_pct"] is None else round(r["uptime_pct"] / 100, 4)] for r in data["clusters"]],
                   [c[2] for c in cols], [c[1] for c in cols])
    ws2.freeze_panes = ws2.cell(header + 1, 3)
    xlsx.print_setup(ws2, f"{header}:{header}", landscape=True)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def report_pdf(data: dict) -> bytes:
    """The same report as a PDF (weasyprint, DejaVu fonts so Vietnamese diacritics render)."""
    from django.template.loader import render_to_string

    html = render_to_string("radio/report_pdf.html", {"d": data, "h": _heading(data), "title": _title(data)})
    return html_to_pdf(html)
