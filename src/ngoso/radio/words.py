"""The radio in plain words: the one place that turns stored codes into what a person reads.

Weekdays are stored 0 (Monday) … 6 (Sunday) and shown as Vietnamese calendars write them, T2 … T7, CN
(English: Mon … Sun); priorities are stored ``normal`` / ``priority`` / ``emergency`` and shown as
Thường / Ưu tiên / Khẩn cấp. The programme form, the programme list, the plans and the reports all use these.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from .models import Priority

WEEKDAYS = (
    pgettext_lazy("weekday short", "Mon"), pgettext_lazy("weekday short", "Tue"),
    pgettext_lazy("weekday short", "Wed"), pgettext_lazy("weekday short", "Thu"),
    pgettext_lazy("weekday short", "Fri"), pgettext_lazy("weekday short", "Sat"),
    pgettext_lazy("weekday short", "Sun"),
)


def weekday_choices() -> list[tuple[int, str]]:
    """``[(0, "T2"), …, (6, "CN")]`` for the programme form's check boxes."""
    return [(n, str(label)) for n, label in enumerate(WEEKDAYS)]


def weekdays_label(days) -> str:
    """``[0, 2, 4]`` -> "T2, T4, T6"; empty -> "hằng ngày" / "every day"; all seven -> every day too."""
    days = sorted({int(d) for d in days or () if str(d).lstrip("-").isdigit() and 0 <= int(d) <= 6})
    if not days or len(days) == 7:
        return pgettext("radio days", "every day")
    return ", ".join(str(WEEKDAYS[d]) for d in days)


def priority_label(value) -> str:
    """``"priority"`` -> "Ưu tiên"; an unknown code is shown as it is rather than hidden."""
    try:
        return str(Priority(value).label)
    except ValueError:
        return str(value or "")


def plan_note(status: str, delay_seconds: int = 0, reason: str = "") -> str:
    """What happens to one planned airing, in words (the plan's ``status``/``reason`` codes are for machines)."""
    if status == "skipped":
        return _("skipped: another item plays at that time") if reason in ("", "conflict") else \
            _("skipped (%(reason)s)") % {"reason": reason}
    if status == "interrupted":
        return _("cut short by an emergency")
    if delay_seconds:
        return _("%(n)d seconds late") % {"n": delay_seconds}
    return ""


FAULTS = {
    "amplifier_overheat": pgettext_lazy("radio fault", "amplifier overheating"),
    "audio_missing": pgettext_lazy("radio fault", "a sound file for the next 24 hours is missing"),
    "player_missing": pgettext_lazy("radio fault", "no audio player on the device"),
}


# Why a cluster did not play an item as planned (``PlayLog.reason``, sent by the speaker client in English
# words a machine chose): said in the reader's language; anything else (an error's own text) is shown as sent.
PLAY_REASONS = {
    "conflict": pgettext_lazy("radio play", "another item played at that time"),
    "withdrawn": pgettext_lazy("radio play", "withdrawn"),
    "missed: the cluster was not running at that time": pgettext_lazy("radio play",
                                                                     "the cluster was not running at that time"),
    "emergency": pgettext_lazy("radio play", "cut short by an emergency"),
    "stopped by operator": pgettext_lazy("radio play", "stopped by the operator"),
    "amplifier did not power on": pgettext_lazy("radio play", "the amplifier did not power on"),
}


def play_reason(reason: str) -> str:
    """``"stopped by operator"`` -> "người vận hành đã dừng"; an unknown reason is shown as it came."""
    label = PLAY_REASONS.get((reason or "").strip())
    if label is not None:
        return str(label)
    if reason.startswith("audio not cached: "):
        return _("the sound file was not on the device (%(error)s)") % {"error": reason[len("audio not cached: "):]}
    return reason


def fault_label(code: str) -> str:
    """A fault code reported by a cluster (``amplifier_overheat``) in words; an unknown code is shown as sent."""
    label = FAULTS.get(code)
    return str(label) if label is not None else code.replace("_", " ")


def faults_label(codes) -> str:
    return ", ".join(fault_label(c) for c in codes or ()) or "—"


_WHEN = re.compile(r"(\d\d/\d\d/\d{4} \d\d:\d\d)")
_UNCONFIRMED = re.compile(r"«(?P<title>.*)» lúc (?P<when>\d\d:\d\d \d\d/\d\d) tại (?P<code>\S+)")
_FAILED = re.compile(r"không phát được «(?P<item>.*)»: (?P<reason>.*)$")


def _item_title(cluster_id, item_key: str) -> str:
    """What a cluster was to play (``PlayLog.item_key``, a machine key such as ``p12@2026-12-05T06:00``) named
    by its bulletin's title; the key as it is when no bulletin is known."""
    from .models import PlayLog

    title = (PlayLog.objects.filter(cluster_id=cluster_id, item_key=item_key, bulletin__isnull=False)
             .values_list("bulletin__title", flat=True).first())
    return title or item_key


def alert_text(alert) -> str:
    """An alert in the reader's language. Stored messages are bilingual sentences for the log and the CLI;
    the pages rebuild them from the alert's kind, key and cluster (and the facts the sentence holds)."""
    code = alert.cluster.code if alert.cluster_id else ""
    kind, message = alert.kind, alert.message or ""
    if kind == "fault" and alert.key.startswith("fault:"):
        return _("Cluster %(code)s reports a fault: %(fault)s") % {"code": code, "fault": fault_label(alert.key[6:])}
    if kind == "offline":
        m = _WHEN.search(message)
        return _("Cluster %(code)s offline since %(when)s") % {"code": code, "when": m.group(1) if m else "—"}
    if kind == "unconfirmed":
        m = _UNCONFIRMED.search(message)
        if m:
            return _("Not confirmed: «%(title)s» at %(when)s on cluster %(code)s") % m.groupdict()
    if kind == "failed":
        m = _FAILED.search(message)
        if m:
            return _("Cluster %(code)s could not play «%(item)s»: %(reason)s") % {
                "code": code, "item": _item_title(alert.cluster_id, m["item"]), "reason": play_reason(m["reason"])}
    return message
