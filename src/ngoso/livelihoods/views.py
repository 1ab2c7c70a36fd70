"""Pages: producers, products, channels and consent for members; the farming library; success stories;
and the public pages (no login) for a producer and for published stories. Views parse and render."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from ngoso.accounts.scope import can_see_place, get_scoped_or_404, scoped
from ngoso.core import files, once
from ngoso.core.text import vi_order
from ngoso.people import privacy
from ngoso.people.models import Household, Resident
from ngoso.places.models import Place

from . import services
from .forms import (ArticleForm, ChannelForm, ConsentForm, PhotoForm, ProducerForm, ProductForm, SendForm,
                    StoryForm)
from .models import (ArticleTopic, FarmingArticle, OnlineChannel, Producer, Product, ProductPhoto, Purpose,
                     StoryPhoto, SuccessStory)
from .services import LivelihoodError


def _require_edit(user):
    if not services.can_edit(user):
        raise PermissionDenied


def _producer(request, uuid):
    return get_scoped_or_404(Producer.objects.select_related("household__village__parent", "person"),
                             request.user, uuid=uuid)


# ------------------------------------------------------------------------------------------- producers

@login_required
def producers(request):
    q = request.GET.get("q", "").strip()
    qs = scoped(Producer.objects.select_related("household__village"), request.user)
    if q:
        qs = services.search_producers(qs, q)
    return render(request, "livelihoods/producers.html", {"q": q, "producers": qs.order_by(vi_order("name"), "id")[:200],
                                                          "can_edit": services.can_edit(request.user)})


@login_required
def producer_new(request, code):
    _require_edit(request.user)
    hh = get_scoped_or_404(Household.objects.select_related("village"), request.user, code=code)
    form = ProducerForm(request.POST or None, household=hh)
    if request.method == "POST" and (saved := once.already(request)):
        return redirect(saved)  # this form was saved already (browser Back, then Save)
    if request.method == "POST" and form.is_valid():
        try:
            p = services.create_producer(hh, request.user, **form.cleaned_data)
        except LivelihoodError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Producer saved. Now add products and online channels."))
            url = reverse("livelihoods:producer", kwargs={"uuid": p.uuid})
            once.remember(request, url)
            return redirect(url)
    return render(request, "livelihoods/producer_form.html", {"form": form, "hh": hh, "once": once.token(request)})


@login_required
def producer_edit(request, uuid):
    _require_edit(request.user)
    p = _producer(request, uuid)
    form = ProducerForm(request.POST or None, instance=p)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("livelihoods:producer", uuid=p.uuid)
    return render(request, "livelihoods/producer_form.html", {"form": form, "hh": p.household, "producer": p})


@login_required
def producer_detail(request, uuid):
    return _producer_page(request, _producer(request, uuid))


def _producer_page(request, p, consent: ConsentForm | None = None):
    """The member's producer page; after a refused consent form, with that form as it was filled and its errors
    beside the fields (status 400)."""
    view = services.public_producer(p, request)
    person = p.person
    return render(request, "livelihoods/producer.html", {
        "p": p, "products": p.products.prefetch_related("photos"),
        "channels": p.channels.prefetch_related("skills"),
        "public": view, "social_text": services.social_post_text(view) if view else "",
        "listings": [(x["name"], services.listing_text(view, x)) for x in view["products"]] if view else [],
        "problems": services.publish_problems(p),
        "page_consent": services.current_public_consent(person, Purpose.PRODUCER_PAGE) if person else None,
        "phone_consent": services.current_public_consent(person, Purpose.SHOW_PHONE) if person else None,
        "consent_form": ConsentForm(), "channel_form": ChannelForm(), "product_form": ProductForm(),
        "consent_page": consent if consent is not None and consent.data.get("purpose") != Purpose.SHOW_PHONE
        else ConsentForm(initial={"purpose": Purpose.PRODUCER_PAGE}),
        "consent_phone": consent if consent is not None and consent.data.get("purpose") == Purpose.SHOW_PHONE
        else ConsentForm(initial={"purpose": Purpose.SHOW_PHONE}),
        "consent_refused": consent is not None,
        "photo_form": PhotoForm(), "can_edit": services.can_edit(request.user),
        "open_people": privacy.may_open_people(request.user),
    }, status=400 if consent is not None else 200)


@login_required
@require_POST
def producer_consent(request, uuid):
    _require_edit(request.user)
    p = _producer(request, uuid)
    if (saved := once.already(request)):
        return redirect(saved)  # this consent was recorded already (browser Back, then again)
    form = ConsentForm(request.POST)
    if p.person is None:
        messages.error(request, _("Choose the person who owns the business first."))
    elif form.is_valid() and form.cleaned_data["purpose"] in (Purpose.PRODUCER_PAGE, Purpose.SHOW_PHONE):
        d = form.cleaned_data
        services.record_public_consent(p.person, d["purpose"], d["given"], request.user, naming=d["naming"],
                                       method=d["method"], reference=d["reference"])
        once.remember(request, reverse("livelihoods:producer", kwargs={"uuid": p.uuid}))
        messages.success(request, _("Consent recorded."))
    else:
        # the form again as it was filled, each error beside its field
        if form.is_valid():  # an unknown purpose: not one of this page's two forms
            form.add_error("purpose", _("The consent form is incomplete: say whether consent was given, and how."))
        return _producer_page(request, p, consent=form)
    return redirect("livelihoods:producer", uuid=p.uuid)


@login_required
@require_POST
def producer_publish(request, uuid):
    p = _producer(request, uuid)
    try:
        services.set_published(p, request.POST.get("on") == "1", request.user)
    except LivelihoodError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The public page is on.") if p.published else _("The public page is off."))
    return redirect("livelihoods:producer", uuid=p.uuid)


@login_required
def product_edit(request, uuid, pk=None):
    _require_edit(request.user)
    p = _producer(request, uuid)
    product = get_object_or_404(p.products, pk=pk) if pk else Product(producer=p)
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and not pk and (saved := once.already(request)):
        return redirect(saved)  # this new product's form was saved already (browser Back)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Product saved."))
        url = reverse("livelihoods:producer", kwargs={"uuid": p.uuid})
        once.remember(request, url)
        return redirect(url)
    return render(request, "livelihoods/product_form.html", {"form": form, "p": p, "product": product,
                                                             "once": once.token(request)})


@login_required
@require_POST
def product_photo(request, uuid, pk):
    _require_edit(request.user)
    p = _producer(request, uuid)
    product = get_object_or_404(p.products, pk=pk)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a photo to upload."))
    else:
        f = form.cleaned_data["photo"]
        try:
            if f.size > services.MAX_PHOTO_BYTES:
                raise LivelihoodError(gettext_lazy("«%(f)s» is too big (%(mb).1f MB); a photo may be at most %(max)d MB."), f=f.name, mb=f.size / 1048576, max=services.MAX_PHOTO_BYTES // 1048576)
            services.add_product_photo(product, f.read(), f.name, request.user, form.cleaned_data["caption"])
        except LivelihoodError as exc:
            messages.error(request, _("Photo not saved: %(why)s") % {"why": exc})
        else:
            messages.success(request, _("Photo saved."))
    return redirect("livelihoods:producer", uuid=p.uuid)


@login_required
@require_POST
def photo_delete(request, kind, pk):
    _require_edit(request.user)
    model = ProductPhoto if kind == "product" else StoryPhoto
    photo = get_scoped_or_404(model.objects.all(), request.user, pk=pk)
    back = (redirect("livelihoods:producer", uuid=photo.product.producer.uuid) if kind == "product"
            else redirect("livelihoods:story", uuid=photo.story.uuid))
    services.delete_photo(photo, request.user)
    return back


def _send_photo(photo, size: str, public: bool):
    if size not in ("t", "l"):
        raise Http404
    rel = photo.thumb if size == "t" else photo.file
    resp = files.response("media", rel)  # 404 when the file is gone
    resp["Cache-Control"] = ("public, max-age=86400" if public else "private, max-age=3600")
    return resp


@login_required
def photo(request, kind, pk, size):
    model = ProductPhoto if kind == "product" else StoryPhoto
    return _send_photo(get_scoped_or_404(model.objects.all(), request.user, pk=pk), size, public=False)


@login_required
def channel_new(request, uuid):
    _require_edit(request.user)
    p = _producer(request, uuid)
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and (saved := once.already(request)):
        return redirect(saved)  # this form was saved already (browser Back, then Save)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.add_channel(p, request.user, kind=d["kind"], platform=d["platform"], since=d["since"],
                                 address=d["address"], skills=d["skills"], show_publicly=d["show_publicly"])
        except LivelihoodError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Online channel recorded."))
            url = reverse("livelihoods:producer", kwargs={"uuid": p.uuid})
            once.remember(request, url)
            return redirect(url)
    return render(request, "livelihoods/channel_form.html", {"form": form, "p": p, "once": once.token(request)})


@login_required
@require_POST
def channel_end(request, pk):
    ch = get_scoped_or_404(OnlineChannel.objects.select_related("producer"), request.user, pk=pk)
    try:
        services.end_channel(ch, request.user)
    except LivelihoodError as exc:
        messages.error(request, str(exc))
    return redirect("livelihoods:producer", uuid=ch.producer.uuid)


# ------------------------------------------------------------------------------------------- public pages

def _public_producer(code):
    p = get_object_or_404(Producer.objects.select_related("household__village__parent", "person"), public_code=code)
    return p


@cache_control(public=True, max_age=60)
def public_producer(request, code):
    p = _public_producer(code)
    view = services.public_producer(p, request)
    if view is None:
        return render(request, "livelihoods/public_gone.html", status=404)
    return render(request, "livelihoods/public_producer.html", {"v": view})


def _qr(request, url: str, kind: str, name: str):
    import segno

    qr = segno.make(url, error="m")
    buf = io.BytesIO()
    if kind == "svg":
        qr.save(buf, kind="svg", scale=8, border=2, xmldecl=False)
        ctype = "image/svg+xml"
    else:
        qr.save(buf, kind="png", scale=12, border=2)
        ctype = "image/png"
    resp = HttpResponse(buf.getvalue(), content_type=ctype)
    if request.GET.get("download"):
        resp["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return resp


def public_qr(request, code, kind):
    if kind not in ("svg", "png"):
        raise Http404
    p = _public_producer(code)
    view = services.public_producer(p, request)
    if view is None:
        raise Http404
    return _qr(request, view["url"], kind, f"ma-qr-{code}")


def public_photo(request, code, pk, size):
    p = _public_producer(code)
    if not services.is_public(p):
        raise Http404
    return _send_photo(get_object_or_404(ProductPhoto, pk=pk, product__producer=p, product__active=True),
                       size, public=True)


@cache_control(public=True, max_age=60)
def public_stories(request):
    qs = list(SuccessStory.objects.filter(status=SuccessStory.Status.PUBLISHED)
              .select_related("resident__household", "village__parent")
              .prefetch_related("photos", "resident__household__residents").order_by("-published_at")[:60])
    consents = services.story_consents(qs)
    # the list links no producer page, so it needs no producer look-up
    views = [v for v in (services.public_story(s, request, consent=consents.get(s.pk), producer_public=False)
                         for s in qs) if v]
    return render(request, "livelihoods/public_stories.html", {"stories": views})


@cache_control(public=True, max_age=60)
def public_story(request, code):
    s = get_object_or_404(SuccessStory.objects.select_related("resident", "village__parent"), public_code=code)
    view = services.public_story(s, request)
    if view is None:
        return render(request, "livelihoods/public_gone.html", status=404)
    return render(request, "livelihoods/public_story.html", {"s": view})


def public_story_photo(request, code, pk, size):
    s = get_object_or_404(SuccessStory, public_code=code)
    if not services.story_is_public(s):
        raise Http404
    return _send_photo(get_object_or_404(StoryPhoto, pk=pk, story=s), size, public=True)


# ------------------------------------------------------------------------------------------- farming library

@login_required
def articles(request):
    q, topic, subject = (request.GET.get(k, "").strip() for k in ("q", "topic", "subject"))
    results = services.search_articles(q, topic if topic in ArticleTopic.values else "", subject)
    return render(request, "livelihoods/articles.html", {
        "q": q, "topic": topic, "subject": subject, "articles": results, "topics": ArticleTopic.choices,
        "subjects": services.subjects(), "household": request.GET.get("household", ""),
        "can_edit": services.can_edit_articles(request.user)})


@login_required
def article(request, slug):
    a = get_object_or_404(FarmingArticle, slug=slug)
    send_form = SendForm(initial={"household": request.GET.get("household", "")})
    sends = scoped(a.sends.select_related("household", "sent_by"), request.user)[:20]
    places = []
    if services.can_make_bulletin(request.user) and request.user.place_id:
        places = [request.user.place]
    return render(request, "livelihoods/article.html", {
        "a": a, "paragraphs": [x for x in a.body.splitlines() if x.strip()], "send_form": send_form,
        "sends": sends, "can_send": request.user.can("visit") or request.user.can("edit_people"),
        "can_edit": services.can_edit_articles(request.user), "bulletin_places": places,
        "radio": services.radio_available(), "spoken": services.article_spoken_text(a),
        "revisions": a.revisions.all()[:10]})


@login_required
def article_edit(request, slug=None):
    if not services.can_edit_articles(request.user):
        raise PermissionDenied
    a = get_object_or_404(FarmingArticle, slug=slug) if slug else None
    form = ArticleForm(request.POST or None, instance=a)
    if request.method == "POST" and form.is_valid():
        try:
            a = services.save_article(a, form.cleaned_data, request.user)
        except LivelihoodError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Article saved (version %(v)d).") % {"v": a.version})
            return redirect("livelihoods:article", slug=a.slug)
    return render(request, "livelihoods/article_form.html", {"form": form, "a": a})


@login_required
@require_POST
def article_send(request, slug):
    a = get_object_or_404(FarmingArticle, slug=slug)
    form = SendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the household code."))
        return redirect("livelihoods:article", slug=slug)
    code = form.cleaned_data["household"].strip()
    hh = scoped(Household.objects.all(), request.user).filter(code=code).first()
    if hh is None:
        messages.error(request, _("No household «%(c)s» in your area.") % {"c": code})
        return redirect("livelihoods:article", slug=slug)
    try:
        services.send_article(a, hh, request.user, form.cleaned_data["how"], form.cleaned_data["note"])
    except LivelihoodError as exc:
        messages.error(request, str(exc))
        return redirect("livelihoods:article", slug=slug)
    messages.success(request, _("Recorded: article sent to household %(c)s.") % {"c": hh.code})
    return redirect("household", code=hh.code)


@login_required
@require_POST
def article_bulletin(request, slug):
    a = get_object_or_404(FarmingArticle, slug=slug)
    place = get_object_or_404(Place, code=request.POST.get("place", ""))
    if not can_see_place(request.user, place):
        raise PermissionDenied
    try:
        b = services.article_to_bulletin(a, place, request.user)
    except LivelihoodError as exc:
        messages.error(request, str(exc))
    except ImportError:
        messages.error(request, _("The radio module is not installed."))
    else:
        messages.success(request, _("Radio bulletin drafted; it waits for the commune's approval.") + f" (#{getattr(b, 'pk', '')})")
    return redirect("livelihoods:article", slug=slug)


# ------------------------------------------------------------------------------------------- success stories

def _story(request, uuid):
    return get_scoped_or_404(SuccessStory.objects.select_related("resident__household", "village__parent", "producer"),
                             request.user, uuid=uuid)


@login_required
def stories(request):
    qs = scoped(SuccessStory.objects.select_related("resident", "village"), request.user)
    status = request.GET.get("status", "")
    if status in SuccessStory.Status.values:
        qs = qs.filter(status=status)
    return render(request, "livelihoods/stories.html", {"stories": qs[:200], "status": status,
                                                        "statuses": SuccessStory.Status.choices})


@login_required
def story_new(request, uuid):
    _require_edit(request.user)
    r = get_scoped_or_404(Resident.objects.select_related("household__village"), request.user, uuid=uuid)
    form = StoryForm(request.POST or None, resident=r)
    if request.method == "POST" and (saved := once.already(request)):
        return redirect(saved)  # this form was saved already (browser Back, then Save)
    if request.method == "POST" and form.is_valid():
        try:
            s = services.save_story(None, form.cleaned_data, request.user, resident=r)
        except LivelihoodError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Story saved as a draft. Record the person's consent, then ask for approval."))
            url = reverse("livelihoods:story", kwargs={"uuid": s.uuid})
            once.remember(request, url)
            return redirect(url)
    return render(request, "livelihoods/story_form.html", {"form": form, "r": r, "once": once.token(request)})


@login_required
def story_edit(request, uuid):
    _require_edit(request.user)
    s = _story(request, uuid)
    form = StoryForm(request.POST or None, instance=SuccessStory.objects.get(pk=s.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.save_story(s, form.cleaned_data, request.user)
        except LivelihoodError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("livelihoods:story", uuid=s.uuid)
    return render(request, "livelihoods/story_form.html", {"form": form, "r": s.resident, "s": s})


@login_required
def story_detail(request, uuid):
    s = _story(request, uuid)
    view = services.public_story(s, request)
    return render(request, "livelihoods/story.html", {
        "s": s, "consent": services.current_public_consent(s.resident, Purpose.STORY, s),
        "open_people": privacy.may_open_people(request.user),
        "problems": services.story_problems(s), "public": view,
        "spoken": services.story_spoken_text(view) if view else "",
        "consent_form": ConsentForm(), "photo_form": PhotoForm(), "can_edit": services.can_edit(request.user),
        "can_approve": services.can_approve(request.user), "can_bulletin": services.can_make_bulletin(request.user),
        "radio": services.radio_available()})


@login_required
@require_POST
def story_action(request, uuid, action):
    s = _story(request, uuid)
    try:
        if action == "consent":
            _require_edit(request.user)
            if (saved := once.already(request)):
                return redirect(saved)  # recorded already (browser Back, then again)
            form = ConsentForm(request.POST)
            if not form.is_valid():
                raise LivelihoodError(gettext_lazy("The consent form is incomplete: say whether consent was given, and how."))
            d = form.cleaned_data
            services.record_public_consent(s.resident, Purpose.STORY, d["given"], request.user, naming=d["naming"],
                                           method=d["method"], reference=d["reference"], story=s)
            once.remember(request, reverse("livelihoods:story", kwargs={"uuid": s.uuid}))
            messages.success(request, _("Consent recorded."))
        elif action == "approve":
            services.approve_story(s, request.user)
            messages.success(request, _("Story approved."))
        elif action == "publish":
            services.publish_story(s, request.user)
            messages.success(request, _("Story published."))
        elif action == "withdraw":
            services.withdraw_story(s, request.user)
            messages.success(request, _("Story withdrawn from the public page."))
        elif action == "bulletin":
            b = services.story_to_bulletin(s, request.user)
            messages.success(request, _("Radio bulletin drafted; it waits for the commune's approval.") + f" (#{getattr(b, 'pk', '')})")
        elif action == "photo":
            form = PhotoForm(request.POST, request.FILES)
            if not form.is_valid():
                raise LivelihoodError(gettext_lazy("Choose a photo to upload."))
            f = form.cleaned_data["photo"]
            if f.size > services.MAX_PHOTO_BYTES:
                raise LivelihoodError(gettext_lazy("«%(f)s» is too big (%(mb).1f MB); a photo may be at most %(max)d MB."), f=f.name, mb=f.size / 1048576, max=services.MAX_PHOTO_BYTES // 1048576)
            services.add_story_photo(s, f.read(), f.name, request.user, form.cleaned_data["caption"])
            messages.success(request, _("Photo saved."))
        else:
            raise Http404
    except LivelihoodError as exc:
        messages.error(request, str(exc))
    except ImportError:
        messages.error(request, _("The radio module is not installed."))
    return redirect("livelihoods:story", uuid=s.uuid)
