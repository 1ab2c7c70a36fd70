"""Livelihoods in the JSON API (/api/v1/livelihoods/…): the farming library, producers in your area,
a place's livelihood figures. Same services and scoping as the pages."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema

from ngoso.accounts.scope import can_see_place, scoped
from ngoso.api import errors
from ngoso.core import clean
from ngoso.core.text import vi_order
from ngoso.places.models import Place

from . import services
from .models import FarmingArticle, Producer, Purpose

router = Router(tags=["livelihoods"])


class ArticleOut(Schema):
    slug: str
    title: str
    topic: str
    subject: str
    summary: str
    source_type: str
    source: str
    version: int


class ArticleFull(ArticleOut):
    body: str
    spoken_text: str


class ProducerOut(Schema):
    uuid: str
    name: str
    kind: str
    household: str
    village: str
    published: bool
    public: bool
    products: list[str]
    channels: list[str]


def _article(a) -> dict:
    return {"slug": a.slug, "title": a.title, "topic": a.topic, "subject": a.subject, "summary": a.summary,
            "source_type": a.source_type, "source": a.source, "version": a.version}


@router.get("/articles", response=list[ArticleOut], summary="Search the farming library (accent-insensitive)")
def articles(request, q: str = "", topic: str = "", subject: str = ""):
    q, topic, subject = (clean.text(v, k, max_length=100) for k, v in (("q", q), ("topic", topic), ("subject", subject)))
    return [_article(a) for a in services.search_articles(q, topic, subject)]


@router.get("/articles/{slug}", response=ArticleFull, summary="One farming article, with its text for the radio")
def article(request, slug: str):
    a = get_object_or_404(FarmingArticle, slug=slug, active=True)
    return {**_article(a), "body": a.body, "spoken_text": services.article_spoken_text(a)}


@router.get("/producers", response=list[ProducerOut], summary="Producers in your area (search by name or product)")
def producers(request, q: str = ""):
    q = clean.text(q, "q", max_length=100)
    qs = scoped(Producer.objects.select_related("household__village", "person"), request.user)
    if q:
        qs = services.search_producers(qs, q)
    qs = list(qs.prefetch_related("products__photos", "channels", "household__residents").order_by(vi_order("name"), "id")[:500])
    consents = services.latest_consents([p.person for p in qs], (Purpose.PRODUCER_PAGE, Purpose.SHOW_PHONE))
    return [{"uuid": str(p.uuid), "name": p.name, "kind": p.kind, "household": p.household.code,
             "village": p.household.village.name, "published": p.published,
             "public": services.is_public(p, consents),
             "products": [x.name for x in p.products.all()],
             "channels": [f"{c.kind}:{c.platform}" for c in p.channels.all() if c.ended_on is None]} for p in qs]


@router.get("/places/{code}", response=dict, summary="Producers online, e-payment, stories: now, by month, by year")
def place_figures(request, code: str):
    from .indicators import livelihood_figures

    place = get_object_or_404(Place, code=code)
    if not can_see_place(request.user, place):
        raise errors.ApiError(403, _("place outside your area"))
    return livelihood_figures(place)
