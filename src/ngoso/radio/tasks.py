"""The radio's background work on the queue (core.jobs): the speech handler lives in ``services``; the fault
and missing-playback checks run here every minute on the schedule (no longer in a thread of the push server)."""

from __future__ import annotations

from ngoso.core.jobs import periodic

from . import services


@periodic("radio_check", "Kiểm tra cụm loa mất kết nối và bản tin chưa xác nhận phát / "
          "Radio: offline clusters and unconfirmed playbacks")
def radio_check() -> dict:
    return services.check()
