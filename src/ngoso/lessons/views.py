"""Lesson pages: public reading (large print, one step per screen), audio, handouts; staff editing and
translation import; self-checks by residents (personal handout link) or with a member."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from ngoso.accounts.scope import scoped
from ngoso.core import files
from ngoso.core.messages import render as render_message
from ngoso.core.public import public_base
from ngoso.people.io import ImportFailed
from ngoso.people.models import Resident

from . import content as C
from . import services, tasks
from .models import LessonVersion
from django.utils.translation import gettext_lazy as _

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _lang(request) -> str:
    lang = request.GET.get("l") or ("en" if get_language() == "en" else "vi")
    if lang not in C.languages():
        raise Http404("unknown language")
    return lang


def _aud(request) -> str:
    aud = request.GET.get("a") or "standard"
    if aud not in C.AUDIENCES:
        raise Http404("unknown audience")
    return aud


def _err(e: services.LessonError) -> str:
    return e.text()


def library(request):
    lang, aud = _lang(request), _aud(request)
    return render(request, "lessons/library.html", {
        "areas": services.library(lang, aud), "lang": lang, "aud": aud, "languages": C.languages().values(),
        "audiences": C.AUDIENCE_NAMES, "can_edit": request.user.is_authenticated and request.user.can("edit_lessons")})


def _resident_from(request, skill_code):
    """The resident a self-check is for: from a personal handout link (t=…) or chosen by a member (r=uuid)."""
    token = request.GET.get("t") or request.POST.get("t")
    if token:
        link = services.read_token(token, skill_code)
        return link.resident, token, None, link
    ruuid = request.GET.get("r") or request.POST.get("r")
    if ruuid and request.user.is_authenticated and request.user.can("visit"):
        try:
            r = scoped(Resident.objects.select_related("household"), request.user).filter(uuid=ruuid).first()
        except Exception:  # noqa: BLE001 - a malformed uuid
            r = None
        if r is None:
            raise PermissionDenied
        return r, None, request.user, None
    return None, None, None, None


def lesson(request, skill):
    lang, aud = _lang(request), _aud(request)
    try:
        shown = services.show(skill, lang, aud)
    except services.LessonError as e:
        return render(request, "lessons/problem.html", {"message": _err(e)}, status=404)
    notice = None
    try:
        resident, token, member_user, _link = _resident_from(request, skill)
    except services.LessonError as e:  # the lesson is still worth reading; say why answers won't be recorded
        resident = token = member_user = None
        notice = _err(e)
    steps = shown.pieces["steps"]
    step = None
    if aud == "elderly" and "all" not in request.GET:
        try:
            step = int(request.GET.get("step", "0"))
        except ValueError:
            step = 0
        step = max(0, min(step, len(steps) + 1))  # 0: cover, 1..n: one step per screen, n+1: check
    base_q = services.lesson_path(skill, aud, lang, token)
    if member_user is not None:
        base_q += f"&r={resident.uuid}"
    return render(request, "lessons/lesson.html", {
        "shown": shown, "skill": shown.skill, "lang": lang, "aud": aud, "step": step, "steps": steps,
        "n_steps": len(steps), "base_q": base_q, "resident": resident, "token": token, "notice": notice,
        "member_user": member_user, "audiences": C.AUDIENCE_NAMES, "languages": C.languages().values(),
        "can_edit": request.user.is_authenticated and request.user.can("edit_lessons"),
        "language_name": C.languages()[shown.language].name_vi,
        "audio_v": services.current(skill, "vi", aud).number})  # audio is the Vietnamese; its version busts caches


def _preparing(request, job, what: str):
    """Answer at once while the queue makes the file: 202 with ``Retry-After``; a page that reloads itself for a
    person, the same address again for a player or the field app (``site.js``, ``field.js`` poll it)."""
    resp = render(request, "lessons/preparing.html", {"what": what}, status=202)
    resp["Retry-After"] = "3"
    resp["Cache-Control"] = "no-store"
    return resp


def audio(request, skill, audience, part):
    """The lesson read aloud: the cached recording at once, or 202 while the queue reads it (``lesson_audio``);
    never espeak in a web worker."""
    if audience not in C.AUDIENCES:
        raise Http404
    try:
        got = tasks.queue_audio(skill, audience, part, request.GET.get("voice", "north"))
    except services.LessonError as e:
        raise Http404(_err(e)) from None
    if not isinstance(got, str):
        return _preparing(request, got, "audio")
    resp = files.response("cache", got, content_type="audio/ogg")
    resp["Cache-Control"] = "public, max-age=604800"
    resp["ETag"] = f'"{Path(got).stem}"'
    return resp


def handout(request, skill):
    """A lesson's printable handout: the cached PDF at once, or 202 while the queue prints it (``lesson_handout``)."""
    lang, aud = _lang(request), _aud(request)
    try:
        got = tasks.queue_handout(skill, aud, lang, request.GET.get("size", "A5"), public_base(request))
    except services.LessonError as e:
        return HttpResponseBadRequest(_err(e))
    if not isinstance(got, str):
        return _preparing(request, got, "handout")
    resp = HttpResponse(files.read("cache", got), content_type=PDF)
    resp["Content-Disposition"] = f'inline; filename="bai-hoc-{skill}-{aud}.pdf"'
    return resp


