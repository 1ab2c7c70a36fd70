"""Livelihoods pages: members' pages under /livelihoods/, public pages at /p/<code>/ and /stories/."""

from django.urls import path

from . import views

app_name = "livelihoods"

urlpatterns = [
    path("livelihoods/", views.producers, name="producers"),
    path("households/<str:code>/producer/new/", views.producer_new, name="producer_new"),
    path("livelihoods/producers/<uuid:uuid>/", views.producer_detail, name="producer"),
    path("livelihoods/producers/<uuid:uuid>/edit/", views.producer_edit, name="producer_edit"),
    path("livelihoods/producers/<uuid:uuid>/consent/", views.producer_consent, name="producer_consent"),
    path("livelihoods/producers/<uuid:uuid>/publish/", views.producer_publish, name="producer_publish"),
    path("livelihoods/producers/<uuid:uuid>/products/new/", views.product_edit, name="product_new"),
    path("livelihoods/producers/<uuid:uuid>/products/<int:pk>/", views.product_edit, name="product_edit"),
    path("livelihoods/producers/<uuid:uuid>/products/<int:pk>/photo/", views.product_photo, name="product_photo"),
    path("livelihoods/producers/<uuid:uuid>/channels/new/", views.channel_new, name="channel_new"),
    path("livelihoods/channels/<int:pk>/end/", views.channel_end, name="channel_end"),
    path("livelihoods/photos/<slug:kind>/<int:pk>/<slug:size>/", views.photo, name="photo"),
    path("livelihoods/photos/<slug:kind>/<int:pk>/delete/", views.photo_delete, name="photo_delete"),
    path("livelihoods/articles/", views.articles, name="articles"),
    path("livelihoods/articles/new/", views.article_edit, name="article_new"),
    path("livelihoods/articles/<slug:slug>/", views.article, name="article"),
    path("livelihoods/articles/<slug:slug>/edit/", views.article_edit, name="article_edit"),
    path("livelihoods/articles/<slug:slug>/send/", views.article_send, name="article_send"),
    path("livelihoods/articles/<slug:slug>/bulletin/", views.article_bulletin, name="article_bulletin"),
    path("livelihoods/stories/", views.stories, name="stories"),
    path("residents/<uuid:uuid>/story/new/", views.story_new, name="story_new"),
    path("livelihoods/stories/<uuid:uuid>/", views.story_detail, name="story"),
    path("livelihoods/stories/<uuid:uuid>/edit/", views.story_edit, name="story_edit"),
    path("livelihoods/stories/<uuid:uuid>/<slug:action>/", views.story_action, name="story_action"),
    # public, no login
    path("p/<str:code>/", views.public_producer, name="public_producer"),
    path("p/<str:code>/qr.<str:kind>", views.public_qr, name="public_qr"),
    path("p/<str:code>/img/<int:pk>-<str:size>", views.public_photo, name="public_photo"),
    path("stories/", views.public_stories, name="public_stories"),
    path("stories/<str:code>/", views.public_story, name="public_story"),
    path("stories/<str:code>/img/<int:pk>-<str:size>", views.public_story_photo, name="public_story_photo"),
]
