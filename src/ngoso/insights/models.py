"""The figures' own tables. Insights reads every other app and writes only these.

The tables keep the names they had in ``visits`` and ``livelihoods`` (``Meta.db_table``), so that moving the
models here moved no data (migrations ``insights.0001``, ``visits.0002``, ``livelihoods.0002`` change Django's
state only).
"""

from __future__ import annotations

from django.db import models


class PlaceCounter(models.Model):
    """Derived roll-up: one figure (``key``) for one place, kept up to date incrementally (``counters``)."""

    place = models.ForeignKey("places.Place", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=60)
    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "visits_placecounter"
        constraints = [models.UniqueConstraint(fields=["place", "key"], name="place_counter_unique")]


class CounterState(models.Model):
    """When the roll-ups were last rebuilt and for which reference year (ages depend on it)."""

    year = models.PositiveSmallIntegerField()
    rebuilt_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "visits_counterstate"


class FiguresStamp(models.Model):
    """One row whose random token changes whenever producers, channels, stories or households change: the
    dashboard's livelihood figures are cached against it (a random token, not a counter, so that figures
    computed inside a transaction that was rolled back can never be mistaken for later ones)."""

    token = models.CharField(max_length=32, default="")

    class Meta:
        db_table = "livelihoods_figuresstamp"


class CounterDelta(models.Model):
    """A change to one counter, appended by a write in its own transaction and folded into ``PlaceCounter`` by
    the roll-up (``counters.roll_up``), which deletes it in the same transaction: a delta is either pending here
    or folded there, never both. Readers add the pending deltas to the counters in the same query.

    ``op``: ``ADD`` adds ``value``; ``MAX`` raises the counter to ``value`` (``lastv``); ``SET`` sets it (a
    correction that lowers ``lastv``). Writers of one village hold its row lock, so the deltas of one village
    are in commit order by ``id``. No foreign key: an insert would lock the place's row (KEY SHARE) and every
    sync of a province would share its province's row.
    """

    ADD, MAX, SET = 0, 1, 2

    id = models.BigAutoField(primary_key=True)
    place_id = models.BigIntegerField()
    key = models.CharField(max_length=60)
    value = models.BigIntegerField()
    op = models.PositiveSmallIntegerField(default=ADD)

    class Meta:
        indexes = [models.Index(fields=["place_id", "key"], name="counter_delta_place_key")]
