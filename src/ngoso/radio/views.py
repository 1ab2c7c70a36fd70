"""Pages of the smart radio: thin — parse, check scope and permission, call services, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ngoso.accounts.scope import can_see_place, get_scoped_or_404, scoped
from ngoso.core.clean import safe_next
from ngoso.core.text import vi_key
from ngoso.people.io import ImportFailed
from ngoso.places.models import Level, Place

from . import abbreviations as abbr
from . import delivery, services, tasks, words
from .models import Alert, Bulletin, Category, Connection, Emergency, Priority, Programme, SpeakerCluster
from .services import RadioError
from django.utils.translation import gettext_lazy

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_CHARS = 20000  # the editor's preview explains this much; the speech reads the whole text


def _require(user, perm="radio"):
    if not user.can(perm):
        raise PermissionDenied(perm)


def _area_places(user, levels=(Level.PROVINCE, Level.COMMUNE, Level.VILLAGE)):
    """Current places the user may target, for pickers (their own place and below)."""
    qs = Place.objects.filter(valid_to__isnull=True, level__in=levels)
    if user.place_id:
        qs = qs.under(user.place)
    elif not user.is_superuser:
        return Place.objects.none()
    places = list(qs.order_by("path")[:2000])
    # each place under its parent, siblings in Vietnamese order (by path they came as codes: Thôn Dĩnh, Thôn Vân,
    # Thôn Đình, …)
    names = {p.path: p.name for p in places}

    def key(p):
        parts = p.path.strip("/").split("/")
        return tuple(vi_key(names.get("/".join(parts[:i + 1]) + "/", "")) for i in range(len(parts)))

    return sorted(places, key=key)


def _places_from(request, field):
    out = []
    for code in request.POST.getlist(field):
        place = Place.objects.filter(code=code).first()
        if place is None or not can_see_place(request.user, place):
            raise RadioError(gettext_lazy("place '%(place)s' is not in your area"), place=code)
        out.append(place)
    return out


@login_required
def home(request):
    _require(request.user)
    clusters = list(scoped(SpeakerCluster.objects.select_related("place"), request.user))
    rows = services.cluster_rows(clusters)
    alerts = scoped(Alert.objects.filter(resolved_at__isnull=True, acknowledged_at__isnull=True), request.user)
    waiting = scoped(Bulletin.objects.filter(status=Bulletin.Status.DRAFT), request.user).select_related("place")
    now = timezone.now()
    today = []
    if clusters:
        end = now + dt.timedelta(hours=24)
        progs = services.active_programmes(now, end)
        seen = set()
        for c in clusters[:50]:
            for p in services.plan_for(c, now, end, progs):
                if p.key not in seen:
                    seen.add(p.key)
                    today.append(p)
        today.sort(key=lambda p: p.start)
    emergencies = scoped(Emergency.objects.filter(cancelled_at__isnull=True, issued_at__gte=now - dt.timedelta(hours=6)),
                         request.user).select_related("bulletin")
    return render(request, "radio/home.html", {
        "rows": rows, "online": sum(1 for r in rows if r["online"]), "alerts": alerts.select_related("cluster")[:100],
        "waiting": waiting[:50], "today": today[:40], "emergencies": emergencies, "tz": services.tz()})


@login_required
def clusters(request):
    _require(request.user)
    rows = services.cluster_rows(list(scoped(SpeakerCluster.objects.select_related("place"), request.user)))
    return render(request, "radio/clusters.html", {"rows": rows})


@login_required
def cluster_new(request):
    _require(request.user)
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            place = _places_from(request, "place")
            if not place:
                raise RadioError(gettext_lazy("choose a village or commune"))
            fields = {"address": form.get("address", "")[:200], "connection": form.get("connection", "4g"),
                      "amplifier": form.get("amplifier", "")[:120], "speakers": form.get("speakers", "")[:120]}
            if fields["connection"] not in Connection.values:
                raise RadioError(gettext_lazy("bad connection type"))
            for name in ("latitude", "longitude"):
                if form.get(name):
                    try:
                        fields[name] = round(float(form[name]), 6)
                    except ValueError:
                        raise RadioError(gettext_lazy("%(name)s: must be a number"), name=name) from None
            if form.get("installed_on"):
                try:
                    fields["installed_on"] = dt.date.fromisoformat(form["installed_on"])
                except ValueError:
                    raise RadioError(gettext_lazy("bad installation date")) from None
            cluster, code = services.register_cluster(place=place[0], code=form.get("code", ""),
                                                      name=form.get("name", ""), user=request.user, **fields)
        except RadioError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Registration code (once, valid 7 days): %(code)s") % {"code": code})
            return redirect("radio_cluster", code=cluster.code)
    return render(request, "radio/cluster_new.html", {
        "places": _area_places(request.user, (Level.COMMUNE, Level.VILLAGE)), "connections": Connection.choices,
        "form": form})


@login_required
def cluster_detail(request, code):
    _require(request.user)
    cluster = get_scoped_or_404(SpeakerCluster.objects.select_related("place"), request.user, code=code)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "code":
            code = services.issue_registration_code(cluster, request.user)
            messages.success(request, _("New registration code: %(code)s") % {"code": code})
        elif action == "revoke":
            services.revoke_cluster_token(cluster, request.user)
            messages.success(request, _("Access token revoked."))
        elif action in ("deactivate", "activate"):
            services.set_cluster_active(cluster, action == "activate", request.user)
        return redirect("radio_cluster", code=cluster.code)
    now = timezone.now()
    return render(request, "radio/cluster.html", {
        "c": cluster, "online": cluster.online(now), "plays": cluster.plays.select_related("bulletin")[:50],
        "alerts": cluster.alerts.all()[:30], "plan": services.plan_for(cluster, now, now + dt.timedelta(days=2)),
        "tz": services.tz()})


@login_required
def bulletins(request):
    _require(request.user)
    qs = scoped(Bulletin.objects.select_related("place", "author"), request.user)
    status = request.GET.get("status")
    if status in Bulletin.Status.values:
        qs = qs.filter(status=status)
    return render(request, "radio/bulletins.html", {"bulletins": qs[:200], "statuses": Bulletin.Status.choices,
                                                    "status": status})


@login_required
def bulletin_edit(request, pk=None):
    _require(request.user)
    bulletin = get_scoped_or_404(Bulletin.objects.all(), request.user, pk=pk) if pk else None
    form = request.POST if request.method == "POST" else ({
        "title": bulletin.title, "text": bulletin.text, "category": bulletin.category,
        "priority": bulletin.priority, "voice": bulletin.voice} if bulletin else {})
    if request.method == "POST":
        try:
            if bulletin is None:
                place = request.user.place
                if place is None:
                    raise RadioError(gettext_lazy("your account has no area"))
                bulletin = services.create_bulletin(title=form.get("title", ""), text=form.get("text", ""),
                                                    category=form.get("category", ""), place=place,
                                                    author=request.user, priority=form.get("priority", "normal"))
                if form.get("voice") in ("north", "central", "south"):
                    bulletin.voice = form["voice"]
                    bulletin.save()
            else:
                services.edit_bulletin(bulletin, request.user, title=form.get("title", "").strip(), text=form.get("text", ""),
                                       category=form.get("category"), priority=form.get("priority"),
                                       voice=form.get("voice") if form.get("voice") in ("north", "central", "south")
                                       else None)
            upload = request.FILES.get("audio")
            if upload:
                services.attach_upload(bulletin, upload.read(), upload.name, request.user)
                messages.success(request, _("Recording attached."))
            elif bulletin.text.strip() and bulletin.audio_status != Bulletin.Audio.READY:
                job = services.request_render(bulletin, request.user)
                messages.info(request, _("The machine is reading the bulletin aloud (job %(n)d).") % {"n": job.pk})
        except RadioError as exc:
            messages.error(request, str(exc))
        else:
            return redirect("radio_bulletin", pk=bulletin.pk)
    return render(request, "radio/bulletin_edit.html", {
        "b": bulletin, "form": form, "categories": Category.choices, "priorities": Priority.choices,
        "preview_place": bulletin.place if bulletin else request.user.place})


def _preview_place(request):
    """The place whose local abbreviations the preview uses: the ``place`` posted (a bulletin's), else the user's."""
    code = request.POST.get("place", "")
    if code:
        place = Place.objects.filter(code=code).first()
        if place is None or not can_see_place(request.user, place):
            raise PermissionDenied(code)
        return place
    return request.user.place


@login_required
def preview(request):
    """The editor's explaining preview (POST text, voice, place): the reading cut into kept text and changed spans,
    each with the rule that changed it; ``spoken`` is the whole reading."""
    _require(request.user)
    if request.method != "POST":
        return JsonResponse({"error": "POST"}, status=405)
    full = request.POST.get("text", "")
    text = full[:PREVIEW_CHARS]
    data = services.explain_preview(text, request.POST.get("voice", "north"), _preview_place(request))
    data["summary"] = ngettext("%(n)d part read differently from how it is written",
                               "%(n)d parts read differently from how they are written", data["changed"]) % {
        "n": data["changed"]}
    if data["unknown"]:
        data["summary"] += " · " + ngettext("%(n)d unknown capitalised word", "%(n)d unknown capitalised words",
                                            data["unknown"]) % {"n": data["unknown"]}
    data["truncated"] = len(full) > PREVIEW_CHARS
    if data["truncated"]:
        data["summary"] += " · " + _("the preview shows the first %(n)s characters; the speech reads it all") % {
            "n": "20.000"}
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@login_required
def bulletin_detail(request, pk):
    _require(request.user)
    b = get_scoped_or_404(Bulletin.objects.select_related("place", "author", "approved_by", "parent"),
                          request.user, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve":
                services.approve(b, request.user)
                messages.success(request, _("Approved."))
            elif action == "reject":
                services.reject(b, request.user)
                messages.success(request, _("Rejected."))
            elif action == "render":
                services.request_render(b, request.user)
                messages.info(request, _("The machine is reading it aloud."))
            elif action == "send_down":
                copies = services.send_down(b, _places_from(request, "communes"), request.user)
                messages.success(request, _("Sent down to %(n)d communes.") % {"n": len(copies)})
            elif action == "archive":
                services.archive_bulletin(b, request.user)
                messages.success(request, _("Archived."))
        except RadioError as exc:
            messages.error(request, str(exc))
        return redirect("radio_bulletin", pk=b.pk)
    communes = _area_places(request.user, (Level.COMMUNE,)) if b.place.level == Level.PROVINCE else []
    stats = {s: b.plays.filter(status=s).count() for s in ("played", "skipped", "failed", "interrupted")}
    return render(request, "radio/bulletin.html", {
        "b": b, "communes": communes, "programmes": b.programmes.prefetch_related("targets"), "stats": stats,
        "copies": b.copies.select_related("place"), "can_approve": request.user.can("radio_approve")})


@login_required
def bulletin_audio(request, pk):
    from ngoso.core import files

    _require(request.user)
    b = get_scoped_or_404(Bulletin.objects.all(), request.user, pk=pk)
    if not b.audio_path:
        raise Http404
    return files.response("radio", files.radio_name(b.audio_path),  # 404 when the file is gone
                          content_type="audio/wav" if b.audio_path.endswith(".wav") else "audio/ogg")


@login_required
def programmes(request):
    _require(request.user)
    qs = scoped(Programme.objects.select_related("bulletin", "place").prefetch_related("targets"), request.user)
    return render(request, "radio/programmes.html", {"programmes": qs.filter(active=True)[:200]})


@login_required
def programme_new(request):
    _require(request.user)
    form = request.POST if request.method == "POST" else {"times": "06:00 17:00",
                                                           "start_date": timezone.localdate().isoformat()}
    ready = scoped(Bulletin.objects.filter(status=Bulletin.Status.APPROVED), request.user)
    if request.method == "POST":
        try:
            bulletin = None
            if form.get("bulletin"):
                bulletin = ready.filter(pk=int(form["bulletin"])).first() if form["bulletin"].isdigit() else None
                if bulletin is None:
                    raise RadioError(gettext_lazy("bulletin not approved or not yours"))
            try:
                start = dt.date.fromisoformat(form.get("start_date") or timezone.localdate().isoformat())
                end = dt.date.fromisoformat(form["end_date"]) if form.get("end_date") else None
                minutes = int(form.get("stream_minutes") or 0)
            except ValueError:
                raise RadioError(gettext_lazy("bad date or minutes")) from None
            owner = request.user.place
            if owner is None:
                raise RadioError(gettext_lazy("your account has no area"))
            prog = services.create_programme(
                place=owner, title=form.get("title", ""), times=form.get("times", "").replace(",", " ").split(),
                targets=_places_from(request, "targets"), start_date=start, end_date=end, bulletin=bulletin,
                stream_url=form.get("stream_url", "").strip(), stream_minutes=minutes,
                weekdays=request.POST.getlist("weekdays"), user=request.user)
        except RadioError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("«%(title)s» is scheduled.") % {"title": prog.title})
            return redirect("radio_programmes")
    return render(request, "radio/programme_new.html", {
        "form": form, "bulletins": ready.order_by("-created_at")[:200], "places": _area_places(request.user),
        "weekdays": words.weekday_choices(),
        "chosen": request.POST.getlist("targets") if request.method == "POST" else [],
        "chosen_days": request.POST.getlist("weekdays") if request.method == "POST" else []})


@login_required
@require_POST
def programme_stop(request, pk):
    _require(request.user)
    services.stop_programme(get_scoped_or_404(Programme.objects.all(), request.user, pk=pk), request.user)
    messages.success(request, _("Schedule stopped."))
    return redirect("radio_programmes")


@login_required
def emergency(request):
    """Write → confirm (how many clusters are online now, what will be read) → send → live status per cluster.
    Nothing is sent without the confirm button; "edit" goes back to the form with everything kept."""
    _require(request.user)
    form = request.POST if request.method == "POST" else {}
    chosen = request.POST.getlist("targets")
    if request.method == "POST" and "edit" not in request.POST:
        try:
            targets = _places_from(request, "targets")
            if not targets:
                raise RadioError(gettext_lazy("choose at least one target area"))
            if not form.get("text", "").strip():
                raise RadioError(gettext_lazy("the emergency has no text to read"))
            services.clean_repeat(form.get("repeat") or 2)
            if form.get("confirm") != "1":
                return render(request, "radio/emergency_confirm.html", {
                    "form": form, "targets": targets, "chosen": chosen, "reach": delivery.reach(targets),
                    "spoken": services.preview(form.get("text", ""), "north", request.user.place)})
            em = services.send_emergency(title=form.get("title", ""), text=form.get("text", ""), targets=targets,
                                         user=request.user, repeat=form.get("repeat") or 2)
        except (RadioError, ValueError) as exc:
            messages.error(request, str(exc))
        else:
            sent = delivery.reach(list(em.targets.all()))
            (messages.success if sent["online"] else messages.warning)(
                request, delivery.result_message(sent["online"], sent["total"]))
            return redirect("radio_emergency_status", pk=em.pk)
    return render(request, "radio/emergency.html", {"form": form, "places": _area_places(request.user),
                                                    "chosen": chosen, "preview_place": request.user.place})


@login_required
def emergency_status(request, pk):
    """One emergency, cluster by cluster; the page polls ``status.json`` (radio/delivery.js) while it is on air."""
    _require(request.user)
    em = get_scoped_or_404(Emergency.objects.select_related("bulletin"), request.user, pk=pk)
    return render(request, "radio/emergency_status.html", {"em": em, "d": delivery.emergency_status(em),
                                                           "states": delivery.STATES, "tz": services.tz()})


@login_required
def emergency_status_json(request, pk):
    _require(request.user)
    em = get_scoped_or_404(Emergency.objects.select_related("bulletin"), request.user, pk=pk)
    return JsonResponse(delivery.emergency_status(em), json_dumps_params={"ensure_ascii": False})


@login_required
@require_POST
def emergency_stop(request, pk):
    _require(request.user)
    em = get_scoped_or_404(Emergency.objects.select_related("bulletin"), request.user, pk=pk)
    if em.cancelled_at is not None:
        messages.info(request, _("This emergency was already stopped."))
    else:
        services.stop_emergency(em, request.user)
        messages.success(request, delivery.stop_message(em))
    return redirect(safe_next(request, request.POST.get("next"), "radio"))


@login_required
@require_POST
def alert_ack(request, pk):
    _require(request.user)
    alert = get_scoped_or_404(Alert.objects.all(), request.user, pk=pk)
    alert.acknowledged_at, alert.acknowledged_by = timezone.now(), request.user
    alert.save()
    return redirect(safe_next(request, request.POST.get("next"), "radio"))


def _report_args(request):
    place = get_object_or_404(Place, code=request.GET.get("place") or (request.user.place.code if request.user.place
                                                                        else ""))
    if not can_see_place(request.user, place):
        raise PermissionDenied
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
        month = request.GET.get("month", str(today.month))
        month = int(month) if month else None
    except ValueError:
        raise Http404 from None
    return place, year, month


@login_required
def reports(request):
    _require(request.user)
    if request.user.place is None and not request.GET.get("place"):
        return render(request, "core/no_area.html")
    place, year, month = _report_args(request)
    try:
        data = services.report(place, year, month)
    except RadioError as exc:
        messages.error(request, str(exc))
        return redirect("radio_reports")
    return render(request, "radio/reports.html", {"d": data, "years": range(timezone.localdate().year - 3,
                                                                            timezone.localdate().year + 1),
                                                  "months": range(1, 13)})


@login_required
def report_download(request):
    _require(request.user)
    place, year, month = _report_args(request)
    if request.GET.get("format") == "pdf":  # a PDF is rendered by the queue: the job page, then the download
        try:
            job = tasks.queue_report(place, year, month, request.user, "en" if get_language() == "en" else "vi")
        except RadioError as exc:
            messages.error(request, str(exc))
            return redirect("radio_reports")
        return redirect(job.get_absolute_url())
    try:
        data = services.report(place, year, month)
    except RadioError as exc:
        messages.error(request, str(exc))
        return redirect("radio_reports")
    name = f"truyen-thanh-{place.code}-{year}" + (f"-{month:02d}" if month else "")
    resp = HttpResponse(services.report_xlsx(data), content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return resp


# --- local abbreviations -------------------------------------------------------------------------------------

def _abbr_place(request, code, editable):
    """The place whose list the page adds to: one the user may edit (a link may name another: then the first)."""
    for p in editable:
        if p.code == code:
            return p
    if code and request.method == "POST":
        raise PermissionDenied(code)
    return editable[0] if editable else None


@login_required
def abbreviations(request):
    """The local abbreviations that apply in the user's area; those who approve bulletins add, import and export."""
    _require(request.user)
    editable = abbr.editable_places(request.user)
    place = _abbr_place(request, request.POST.get("place") or request.GET.get("place"), editable)
    form = request.POST if request.method == "POST" else {"abbreviation": request.GET.get("add", "")[:40]}
    errors, field = [], ""
    if request.method == "POST":
        if place is None:
            raise PermissionDenied
        try:
            if request.POST.get("action") == "import":
                upload = request.FILES.get("file")
                if upload is None:
                    raise abbr.AbbreviationError(gettext_lazy("no file chosen"), field="file")
                done = abbr.import_file(upload.read(), upload.name, place, request.user)
                messages.success(request, _("Imported: %(c)d new, %(u)d changed, %(n)d unchanged.")
                                 % {"c": done.created, "u": done.updated, "n": done.unchanged})
            else:
                e = abbr.add(place, request.user, form.get("abbreviation"), form.get("reading"), form.get("note"))
                messages.success(request, _("Added «%(a)s» → «%(r)s».") % {"a": e.abbreviation, "r": e.reading})
        except abbr.AbbreviationError as exc:
            messages.error(request, str(exc))
            field = exc.field
        except ImportFailed as exc:
            errors = exc.errors
        else:
            return redirect(f"{reverse('radio_abbreviations')}?place={place.code}")
    entries = list(abbr.visible(request.user).order_by("place__path", "abbreviation")[:3000])
    editable_ids = {p.pk for p in editable}
    for e in entries:
        e.editable = e.place_id in editable_ids
    return render(request, "radio/abbreviations.html", {
        "entries": entries, "editable": editable, "place": place, "form": form, "errors": errors, "field": field,
        "limits": {"abbreviation": abbr.MAX_ABBREVIATION, "reading": abbr.MAX_READING, "note": abbr.MAX_NOTE}})


@login_required
def abbreviation_edit(request, pk):
    _require(request.user)
    entry = get_object_or_404(abbr.visible(request.user), pk=pk)
    if not abbr.can_edit(request.user, entry.place):
        raise PermissionDenied
    form = request.POST if request.method == "POST" else {"abbreviation": entry.abbreviation,
                                                           "reading": entry.reading, "note": entry.note}
    field = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "delete":
                abbr.delete(entry, request.user)
                messages.success(request, _("Deleted «%(a)s».") % {"a": entry.abbreviation})
            else:
                abbr.change(entry, request.user, form.get("abbreviation"), form.get("reading"), form.get("note"))
                messages.success(request, _("Saved «%(a)s» → «%(r)s».") % {"a": entry.abbreviation,
                                                                          "r": entry.reading})
        except abbr.AbbreviationError as exc:
            messages.error(request, str(exc))
            field = exc.field
        else:
            return redirect(f"{reverse('radio_abbreviations')}?place={entry.place.code}")
    return render(request, "radio/abbreviation_edit.html", {
        "e": entry, "form": form, "field": field,
        "limits": {"abbreviation": abbr.MAX_ABBREVIATION, "reading": abbr.MAX_READING, "note": abbr.MAX_NOTE}})


@login_required
def abbreviations_download(request):
    """The import spreadsheet, filled with the place's list (a blank one when it has none): edit and import back."""
    _require(request.user)
    place = None
    if request.GET.get("place"):
        place = get_object_or_404(Place, code=request.GET["place"])
        if not can_see_place(request.user, place):
            raise PermissionDenied
    entries = abbr.visible(request.user).filter(place=place) if place else []
    resp = HttpResponse(abbr.template_xlsx(entries), content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="viet-tat-{place.code if place else "mau"}.xlsx"'
    return resp
