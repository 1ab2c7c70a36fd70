"""The radio's background work on the queue (core.jobs): the speech handler lives in ``services``; the fault
and missing-playback checks run here every minute on the schedule (no longer in a thread of the push server)."""

from __future__ import annotations

from ngoso.core.jobs import periodic

from . import services
from django.utils.translation import gettext_lazy as _


@periodic("radio_check", _("Radio: offline clusters and unconfirmed playbacks"))
def radio_check() -> dict:
    return services.check()
