"""Where an emergency is, cluster by cluster, and what the operator is told — before and after sending.

Before: ``reach(targets)`` counts the clusters under the chosen places and how many are online now, for the
confirm step. After: ``emergency_status(em)`` gives each targeted cluster one state, from what the clusters
themselves reported (never from the fact that the server queued a command):

- ``played``   a play log for this emergency came back with status *played*;
- ``playing``  the cluster is online, has acknowledged the command and reports the emergency's title as playing;
- ``received`` the cluster's heartbeat acknowledged the command (its ``last_seq`` reached the command's);
- ``stopped``  the emergency was stopped before this cluster played it (or its play log says *interrupted*);
- ``failed``   its play log says *failed* (or *skipped*);
- ``offline``  not online now and nothing acknowledged;
- ``sending``  online, the command not acknowledged yet (the next heartbeat or long-poll answer brings it).

A cluster drops an emergency issued more than ``client.EMERGENCY_MAX_AGE`` seconds before it hears of it,
so the result message says how long an offline cluster has to reconnect.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.utils.translation import ngettext

from .models import Command, Emergency, PlayLog, SpeakerCluster

EMERGENCY_MAX_AGE_MINUTES = 10  # client.handle_commands: an emergency older than 600 s is not played

STATES = {
    "played": pgettext_lazy("radio delivery", "played"),
    "playing": pgettext_lazy("radio delivery", "playing"),
    "received": pgettext_lazy("radio delivery", "received"),
    "sending": pgettext_lazy("radio delivery", "sending"),
    "offline": pgettext_lazy("radio delivery", "offline"),
    "stopped": pgettext_lazy("radio delivery", "stopped"),
    "failed": pgettext_lazy("radio delivery", "failed to play"),
}
ORDER = ("playing", "received", "sending", "played", "offline", "failed", "stopped")


def clusters_for(paths) -> list[SpeakerCluster]:
    from .services import clusters_under

    return clusters_under(paths)


def reach(targets, now=None) -> dict:
    """``{"total", "online", "offline": [cluster, …], "clusters": [...]}`` for the places chosen (confirm step)."""
    now = now or timezone.now()
    clusters = clusters_for(sorted({t.path for t in targets}))
    online = [c for c in clusters if c.online(now)]
    return {"total": len(clusters), "online": len(online), "clusters": clusters,
            "offline": [c for c in clusters if not c.online(now)]}


def result_message(online: int, total: int) -> str:
    """The honest sentence after sending: how many clusters can play it now, and what happens to the others."""
    if total == 0:
        return _("No loudspeaker cluster is registered in the chosen areas: the emergency reaches nobody.")
    if online == 0:
        return _("0 of %(total)d clusters online — the emergency will play when they reconnect "
                 "(within %(minutes)d minutes).") % {"total": total, "minutes": EMERGENCY_MAX_AGE_MINUTES}
    if online == total:
        return ngettext("Emergency sent to the %(total)d cluster online.",
                        "Emergency sent to all %(total)d clusters, all online.", total) % {"total": total}
    return _("Emergency sent to %(online)d of %(total)d clusters online; the %(offline)d offline will play it "
             "when they reconnect (within %(minutes)d minutes).") % {
        "online": online, "total": total, "offline": total - online, "minutes": EMERGENCY_MAX_AGE_MINUTES}


def stop_message(em: Emergency, now=None) -> str:
    """What stopping did: the command goes to every targeted cluster; those offline never start it again."""
    now = now or timezone.now()
    clusters = clusters_for(em.target_paths)
    online = sum(1 for c in clusters if c.online(now))
    return _("Emergency «%(title)s» stopped: the stop command goes to %(online)d of %(total)d clusters online "
             "now; the others will not play it when they reconnect.") % {
        "title": em.bulletin.title, "online": online, "total": len(clusters)}


def _state(c: SpeakerCluster, em: Emergency, seq: int, logs: list[str], now) -> str:
    if "played" in logs:
        return "played"
    if "interrupted" in logs:
        return "stopped"
    if "failed" in logs or "skipped" in logs:
        return "failed"
    online = c.online(now)
    acknowledged = bool(seq) and c.last_seq >= seq and c.last_seen_at is not None and c.last_seen_at >= em.issued_at
    if em.cancelled_at is not None:
        return "stopped"
    if online and acknowledged and c.now_playing and c.now_playing == em.bulletin.title:
        return "playing"
    if acknowledged:
        return "received"
    return "sending" if online else "offline"


def emergency_status(em: Emergency, now=None) -> dict:
    """Every targeted cluster's state and the counts; the same dictionary feeds the page and its JSON."""
    now = now or timezone.now()
    clusters = clusters_for(em.target_paths)
    seq = Command.objects.filter(emergency=em, kind=Command.Kind.EMERGENCY).values_list("pk", flat=True).first() or 0
    logs: dict[int, list[str]] = {}
    for cid, status in PlayLog.objects.filter(emergency=em).values_list("cluster_id", "status"):
        logs.setdefault(cid, []).append(status)
    rows = []
    for c in clusters:
        state = _state(c, em, seq, logs.get(c.pk, []), now)
        rows.append({"code": c.code, "name": c.name, "place": c.place.name, "state": state,
                     "label": str(STATES[state]), "online": c.online(now),
                     "last_seen": timezone.localtime(c.last_seen_at).strftime("%H:%M:%S %d/%m/%Y")
                     if c.last_seen_at else ""})
    counts = {s: sum(1 for r in rows if r["state"] == s) for s in ORDER}
    return {"emergency": em.pk, "title": em.bulletin.title, "stopped": em.cancelled_at is not None,
            "total": len(rows), "online": sum(1 for r in rows if r["online"]), "counts": counts,
            "summary": ", ".join(f"{counts[s]} {STATES[s]}" for s in ORDER if counts[s]) or "—",
            "clusters": rows, "checked_at": timezone.localtime(now).strftime("%H:%M:%S")}
