"""Issue 16's error classes, one table per class (written by hand from the conventions in
docs/vntext.md; each failed before this branch unless marked "kept")."""

import pytest

from ngoso.vntext import normalize


pytestmark = pytest.mark.usefixtures("strict_handlers")  # tests/vntext/conftest.py


Y26 = "hai nghìn không trăm hai mươi sáu"
Y27 = "hai nghìn không trăm hai mươi bảy"

RANGES = [
    ("từ 30/12-2/1/2027", f"từ ngày ba mươi tháng mười hai đến ngày hai tháng một năm {Y27}"),
    ("từ 30/12/2026 - 2/1/2027", f"từ ngày ba mươi tháng mười hai năm {Y26} đến ngày hai tháng một năm {Y27}"),
    ("họp từ 8–9/6/2026", f"họp từ ngày tám đến ngày chín tháng sáu năm {Y26}"),
    ("từ 3 - 5.1", "từ ngày ba đến ngày năm tháng một"),
    ("ngày 14-16.8", "ngày mười bốn đến ngày mười sáu tháng tám"),
    ("từ 28.2-3.3", "từ ngày hai mươi tám tháng hai đến ngày ba tháng ba"),
    ("tháng 11-12/2026", f"tháng mười một đến mười hai năm {Y26}"),
    ("từ tháng 10/2026-3/2027", f"từ tháng mười năm {Y26} đến tháng ba năm {Y27}"),
    ("tháng 9-2026", f"tháng chín năm {Y26}"),  # kept
    ("thắng 3-0", "thắng ba không"),  # kept
    ("sơ đồ 4-4-2", "sơ đồ bốn bốn hai"),
    ("sơ đồ 3-5-2 quen thuộc", "sơ đồ ba năm hai quen thuộc"),
    ("tăng 1-2.5 m", "tăng một đến hai phẩy năm mét"),
    ("10-15‰", "mười đến mười lăm phần nghìn"),
    ("5 – 7%", "năm đến bảy phần trăm"),
]

TIMES = [
    ("họp lúc 7g sáng", "họp lúc bảy giờ sáng"),
    ("từ 13g đến 17g", "từ mười ba giờ đến mười bảy giờ"),
    ("lúc 10g20p", "lúc mười giờ hai mươi"),
    ("mua 5g muối", "mua năm gam muối"),
    ("chạy 15p", "chạy mười lăm phút"),
    ("hoàn thành trong 3p20s", "hoàn thành trong ba phút hai mươi giây"),
    ("trực 36h15p liên tục", "trực ba mươi sáu giờ mười lăm phút liên tục"),
    ("xe chạy 25 giờ", "xe chạy hai mươi lăm giờ"),  # kept
    ("lúc 25:99", "lúc hai mươi lăm chín mươi chín"),
]

NUMBERS = [
    ("1 500 000 đồng", "một triệu năm trăm nghìn đồng"),
    ("có 23 456 hộ", "có hai mươi ba nghìn bốn trăm năm mươi sáu hộ"),
    ("rộng 12 500,5 ha", "rộng mười hai nghìn năm trăm phẩy năm héc ta"),
    ("khoảng 1,5.10^6 con", "khoảng một phẩy năm nhân mười mũ sáu con"),
    ("có 2×10⁵ tế bào", "có hai nhân mười mũ năm tế bào"),
    ("1e6 lượt", "một nhân mười mũ sáu lượt"),
    ("kích thước 10^-9 m", "kích thước mười mũ âm chín mét"),
    ("lệch +2,5 độ", "lệch cộng hai phẩy năm độ"),
    ("sai số ±3%", "sai số cộng trừ ba phần trăm"),
    ("Chương trình 06 của Bộ", "Chương trình không sáu của Bộ"),
    ("Đề án 06", "Đề án không sáu"),
    ("Phụ lục số 03", "Phụ lục số không ba"),
    ("có 05 hộ", "có năm hộ"),  # kept: a count is a count
    ("ngõ 12/3", "ngõ mười hai trên ba"),  # kept
    ("2 triệu m3 nước", "hai triệu mét khối nước"),
    ("3 nghìn km2", "ba nghìn ki lô mét vuông"),
    ("diện tích 45 m²", "diện tích bốn mươi lăm mét vuông"),
    ("thể tích 2 km³", "thể tích hai ki lô mét khối"),
    ("1,2 tỷ m³ nước", "một phẩy hai tỷ mét khối nước"),
    ("3.5 triệu người", "ba phẩy năm triệu người"),
    ("huyết áp 120/80 mmHg", "huyết áp một trăm hai mươi trên tám mươi mi li mét thủy ngân"),
    ("tỷ lệ 3 nam/1 nữ", "tỷ lệ ba nam trên một nữ"),
]

