"""Forms: parse and check what a page sends; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ngoso.core.clean import CleanFormMixin
from ngoso.skills.models import Skill

from .models import (ArticleSend, FarmingArticle, Naming, OnlineChannel, Producer, Product, PublicConsent,
                     SuccessStory)


class ProducerForm(CleanFormMixin, forms.ModelForm):
    class Meta:
        model = Producer
        fields = ["name", "kind", "person", "description", "phone", "messenger_url"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    messenger_url = forms.URLField(label=_("Facebook page / Messenger link"), required=False, assume_scheme="https")

    def __init__(self, *args, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        hh = household or (self.instance.household if self.instance.pk else None)
        self.fields["person"].queryset = hh.residents.all() if hh else self.fields["person"].queryset.none()
        self.fields["person"].required = True

    def clean_phone(self):
        from .services import LivelihoodError, validate_phone

        try:
            return validate_phone(self.cleaned_data.get("phone", ""))
        except LivelihoodError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ProductForm(CleanFormMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = ["name", "price", "unit", "season", "ocop_stars", "vietgap", "other_certifications", "description",
                  "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}),
                   "price": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "step": 500}),
                   "ocop_stars": forms.Select(choices=[("", "—")] + [(i, f"{i} ★") for i in range(1, 6)])}


class PhotoForm(CleanFormMixin, forms.Form):
    photo = forms.FileField(label=_("Photo"), widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
    caption = forms.CharField(label=_("Caption"), max_length=160, required=False)


class ChannelForm(CleanFormMixin, forms.ModelForm):
    class Meta:
        model = OnlineChannel
        fields = ["kind", "platform", "address", "since", "skills", "show_publicly"]
        widgets = {"since": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "skills": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        # the skills behind a channel: the livelihood and transaction skills first, then the rest
        self.fields["skills"].queryset = (Skill.objects.filter(catalogue__is_current=True)
                                          .order_by("-area__order", "order"))
        self.fields["skills"].label_from_instance = lambda s: s.name


class ConsentForm(CleanFormMixin, forms.Form):
    purpose = forms.ChoiceField(choices=[("producer_page", _("Public producer page")),
                                         ("show_phone", _("Phone number on the public page"))], required=False)
    given = forms.TypedChoiceField(label=_("Consent"), choices=[("1", _("Given")), ("0", _("Refused or withdrawn"))],
                                   coerce=lambda v: v == "1", widget=forms.RadioSelect,
                                   error_messages={"required": _("Say whether consent was given or refused.")})
    naming = forms.ChoiceField(label=_("How the person may be named"), choices=Naming.choices, initial=Naming.SHORT,
                               required=False)

    def clean_naming(self):
        return self.cleaned_data.get("naming") or Naming.SHORT
    method = forms.ChoiceField(label=_("How"), choices=PublicConsent.Method.choices)
    reference = forms.CharField(label=_("Reference (form number…)"), max_length=60, required=False)


class ArticleForm(CleanFormMixin, forms.ModelForm):
    class Meta:
        model = FarmingArticle
        fields = ["title", "topic", "subject", "summary", "body", "source_type", "source", "active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12}), "summary": forms.Textarea(attrs={"rows": 2})}


class SendForm(CleanFormMixin, forms.Form):
    household = forms.CharField(label=_("Household code"), max_length=40)
    how = forms.ChoiceField(label=_("How"), choices=ArticleSend.How.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class StoryForm(CleanFormMixin, forms.ModelForm):
    class Meta:
        model = SuccessStory
        fields = ["title", "producer", "before", "change", "income_before", "income_after", "income_period",
                  "figures", "quote"]
        widgets = {"before": forms.Textarea(attrs={"rows": 3}), "change": forms.Textarea(attrs={"rows": 5}),
                   "income_before": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "step": 100000}),
                   "income_after": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "step": 100000})}

    def __init__(self, *args, resident=None, **kwargs):
        super().__init__(*args, **kwargs)
        r = resident or (self.instance.resident if self.instance.pk else None)
        self.fields["producer"].queryset = r.household.producers.all() if r else Producer.objects.none()
