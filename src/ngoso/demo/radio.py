"""Demo smart radio: a cluster in each village of the demo commune, bulletins read by the speech engine,
a daily 6:00 / 17:00 programme, a month of play confirmations and heartbeats, and a few open alerts.

Deterministic per seed (apart from the wall clock). The play logs follow the real plan of each cluster
(``services.plan_for``), so reports, delivery confirmation and the "not confirmed" alerts agree.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ngoso.accounts.models import Role, User
from ngoso.core.messages import Message, both
from ngoso.places.models import Level, Place
from ngoso.radio import services
from ngoso.radio.models import Alert, ClusterDay, PlayLog, SpeakerCluster
from ngoso.speech import SpeechUnavailable

BULLETINS = [
    ("policy", "priority", "Hướng dẫn làm căn cước điện tử mức 2",
     "Bà con chú ý. Từ ngày 1/12, công an xã hỗ trợ kích hoạt tài khoản định danh điện tử mức 2 "
     "tại nhà văn hoá các thôn, từ 7h30 đến 11h00. Bà con mang theo căn cước và điện thoại."),
    ("lesson", "normal", "Kỹ năng số: thanh toán không dùng tiền mặt an toàn",
     "Tổ công nghệ số cộng đồng nhắc bà con: không bao giờ đọc mã OTP cho người lạ. "
     "Khi chuyển tiền, kiểm tra kỹ tên người nhận. Cần giúp đỡ, gọi tổ trưởng thôn."),
    ("agriculture", "normal", "Lịch gieo trồng vụ đông",
     "Vụ đông năm nay, xã khuyến khích trồng ngô, khoai tây trên đất hai lúa. "
     "Hội nông dân hướng dẫn kỹ thuật vào sáng thứ bảy, 8h00, tại hội trường xã."),
    ("health", "normal", "Tiêm chủng mở rộng tháng này",
     "Trạm y tế xã tổ chức tiêm chủng cho trẻ dưới 5 tuổi vào ngày 25 hằng tháng. "
     "Bà con nhớ mang sổ tiêm chủng."),
    ("story", "normal", "Gương sáng: bán vải thiều qua sàn thương mại điện tử",
     "Gia đình chị Lan ở thôn Đồng Bụt đã bán 3 tấn vải thiều qua sàn thương mại điện tử "
     "nhờ tổ công nghệ số cộng đồng hướng dẫn chụp ảnh và đăng bán."),
]


def build_radio(seed: int, progress=lambda m: None, days: int = 30) -> dict:
    rng = random.Random(f"radio-{seed}")
    operator = User.objects.filter(role=Role.RADIO_OPERATOR).order_by("id").first()
    staff = User.objects.filter(role=Role.COMMUNE_STAFF).order_by("id").first()
    if operator is None or operator.place is None or staff is None:
        return {}
    commune = operator.place
    villages = list(Place.objects.filter(parent=commune, level=Level.VILLAGE, valid_to__isnull=True).order_by("path"))
    now = timezone.now()
    start_day = timezone.localdate() - dt.timedelta(days=days)
    progress(both(Message(_("Smart radio: %(clusters)s clusters, %(bulletins)s bulletins …"), clusters=len(villages),
                          bulletins=len(BULLETINS))))
    with transaction.atomic():
        clusters = []
        for n, v in enumerate(villages):
            c, _created = services.register_cluster(
                place=v, code=f"LOA-{v.code}", name=f"Cụm loa {v.name}", address="Nhà văn hoá thôn",
                latitude=v.latitude, longitude=v.longitude, connection=rng.choice(["4g", "4g", "4g", "internet", "wifi"]),
                installed_on=start_day - dt.timedelta(days=rng.randint(60, 900)),
                amplifier=rng.choice(["Bộ khuếch đại 300 W", "Bộ khuếch đại 500 W"]),
                speakers=f"{rng.choice([3, 4, 4, 6])} loa nén 30 W")
            clusters.append(c)
        SpeakerCluster.objects.filter(pk__in=[c.pk for c in clusters]).update(
            created_at=now - dt.timedelta(days=days + 1))
        bulletins = []
        for category, priority, title, text in BULLETINS:
            b = services.create_bulletin(title=title, text=text, category=category, place=commune, author=operator,
                                         priority=priority, source="demo")
            try:
                services.render_audio(b)
            except (services.RadioError, SpeechUnavailable) as exc:
                progress("  " + both(Message(_("(speech unavailable: %(why)s)"), why=str(exc))))
                return {"clusters": len(clusters), "bulletins": 0}
            bulletins.append(services.approve(b, staff))
        by_cat = {b.category: b for b in bulletins}
        services.create_programme(place=commune, title="Bản tin sáng: chính sách", times=["06:00"], targets=[commune],
                                  bulletin=by_cat["policy"], start_date=start_day, user=operator)
        services.create_programme(place=commune, title="Bản tin sáng: kỹ năng số", times=["06:00"], targets=[commune],
                                  bulletin=by_cat["lesson"], start_date=start_day, user=operator)
        services.create_programme(place=commune, title="Bản tin chiều: nông nghiệp", times=["17:00"],
                                  targets=[commune], bulletin=by_cat["agriculture"], start_date=start_day,
                                  user=operator)
        services.create_programme(place=commune, title="Bản tin chiều: y tế", times=["17:00"], targets=[commune],
                                  bulletin=by_cat["health"], weekdays=[0, 2, 4], start_date=start_day, user=operator)
        services.create_programme(place=commune, title="Gương điển hình cuối tuần", times=["17:00"],
                                  targets=[commune], bulletin=by_cat["story"], weekdays=[5, 6], start_date=start_day,
                                  user=operator)

        # a month of heartbeats (uptime) and play confirmations along each cluster's real plan
        first = now - dt.timedelta(days=days)
        progs = services.active_programmes(first, now)
        broken = set(rng.sample(range(len(clusters)), k=min(2, len(clusters))))
        logs, cdays = [], []
        for n, c in enumerate(clusters):
            outage = None
            if n in broken:  # one bad week for a couple of clusters
                d0 = now - dt.timedelta(days=rng.randint(8, 20))
                outage = (d0, d0 + dt.timedelta(days=rng.randint(1, 4)))
            for d in range(days + 1):
                day = timezone.localdate() - dt.timedelta(days=days - d)
                secs = 86400 if d < days else int((now - now.replace(hour=0, minute=0, second=0)).total_seconds())
                if outage and outage[0].date() <= day <= outage[1].date():
                    secs = int(secs * rng.uniform(0.0, 0.4))
                cdays.append(ClusterDay(cluster=c, day=day, online_seconds=secs, heartbeats=secs // 30))
            for p in services.plan_for(c, first, now - dt.timedelta(minutes=15), progs):
                if p.status == "skipped" or p.start < first:
                    continue
                if outage and outage[0] <= p.start <= outage[1]:
                    continue  # nothing heard from it: shows as "not confirmed"
                r = rng.random()
                status, late, reason = "played", rng.randint(0, 4), ""
                if r < 0.015:
                    status, reason = "failed", "amplifier did not power on"
                elif r < 0.04:
                    late = rng.randint(61, 240)
                dur = (p.end - p.start).total_seconds() if status == "played" else 0
                logs.append(PlayLog(uuid=uuid.UUID(int=rng.getrandbits(128)), cluster=c, item_key=p.key,
                                    programme_id=p.slot.data["programme"], bulletin_id=p.slot.data.get("bulletin"),
                                    category=p.slot.data.get("category", ""), scheduled_at=p.slot.start,
                                    started_at=p.start + dt.timedelta(seconds=late), duration_seconds=dur,
                                    late_seconds=late, status=status, reason=reason,
                                    received_at=p.start + dt.timedelta(seconds=late + dur + 5)))
        PlayLog.objects.bulk_create(logs, batch_size=2000)
        ClusterDay.objects.bulk_create(cdays, batch_size=2000)
        for n, c in enumerate(clusters):
            seen = now - dt.timedelta(seconds=rng.randint(2, 40))
            if n == 0 and len(clusters) > 3:
                seen = now - dt.timedelta(hours=3)  # one cluster is down now
            SpeakerCluster.objects.filter(pk=c.pk).update(
                last_seen_at=seen, volume=rng.choice([70, 80, 85, 90]), cached_until=now + dt.timedelta(days=3),
                client_version="ngoso-speaker/1", faults=["amplifier_overheat"] if n == 1 else [])
        if len(clusters) > 1:
            c = clusters[1]
            Alert.objects.create(kind=Alert.Kind.FAULT, cluster=c, place_path=c.place.path, key="fault:amplifier_overheat",
                                 message=both(Message(_("Cluster %(code)s reports a fault: %(fault)s"), code=c.code,
                                                      fault="amplifier_overheat")))
    checked = services.check(now)
    return {"clusters": len(clusters), "bulletins": len(bulletins), "play_logs": len(logs), **checked}