CODES = [
    ("số 12/2025/NĐ-CP", "số mười hai năm hai nghìn không trăm hai mươi lăm nghị định chính phủ"),
    ("số 15/KH-UBND", "số mười lăm kế hoạch ủy ban nhân dân"),
    ("số 07/QĐ-UBND", "số không bảy quyết định ủy ban nhân dân"),
    ("Chỉ thị 12-CT/TW", "Chỉ thị mười hai chỉ thị trung ương"),
    ("Nghị quyết 03-NQ/TU", "Nghị quyết không ba nghị quyết tỉnh ủy"),
    ("Thông tư 09/2026/TT-BYT", "Thông tư không chín năm hai nghìn không trăm hai mươi sáu thông tư bộ y tế"),
    ("Thông tư 40/2021/TT-BTC", "Thông tư bốn mươi năm hai nghìn không trăm hai mươi mốt thông tư bộ tài chính"),
    ("mẫu CT01", "mẫu xê tê không một"),
    ("gọi 0912 345 678", "gọi không chín một hai, ba bốn năm, sáu bảy tám"),  # kept
    ("gọi +84 912 345 678", "gọi cộng tám bốn, chín một hai, ba bốn năm, sáu bảy tám"),  # kept
]

DATES = [
    ("ngày 31/02/2026", f"ngày ba mươi mốt trên hai trên {Y26}"),
    ("ngày 29/02/2026", f"ngày hai mươi chín trên hai trên {Y26}"),
    ("ngày 29/02/2028", "ngày hai mươi chín tháng hai năm hai nghìn không trăm hai mươi tám"),
    ("hạn 31/4/2026", f"hạn ba mươi mốt trên bốn trên {Y26}"),
    ("ngày 30/4", "ngày ba mươi tháng tư"),  # kept
]

URLS = [
    ("dichvucong.gov.vn", "dịch vụ công chấm gốp chấm vê en"),
    ("baobacninh.vn", "báo Bắc Ninh chấm vê en"),
    ("vtv.vn", "vê tê vê chấm vê en"),
    ("vnexpress.net", "vê nờ ếch prét chấm nét"),
    ("https://dichvucong.quangninh.gov.vn", "dịch vụ công chấm Quảng Ninh chấm gốp chấm vê en"),
    ("hotro@baohiemxahoi.gov.vn", "ho tro a còng bảo hiểm xã hội chấm gốp chấm vê en"),
    ("xyz.example.com", "ích i dài dét chấm example chấm com"),
]

CURRENCIES = [
    ("giá 20€", "giá hai mươi ơ rô"),
    ("£5", "năm bảng Anh"),
    ("1.000¥", "một nghìn yên Nhật"),
    ("50.000₩", "năm mươi nghìn uôn"),
    ("300฿", "ba trăm bạt"),
]

MISC = [
    ("Nhiệt độ 36,5 độ C", "Nhiệt độ ba mươi sáu phẩy năm độ xê"),
    ("cúm A/H5N1", "cúm a hát năm nờ một"),
    ("bụi PM2.5", "bụi pê mờ hai phẩy năm"),
    ("SVĐ Mỹ Đình", "sân vận động Mỹ Đình"),
    ("đạt 10/10 điểm", "đạt mười trên mười điểm"),
    ("Xe 29A-123.45", "Xe hai mươi chín a, một hai ba, bốn năm"),
    ("mã bưu chính 11300", "mã bưu chính một một ba không không"),
    ("Việt Nam 2-0 Indonesia", "Việt Nam hai không Indonesia"),
    ("thắng 6-4, 7-5", "thắng sáu bốn, bảy năm"),
    ("thắng lợi sau 2-3 ngày", "thắng lợi sau hai đến ba ngày"),
    ("GMT+7", "giê mờ tê cộng bảy"),
    ("Km 15+200", "ki lô mét mười lăm cộng hai trăm"),
    ("12² = 144", "mười hai mũ hai bằng một trăm bốn mươi tư"),
    ("2/7 + 3/7", "hai phần bảy cộng ba phần bảy"),
    ("về đích sau 1g12p30s", "về đích sau một giờ mười hai phút ba mươi giây"),
]

ALL = [("misc", c) for c in MISC] + [("range", c) for c in RANGES] + [("time", c) for c in TIMES] + [("number", c) for c in NUMBERS] + \
    [("code", c) for c in CODES] + [("date", c) for c in DATES] + [("url", c) for c in URLS] + \
    [("currency", c) for c in CURRENCIES]


@pytest.mark.parametrize("written, spoken", [c for _, c in ALL], ids=[f"{k}:{c[0]}" for k, c in ALL])
def test_error_classes(written, spoken):
    assert normalize(written) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("Phát vào T7 và CN hằng tuần.", "Phát vào thứ bảy và chủ nhật hằng tuần."),
    ("Lịch: T2, T4, T6.", "Lịch: thứ hai, thứ tư, thứ sáu."),
    ("Sáng T7 (28/11) họp thôn.", "Sáng thứ bảy (ngày hai mươi tám tháng mười một) họp thôn."),
    ("Họp lúc 8h T5 tuần này.", "Họp lúc tám giờ thứ năm tuần này."),
    ("Xe T7 của đội.", "Xe tê bảy của đội."),
    ("Khu T3 tầng 2.", "Khu tê ba tầng hai."),
])
def test_weekday_abbreviations_read_as_days_only_in_context(text, spoken):
    from ngoso.vntext import normalize

    assert normalize(text) == spoken
