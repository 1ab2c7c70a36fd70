"""The heading of a document a place sends up, as Vietnamese official documents have it: the issuing body on the
left ("UBND XÃ …" and the unit under it), the national motto on the right ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
"Độc lập - Tự do - Hạnh phúc") and under it the place and date ("Ngọc Thiện, ngày 05 tháng 12 năm 2026").

One heading for every report the platform writes (the dashboard's report in ``insights.report``, the radio
report in ``radio.services``), in the active language; ``core.xlsx.title_block`` lays it out in a sheet.
"""

from __future__ import annotations

import datetime

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import Level, Place


def authority(place: Place) -> Place:
    """The place whose People's Committee a report goes out under: a village reports through its commune."""
    if place.level == Level.VILLAGE:
        up = place.parent if place.is_current else (place.former_parent or place.parent)
        if up is not None:
            return up
    return place


def area_line(place: Place) -> str:
    """The place and the places above it: "Thôn Đồng Bụt, Xã Ngọc Thiện, Tỉnh Bắc Ninh"."""
    names, p, seen = [place.name], place, 0
    while seen < 5:
        p = p.parent if place.is_current else (getattr(p, "former_parent", None) or p.parent)
        if p is None:
            break
        names.append(p.name)
        seen += 1
    return ", ".join(names)


def area_label(place: Place) -> str:
    """ "Địa bàn: Thôn Đồng Bụt, Xã Ngọc Thiện, Tỉnh Bắc Ninh" in the active language."""
    return _("Area: %(area)s") % {"area": area_line(place)}


def long_date(day: datetime.date) -> str:
    """The date of a dateline: "ngày 05 tháng 12 năm 2026" in Vietnamese, "05/12/2026" in English."""
    if (get_language() or "vi").startswith("en"):
        return day.strftime("%d/%m/%Y")
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def heading(place: Place, day: datetime.date, unit: str) -> dict:
    """``authority`` (the People's Committee, ``unit`` under it), ``nation`` (the motto) and ``dateline``."""
    head = authority(place)
    return {
        "authority": [(_("People's Committee of %(place)s") % {"place": head.name}).upper(), str(unit).upper()],
        "nation": [_("Socialist Republic of Viet Nam").upper(), _("Independence - Freedom - Happiness")],
        "dateline": f"{head.short_name}, {long_date(day)}",
    }
