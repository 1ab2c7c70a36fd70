from django.contrib import admin

from ngoso.accounts.admin_scope import ScopedAdmin

from .models import FarmingArticle, OnlineChannel, Producer, Product, PublicConsent, SuccessStory


@admin.register(Producer)
class ProducerAdmin(ScopedAdmin):
    list_display = ["name", "kind", "household", "published"]
    list_filter = ["kind", "published"]
    raw_id_fields = ["household", "person"]


@admin.register(Product)
class ProductAdmin(ScopedAdmin):
    list_display = ["name", "producer", "price", "unit", "ocop_stars", "vietgap", "active"]
    raw_id_fields = ["producer"]


@admin.register(OnlineChannel)
class OnlineChannelAdmin(ScopedAdmin):
    list_display = ["producer", "kind", "platform", "since", "ended_on"]
    list_filter = ["kind", "platform"]
    raw_id_fields = ["producer"]


@admin.register(PublicConsent)
class PublicConsentAdmin(ScopedAdmin):
    list_display = ["resident", "purpose", "given", "naming", "recorded_at"]
    raw_id_fields = ["resident", "story"]


@admin.register(SuccessStory)
class SuccessStoryAdmin(ScopedAdmin):
    list_display = ["title", "village", "status", "published_at"]
    list_filter = ["status"]
    raw_id_fields = ["resident", "village", "producer"]


@admin.register(FarmingArticle)
class FarmingArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "subject", "source_type", "version", "active"]
    list_filter = ["topic", "source_type"]
    search_fields = ["title", "subject"]