@login_required
def tomorrow(request):
    day = None
    if request.GET.get("day"):
        try:
            day = datetime.date.fromisoformat(request.GET["day"])
        except ValueError:
            return HttpResponseBadRequest(_("Invalid date (YYYY-MM-DD)"))
    chosen = request.GET.get("chosen") == "1"  # sent by the choice page: only what is ticked
    try:
        per_resident = min(max(int(request.GET.get("per", "2")), 1), 3)
    except ValueError:
        return HttpResponseBadRequest(_("Invalid number of lessons per person"))
    try:
        job = tasks.queue_batch(request.user, day=day, size=request.GET.get("size", "A5"),
                                base_url=public_base(request), per_resident=per_resident,
                                households=set(request.GET.getlist("household")) if chosen else None,
                                skills=set(request.GET.getlist("skill")) if chosen else None)
    except services.LessonError as e:
        return render(request, "lessons/problem.html", {"message": _err(e)}, status=404)
    except PermissionDenied:
        return render(request, "lessons/problem.html", {"message": _err(services.LessonError(
            _("Only a team member has a list of households to print handouts for")))}, status=403)
    return redirect(job.get_absolute_url())  # the job page: its progress bar, then the download


@login_required
def tomorrow_choose(request):
    """Choose what to print before printing: tomorrow's households (all ticked), the skills, how many lessons
    a person, the paper size; the form asks ``tomorrow`` for the PDF of just that."""
    day = timezone.localdate() + datetime.timedelta(days=1)
    try:
        per_resident = min(max(int(request.GET.get("per", "1")), 1), 3)
    except ValueError:
        per_resident = 1
    try:
        member, day, planned = services.batch_plan(request.user, day=day, per_resident=3)
    except PermissionDenied:
        return render(request, "lessons/problem.html", {"message": _err(services.LessonError(_("Only a team member has a list of households to print handouts for")))}, status=403)
    skills = {}
    for entry in planned:
        for p in entry["people"]:
            p["first"] = p["skills"][:per_resident]
            for s in p["first"]:
                skills[s.code] = s
    return render(request, "lessons/batch_choose.html", {
        "day": day, "member": member, "planned": planned, "skills": list(skills.values()),
        "per": per_resident, "lessons": sum(len(p["first"]) for e in planned for p in e["people"]),
    })


@require_POST
def check(request, skill):
    lang, aud = _lang(request), _aud(request)
    try:
        resident, token, member_user, link = _resident_from(request, skill)
        shown = services.show(skill, lang, aud)
        answers = services.parse_answers(request.POST, len(shown.pieces["check"]))
    except services.LessonError as e:
        return render(request, "lessons/problem.html", {"message": _err(e)}, status=400)
    correct, wrong = services.grade(services.answer_key(skill, shown.language, aud), answers)
    result = None
    if resident is not None:
        try:
            result = services.self_check(resident=resident, link=link, skill_code=skill, answers=answers,
                                         language=shown.language, audience=aud, assisted_by=member_user,
                                         did_it_alone=request.POST.get("alone") == "1")
        except services.LessonError as e:
            return render(request, "lessons/problem.html", {"message": _err(e)}, status=400)
    return render(request, "lessons/checked.html", {
        "shown": shown, "skill": shown.skill, "correct": correct, "total": len(answers), "wrong": wrong,
        "result": result, "resident": resident, "back": services.lesson_path(skill, aud, lang, token)})


