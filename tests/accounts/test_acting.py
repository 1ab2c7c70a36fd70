"""Who a background job acts for (``accounts.acting``): one rule, applied by the four handlers that act for a
user — the people export, the radio report, the dashboard PDF and the lesson handouts — each with its own
Vietnamese message, and nothing made when the rule refuses."""

from __future__ import annotations

import pytest

from ngoso.core import jobs
from ngoso.core.models import Job

GONE_EXPORT = "Tài khoản hoặc địa bàn của lần xuất này không còn nữa."
GONE_REPORT = "Tài khoản hoặc địa bàn của báo cáo này không còn nữa."
GONE_HANDOUTS = "Tài khoản in phiếu này không còn nữa."
NO_RADIO = "Tài khoản này không còn quyền xem báo cáo truyền thanh của địa bàn."
NO_DASHBOARD = "Tài khoản này không còn quyền xem bảng chỉ số của địa bàn."


def _params(kind, user, place):
    return {
        "export_people": {"user_id": user.pk, "place": place.code},
        "radio_report": {"user_id": user.pk, "place": place.code, "year": 2026, "month": 1, "language": "vi"},
        "dashboard_pdf": {"user_id": user.pk, "place": place.code, "language": "vi"},
        "lesson_batch": {"user_id": user.pk, "day": "2026-12-01", "size": "a5", "base_url": "http://x",
                         "per": 1, "households": None, "skills": None},
    }[kind]


def _refusal(kind, user, place) -> str:
    """Run the kind's handler for ``user`` and ``place``; the Vietnamese of the JobError it raises."""
    job = Job.objects.create(kind=kind, params=_params(kind, user, place), created_by=user,
                             place_path=place.path)
    with pytest.raises(jobs.JobError) as exc:
        jobs._HANDLERS[kind](job, lambda *a, **k: None)
    job.refresh_from_db()
    assert not job.file, "a refused job made a file"
    return exc.value.vi


@pytest.mark.parametrize("kind, who, gone", [
    ("export_people", "commune_a", GONE_EXPORT),
    ("radio_report", "radio", GONE_REPORT),
    ("dashboard_pdf", "viewer", GONE_REPORT),
    ("lesson_batch", "member", GONE_HANDOUTS),
])
def test_a_job_of_a_switched_off_account_stops_with_its_message(kind, who, gone, users, area):
    user = getattr(users, who)
    user.is_active = False
    user.save()
    assert _refusal(kind, user, area.a) == gone


@pytest.mark.parametrize("kind, who, gone", [
    ("export_people", "commune_a", GONE_EXPORT),
    ("radio_report", "radio", GONE_REPORT),
    ("dashboard_pdf", "viewer", GONE_REPORT),
])
def test_a_job_whose_place_is_gone_stops_with_its_message(kind, who, gone, users, area):
    from ngoso.places.models import Place

    place = Place(code="99999", name="Xã đã xoá", path="99/99999/")  # never saved: the params name no place
    assert _refusal(kind, getattr(users, who), place) == gone


@pytest.mark.parametrize("kind, refused", [("radio_report", NO_RADIO), ("dashboard_pdf", NO_DASHBOARD)])
def test_a_job_for_an_area_the_account_no_longer_sees_is_refused(kind, refused, users, area):
    user = users.commune_b if kind == "dashboard_pdf" else users.radio
    if kind == "radio_report":   # the operator moved to commune B: commune A's radio is no longer theirs
        user.place = area.b
        user.save()
    assert _refusal(kind, user, area.a) == refused


def test_a_radio_report_for_an_account_that_lost_its_radio_role_is_refused(users, area):
    users.radio.role = "viewer"   # still sees commune A, no longer runs its radio (the kind's permission)
    users.radio.save()
    assert _refusal("radio_report", users.radio, area.a) == NO_RADIO


def test_the_rule_hands_back_the_user_and_the_place(users, area):
    from ngoso.accounts.acting import job_user, job_user_and_place

    job = Job.objects.create(kind="radio_report", params={"user_id": users.radio.pk, "place": area.a.code})
    assert job_user_and_place(job, "gone", refused="refused") == (users.radio, area.a)
    assert job_user(job, "gone") == users.radio
