"""The three priority rules, as one pure function over a cluster's day: ``resolve(slots) -> plan``.

Rules (Circular 39/2020/TT-BTTTT, made precise):

1. **Emergency** items start exactly on time. An item of lower priority still playing then is cut
   (``interrupted``); lower items due during the emergency wait for it to end.
2. **Priority** items are played first: when several items are due at the same moment (or are waiting
   behind a longer one), the highest priority goes first, then the earliest scheduled, then the oldest.
3. **Normal** items wait their turn; a normal item that would start more than ``MAX_DELAY[normal]``
   late is ``skipped`` (reason ``conflict``) rather than played at a time nobody expects. Priority
   items may wait longer (``MAX_DELAY[priority]``).
4. A **relay** of a live stream fills its time window; bulletins due inside the window play in it
   (the relay pauses and resumes afterwards), so the relay is split around them.

Nothing here touches the database: the server resolves each cluster's next days with it, and the
tests exercise the rules directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

RANK = {"normal": 0, "priority": 1, "emergency": 2}
MAX_DELAY = {"normal": dt.timedelta(minutes=20), "priority": dt.timedelta(minutes=60),
             "emergency": dt.timedelta(minutes=60)}


@dataclass(frozen=True)
class Slot:
    """One airing as scheduled: ``key`` is the same on every cluster (``p12@2026-11-29T06:00+07:00``)."""

    key: str
    start: dt.datetime
    duration: float  # seconds
    priority: str = "normal"
    kind: str = "audio"  # "audio" or "stream"
    order: int = 0  # tie-break: older programmes first
    data: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=self.duration)


@dataclass(frozen=True)
class Planned:
    slot: Slot
    start: dt.datetime  # when it will actually start
    end: dt.datetime  # when it will end (earlier than start+duration when an emergency cuts it)
    status: str = "scheduled"  # scheduled | interrupted | skipped
    reason: str = ""

    @property
    def key(self) -> str:
        return self.slot.key

    @property
    def delay_seconds(self) -> int:
        return int((self.start - self.slot.start).total_seconds())


def resolve(slots: list[Slot]) -> list[Planned]:
    """Apply the priority rules to one cluster's slots; returns every slot (skipped ones too), in play order."""
    audio = sorted((s for s in slots if s.kind != "stream"), key=lambda s: (s.start, -RANK[s.priority], s.order, s.key))
    streams = [s for s in slots if s.kind == "stream"]
    plan: list[Planned] = []
    pending: list[Slot] = []
    i, t = 0, None
    while i < len(audio) or pending:
        if not pending:
            t = audio[i].start if t is None else max(t, audio[i].start)
        while i < len(audio) and audio[i].start <= t:
            pending.append(audio[i])
            i += 1
        pending.sort(key=lambda s: (-RANK[s.priority], s.start, s.order, s.key))
        best = pending.pop(0)
        if t - best.start > MAX_DELAY[best.priority]:
            plan.append(Planned(best, best.start, best.start, "skipped", "conflict"))
            continue
        start, end = t, t + dt.timedelta(seconds=best.duration)
        status, reason = "scheduled", ""
        if best.priority != "emergency":
            # the next emergency due before this item ends cuts it (rule 1)
            for later in audio[i:]:
                if later.start >= end:
                    break
                if later.priority == "emergency":
                    end, status, reason = later.start, "interrupted", f"emergency {later.key}"
                    break
        plan.append(Planned(best, start, end, status, reason))
        t = end
    busy = sorted((p.start, p.end) for p in plan if p.status != "skipped" and p.end > p.start)
    for s in sorted(streams, key=lambda s: (s.start, s.order)):
        plan.extend(_split_stream(s, busy))
    plan.sort(key=lambda p: (p.start, p.slot.kind == "stream"))
    return plan


def _split_stream(slot: Slot, busy: list[tuple[dt.datetime, dt.datetime]]) -> list[Planned]:
    """The parts of a relay window not taken by bulletins; each part keeps the slot's key with a suffix."""
    parts, cursor, end = [], slot.start, slot.end
    for b_start, b_end in busy:
        if b_end <= cursor or b_start >= end:
            continue
        if b_start > cursor:
            parts.append((cursor, b_start))
        cursor = max(cursor, b_end)
    if cursor < end:
        parts.append((cursor, end))
    out = []
    for n, (a, b) in enumerate(parts):
        piece = slot if len(parts) == 1 else replace(slot, key=f"{slot.key}#{n + 1}")
        out.append(Planned(piece, a, b, "scheduled", "" if len(parts) == 1 else "relay resumes around bulletins"))
    if not parts:
        out.append(Planned(slot, slot.start, slot.start, "skipped", "window taken by bulletins"))
    return out


def occurrences(times: list[str], weekdays: list[int], start_date: dt.date, end_date: dt.date | None,
                window_start: dt.datetime, window_end: dt.datetime, tz) -> list[dt.datetime]:
    """Every aware datetime of a recurring programme inside ``[window_start, window_end)``."""
    out = []
    day = max(start_date, window_start.astimezone(tz).date() - dt.timedelta(days=1))
    last = window_end.astimezone(tz).date()
    if end_date:
        last = min(last, end_date)
    while day <= last:
        if not weekdays or day.weekday() in weekdays:
            for hhmm in times:
                h, m, sec = parse_time(hhmm)
                when = dt.datetime.combine(day, dt.time(h, m, sec), tzinfo=tz)
                if window_start <= when < window_end:
                    out.append(when)
        day += dt.timedelta(days=1)
    return sorted(out)


def parse_time(value: str) -> tuple[int, int, int]:
    """"6:00", "06:00", "17h", "17h30", "06:00:30" -> (hour, minute, second); ValueError naming the bad value."""
    v = str(value).strip().lower().replace("h", ":")
    if v.endswith(":"):
        v += "00"
    try:
        parts = [int(x) for x in v.split(":")]
    except ValueError:
        raise ValueError(f"giờ không hợp lệ / bad time {value!r} (dùng / use HH:MM)") from None
    if len(parts) == 2:
        parts.append(0)
    if len(parts) != 3 or not (0 <= parts[0] < 24 and 0 <= parts[1] < 60 and 0 <= parts[2] < 60):
        raise ValueError(f"giờ không hợp lệ / bad time {value!r} (dùng / use HH:MM)")
    return parts[0], parts[1], parts[2]


def format_time(value: str) -> str:
    h, m, s = parse_time(value)
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")
