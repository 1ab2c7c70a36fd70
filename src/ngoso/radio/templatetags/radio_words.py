"""Filters for the radio pages: ``{% load radio_words %}`` then ``{{ p.weekdays|radio_days }}``,
``{{ p.priority|radio_level }}``, ``{{ planned|radio_plan_note }}`` — all from ``ngoso.radio.words``."""

from django import template

from .. import words

register = template.Library()


@register.filter
def radio_days(days):
    return words.weekdays_label(days)


@register.filter
def radio_level(value):
    return words.priority_label(value)


@register.filter
def radio_plan_note(planned):
    return words.plan_note(planned.status, planned.delay_seconds, planned.reason)


@register.filter
def radio_faults(codes):
    return words.faults_label(codes)


@register.filter
def radio_alert(alert):
    return words.alert_text(alert)


@register.filter
def radio_play_reason(reason):
    return words.play_reason(reason)