@login_required
def edit(request, skill):
    lang, aud = _lang(request), _aud(request)
    if not request.user.can("edit_lessons"):
        raise PermissionDenied
    try:
        shown = services.show(skill, lang, aud)
    except services.LessonError as e:
        return render(request, "lessons/problem.html", {"message": _err(e)}, status=404)
    cur = services.current(skill, lang, aud)
    translation = lang not in C.REQUIRED_LANGUAGES
    reference = services.current(skill, "vi", aud) if translation else None
    problems = []
    if request.method == "POST":
        data = request.POST.dict()
        data["_translation"] = "1" if translation else ""
        try:
            new = services.edit(request.user, skill, lang, aud, services.from_form(data), data.get("note", ""))
        except C.ContentError as e:
            problems = [(p[0], render_message(p.message)) for p in e.problems]
            form = request.POST
        except services.LessonError as e:
            problems = [("", _err(e))]
            form = request.POST
        else:
            if cur is not None and new.pk == cur.pk:
                messages.info(request, _("Nothing changed"))
            else:
                messages.success(request, _("Saved version %(n)s") % {"n": new.number})
            return redirect(services.lesson_path(skill, aud, lang))
    else:
        base = cur.content if cur else C.empty_like(reference.content)
        form = services.to_form(base)
    return render(request, "lessons/edit.html", {
        "shown": shown, "skill": shown.skill, "lang": lang, "aud": aud, "form": form, "problems": problems,
        "current": cur, "reference": services.to_form(reference.content) if reference else None,
        "translation": translation, "language_name": C.languages()[lang].name_vi})


@login_required
def history(request, skill):
    lang, aud = _lang(request), _aud(request)
    if not request.user.can("edit_lessons"):
        raise PermissionDenied
    versions = list(services.history(skill, lang, aud))
    if not versions:
        raise Http404
    chosen = versions[0]
    if request.GET.get("v"):
        chosen = next((v for v in versions if str(v.number) == request.GET["v"]), None)
        if chosen is None:
            raise Http404
    return render(request, "lessons/history.html", {
        "skill": services.get_skill(skill), "lang": lang, "aud": aud, "versions": versions, "chosen": chosen,
        "pieces": [(C.piece_label(path, get_language() or "vi"), text) for path, text in C.pieces(chosen.content)]})


@login_required
@require_POST
def restore(request, skill, pk):
    version = get_object_or_404(LessonVersion, pk=pk, skill_code=skill)
    new = services.restore(request.user, version)
    messages.success(request, _("Restored as version %(n)s") % {"n": new.number})
    return redirect(services.lesson_path(skill, version.audience, version.language))


@login_required
def translations(request):
    if not request.user.can("edit_lessons"):
        raise PermissionDenied
    minority = [x for x in C.languages().values() if not x.shipped]
    lang = request.GET.get("l") or request.POST.get("l") or minority[0].code
    if lang not in {x.code for x in minority}:
        raise Http404
    errors, result = [], None
    if request.method == "POST":
        f = request.FILES.get("file")
        if f is None:
            errors = [_("Choose a file")]
        else:
            try:
                result = services.import_translations(f.read(), f.name, request.user, lang)
            except ImportFailed as e:
                errors = [str(x) for x in e.errors]
            except services.LessonError as e:
                errors = [_err(e)]
    progress = services.translation_progress(lang)
    return render(request, "lessons/translations.html", {
        "languages": minority, "lang": lang, "errors": errors, "result": result, "progress": progress,
        "done": sum(1 for p in progress if p["share"] >= 1), "total": len(progress)})


@login_required
def translation_template(request):
    if not request.user.can("edit_lessons"):
        raise PermissionDenied
    lang = request.GET.get("l", "")
    try:
        data = services.translation_template(lang)
    except services.LessonError as e:
        return HttpResponseBadRequest(_err(e))
    resp = HttpResponse(data, content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="bai-hoc-ban-dich-{lang}.xlsx"'
    return resp
