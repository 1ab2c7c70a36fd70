"""Tables for the normaliser: abbreviations, units, currencies, letter names and context words.

Everything that a maintainer may want to extend lives here as plain data.  Keys are matched
case-sensitively and as whole tokens (a key ending in "." such as "TP." may be glued to the next
word: "TP.HCM").  Readings are lower case unless they contain a proper name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# --------------------------------------------------------------------------------------------
# Abbreviations: the dictionary is DATA, ``data/abbreviations.tsv`` next to this module
# (abbreviation, reading, category, source kind, scope), loaded once at import.  Keys are
# case-sensitive whole tokens; longer keys win over shorter ones.  Compound codes joined by "-"
# ("QĐ-UBND", "KT-XH") are read part by part, so list the parts.
ABBREVIATIONS_TSV = Path(__file__).with_name("data") / "abbreviations.tsv"


@dataclass(frozen=True)
class Abbreviation:
    abbreviation: str
    reading: str
    category: str
    source: str
    scope: str  # "word" | "code" | "alt"


def load_abbreviations(path: Path = ABBREVIATIONS_TSV) -> list[Abbreviation]:
    """Rows of the abbreviation TSV (comments and the header skipped).  A malformed row raises
    ``ValueError`` naming the file and line."""
    rows: list[Abbreviation] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip() or line.startswith("#") or line.startswith("abbreviation\t"):
                continue
            cols = line.split("\t")
            if len(cols) != 5 or not cols[0] or not cols[1] or cols[4] not in ("word", "code", "alt"):
                raise ValueError(
                    f"{path}:{lineno}: dòng từ điển viết tắt không hợp lệ / malformed abbreviation row: {line!r}"
                )
            rows.append(Abbreviation(*cols))
    return rows


ABBREVIATION_ROWS: list[Abbreviation] = load_abbreviations()
# written form -> reading, anywhere as a whole token (first row wins)
ABBREVIATIONS: dict[str, str] = {}
# parts only expanded inside a document code or a hyphenated compound ("123/KH-UBND",
# "13/2023/NĐ-CP", "KT-XH"): alone they are too ambiguous ("CP" is also "cổ phần")
DOC_CODE_PARTS: dict[str, str] = {}
# second readings, chosen by context rules only: key -> [readings]
ALT_READINGS: dict[str, list[str]] = {}
for _row in ABBREVIATION_ROWS:
    if _row.scope == "word":
        ABBREVIATIONS.setdefault(_row.abbreviation, _row.reading)
    elif _row.scope == "code":
        DOC_CODE_PARTS.setdefault(_row.abbreviation, _row.reading)
    else:
        ALT_READINGS.setdefault(_row.abbreviation, []).append(_row.reading)
del _row

# Lower-case (and one-letter) dotted address abbreviations are only read as words before a
# number or a capitalised name ("tp. Huế", "q.3", "P. Hàng Bạc"); elsewhere ("x." ending a
# sentence) they stay as written.
DOTTED_ADDRESS_KEYS = frozenset(
    r.abbreviation for r in ABBREVIATION_ROWS
    if r.category == "address" and r.abbreviation.endswith(".") and (r.abbreviation[:-1].islower() or len(r.abbreviation) == 2)
)

# --------------------------------------------------------------------------------------------
# Vietnamese letter names used to spell unknown acronyms ("ATM" -> "a tê mờ").  Convention: the
# school letter names, with the short consonant forms "lờ, mờ, nờ, rờ" that broadcasters use in
# acronyms (VTV reads "ATM" as "a tê mờ"); foreign letters F J W Z get their usual names.
LETTER_NAMES: dict[str, str] = {
    "a": "a", "b": "bê", "c": "xê", "d": "dê", "đ": "đê", "e": "e", "f": "ép", "g": "giê",
    "h": "hát", "i": "i", "j": "gi", "k": "ca", "l": "lờ", "m": "mờ", "n": "nờ", "o": "o",
    "p": "pê", "q": "quy", "r": "rờ", "s": "ét", "t": "tê", "u": "u", "v": "vê", "w": "vê kép",
    "x": "ích", "y": "i dài", "z": "dét",
    "ă": "á", "â": "ớ", "ê": "ê", "ô": "ô", "ơ": "ơ", "ư": "ư",
}

# --------------------------------------------------------------------------------------------
# Units after a number.  UNITS: attached or spaced ("5km", "5 km"); ATTACHED_ONLY_UNITS only
# when glued to the number ("2l", "5t"), because "5 l" or "lớp 5 t" are too ambiguous.
UNITS: dict[str, str] = {
    # length
    "km": "ki lô mét", "Km": "ki lô mét", "KM": "ki lô mét",
    "m": "mét", "cm": "xăng ti mét", "mm": "mi li mét", "dm": "đề xi mét",
    "µm": "mi crô mét", "μm": "mi crô mét", "nm": "na nô mét",
    "inch": "inch",
    # area and volume
    "m2": "mét vuông", "km2": "ki lô mét vuông", "cm2": "xăng ti mét vuông", "mm2": "mi li mét vuông",
    "dm2": "đề xi mét vuông", "ha": "héc ta",
    "m3": "mét khối", "cm3": "xăng ti mét khối", "dm3": "đề xi mét khối", "km3": "ki lô mét khối",
    "mm3": "mi li mét khối",
    "ml": "mi li lít", "mL": "mi li lít", "lít": "lít",
    # mass
    "kg": "ki lô gam", "Kg": "ki lô gam", "KG": "ki lô gam", "mg": "mi li gam", "µg": "mi crô gam",
    "g": "gam", "gr": "gam",
    # temperature (NFKC turns ℃ into °C; "oC" is a common typing substitute)
    "°C": "độ xê", "°c": "độ xê", "oC": "độ xê", "°F": "độ ép", "°f": "độ ép", "°K": "độ ca",
    "°k": "độ ca", "°": "độ",
    # ratios
    "%": "phần trăm", "‰": "phần nghìn",
    # data (b/B both read as byte: that is what Vietnamese writers mean by "Mb" in practice)
    "GB": "gi ga bai", "Gb": "gi ga bai", "gb": "gi ga bai",
    "MB": "mê ga bai", "Mb": "mê ga bai", "mb": "mê ga bai",
    "KB": "ki lô bai", "Kb": "ki lô bai", "kb": "ki lô bai", "kB": "ki lô bai",
    "TB": "tê ra bai", "Tb": "tê ra bai", "tb": "tê ra bai",
    "Mbps": "mê ga bít trên giây", "mbps": "mê ga bít trên giây", "MBps": "mê ga bai trên giây",
    "Gbps": "gi ga bít trên giây", "gbps": "gi ga bít trên giây",
    "Kbps": "ki lô bít trên giây", "kbps": "ki lô bít trên giây",
    # electricity and power
    "kW": "ki lô oát", "kw": "ki lô oát", "KW": "ki lô oát", "MW": "mê ga oát", "GW": "gi ga oát",
    "TW": "tê ra oát", "tw": "tê ra oát", "W": "oát",
    "kWh": "ki lô oát giờ", "kwh": "ki lô oát giờ", "KWh": "ki lô oát giờ", "MWh": "mê ga oát giờ",
    "V": "vôn", "kV": "ki lô vôn", "kv": "ki lô vôn", "mV": "mi li vôn", "mA": "mi li am pe",
    "mAh": "mi li am pe giờ",
    "Hz": "héc", "hz": "héc", "kHz": "ki lô héc", "khz": "ki lô héc", "MHz": "mê ga héc",
    "Mhz": "mê ga héc", "mhz": "mê ga héc", "GHz": "gi ga héc", "Ghz": "gi ga héc", "ghz": "gi ga héc",
    "hp": "mã lực", "HP": "mã lực",
    "dB": "đề xi ben", "mmHg": "mi li mét thủy ngân", "kcal": "ki lô ca lo",
    # time
    "ms": "mi li giây",
    # chemistry and medicine
    "mol": "mol", "mmol": "mi li mol", "µmol": "mi crô mol", "μmol": "mi crô mol", "μg": "mi crô gam",
    "IU": "đơn vị quốc tế",
    # traditional weights written after a number ("62.5 tạ/ha")
    "tạ": "tạ", "yến": "yến", "tấn": "tấn",
}
UNITS["m²"] = UNITS["m2"]
UNITS["km²"] = UNITS["km2"]
UNITS["cm²"] = UNITS["cm2"]
UNITS["m³"] = UNITS["m3"]
UNITS["cm³"] = UNITS["cm3"]

ATTACHED_ONLY_UNITS: dict[str, str] = {
    "l": "lít", "L": "lít", "t": "tấn", "v": "vôn",
}

# Units allowed after "/" (km/h, đồng/kg, 50.000đ/ngày): all units, plus time units.
PER_UNITS: dict[str, str] = {
    "h": "giờ", "giờ": "giờ", "min": "phút", "ph": "phút", "p": "phút", "s": "giây",
    "s2": "giây bình phương", "s²": "giây bình phương",
}

# Time-zone abbreviations spelled after a time even when written in lower case ("8:23 gmt").
TIME_ZONES = frozenset({
    "utc", "gmt", "ict", "pst", "pdt", "est", "edt", "cst", "cdt", "mst", "mdt", "jst", "kst", "cet",
    "cest", "bst", "ist", "aest", "sgt", "hkt",
})

# --------------------------------------------------------------------------------------------
# Currencies (after the number, or "$"/"US$" before it).
CURRENCIES: dict[str, str] = {
    "đ": "đồng", "₫": "đồng", "đồng": "đồng", "VND": "đồng", "VNĐ": "đồng", "vnd": "đồng",
    "vnđ": "đồng", "Vnđ": "đồng", "Vnd": "đồng", "VNđ": "đồng",
    "$": "đô la", "USD": "đô la", "usd": "đô la", "US$": "đô la", "đô": "đô la", "đô la": "đô la",
    "€": "ơ rô", "EUR": "ơ rô", "euro": "ơ rô", "Euro": "ơ rô",
    "£": "bảng Anh", "GBP": "bảng Anh",
    "¥": "yên Nhật", "JPY": "yên Nhật",
    "CNY": "nhân dân tệ", "NDT": "nhân dân tệ",
    "₩": "uôn", "KRW": "uôn",
    "₹": "ru pi", "INR": "ru pi",
    "฿": "bạt", "THB": "bạt",
}
CURRENCY_PREFIXES: dict[str, str] = {"$": "đô la", "US$": "đô la", "€": "ơ rô", "£": "bảng Anh"}

# Money shorthand glued to a number: 10k, 1tr5, 2t3 (t followed by digits is a price in tỷ;
# a bare "5t" is tấn, see ATTACHED_ONLY_UNITS).
MONEY_SCALES = {"k": 1_000, "K": 1_000, "tr": 1_000_000, "TR": 1_000_000, "Tr": 1_000_000, "t": 1_000_000_000}

# "X/Y": after a money word X the reading is "X một Y" (a price per unit: "đồng/kg"); after a
# counted thing X it is "một" when Y is not a measurement unit ("buổi/tuần", "đồng/hộ/tháng") and
# "trên" when it is ("người/km²"); after anything else a unit Y is read with "trên" ("tấn/ha").
PER_MONEY_WORDS = frozenset({"đồng", "đ", "₫", "vnd", "vnđ", "usd", "la", "rô", "tệ"})
PER_COUNT_WORDS = frozenset({
    "buổi", "lần", "lượt", "người", "hộ", "con", "chuyến", "ca", "suất", "cái", "chiếc", "bao", "thùng",
    "hộp", "gói", "khẩu", "nhân", "học", "lớp", "xe", "phòng", "giường", "vé",
})

# --------------------------------------------------------------------------------------------
# Context words (compared in lower case).  PREV = the word just before the token.
ORDINAL_WORDS = frozenset({"thứ", "hạng"})
MONTH_WORDS = frozenset({"tháng"})
# d/m read as a date after these words; "ngày" is added unless the word already says it.
DATE_CONTEXT_WORDS = frozenset({
    "ngày", "hôm", "mùng", "mồng", "sáng", "trưa", "chiều", "tối", "đêm", "từ", "đến", "tới",
    "trước", "sau", "vào", "hạn", "lễ", "dịp", "khánh", "nay", "qua", "mai", "là", "đầu", "cuối",
})
DATE_NO_PREFIX_WORDS = frozenset({"ngày", "mùng", "mồng", "hôm"})
# a/b read as a fraction after these words (before the date heuristics apply).
FRACTION_CONTEXT_WORDS = frozenset({
    "chiếm", "khoảng", "gần", "hơn", "bằng", "còn", "mất", "được", "tăng", "giảm", "gấp", "trên",
    "dưới", "xấp", "xỉ", "chỉ", "tới", "đó",
})
FRACTION_NEXT_WORDS = frozenset({"số", "dân", "diện", "tổng", "lượng", "phần", "thời", "quãng", "khối"})
# a/b after these words is a house number / alley: "ngõ 34/5" -> "ba mươi tư trên năm".
ADDRESS_WORDS = frozenset({
    "số", "ngõ", "ngách", "hẻm", "kiệt", "nhà", "phòng", "lô", "căn", "tổ", "khu", "kios", "ki-ốt",
    "kiốt", "thửa", "tờ", "km", "quốc", "lộ", "đường", "phố",
})
# hotline context: "gọi 113", "đường dây nóng 1022" are read digit by digit.
PHONE_CONTEXT_WORDS = frozenset({
    "gọi", "số", "tổng", "đài", "hotline", "nóng", "quay", "bấm", "nhắn", "sđt", "thoại",
    "liên", "hệ", "cứu", "khẩn", "cấp",
})
SHORT_HOTLINES = frozenset({"111", "112", "113", "114", "115", "116", "117", "119", "1022", "1080", "1088"})

# "2-1" after these is a score, read "hai một".
SCORE_WORDS = frozenset({"tỷ số", "tỉ số", "thắng", "thua", "hòa", "hoà", "tỷ", "tỉ"})

# Words after which a Roman numeral is a number ("Quý IV", "thế kỷ XXI", "khóa XV").  Two-word keys
# are compared with the two previous words.  After ORDINAL_WORDS the numeral is an ordinal.
ROMAN_KEYWORDS = frozenset({
    "quý", "khóa", "khoá", "thứ", "chương", "phần", "mục", "khoản", "đoạn", "tập", "kỳ", "kì",
    "điều", "bài", "cấp", "hạng", "nhóm", "loại", "bậc", "vùng", "số", "năm", "phiên", "tiết",
    "thế kỷ", "thế kỉ", "đại hội", "phụ lục", "giai đoạn", "hội nghị", "trung ương", "quân khu",
    "quân đoàn", "sư đoàn", "trung đoàn", "học kỳ", "học kì",
})
# after "số" only I V X L numerals count (so "số CD", "số MC" stay letters); after "năm" the
# numeral must start with M (a year: "năm MMXXIII").
ROMAN_SO_CHARS = frozenset("IVXLivxl")

# URL / e-mail pieces.
URL_WORDS: dict[str, str] = {
    "www": "vê kép vê kép vê kép", "vn": "vê en", "com": "com", "net": "nét", "org": "o rờ giê",
    "gov": "gốp", "edu": "e đu", "info": "in phô", "io": "i o", "http": "hát tê tê pê",
    "https": "hát tê tê pê ét", "gmail": "gờ meo", "yahoo": "da hu", "outlook": "ao lúc",
    "facebook": "phây búc", "youtube": "du túp", "zalo": "da lô", "google": "gu gồ",
}
URL_SYMBOLS: dict[str, str] = {
    ".": "chấm", "/": "gạch chéo", "-": "gạch ngang", "_": "gạch dưới", ":": "hai chấm",
    "@": "a còng", "?": "dấu hỏi", "=": "bằng", "&": "và", "#": "thăng", "+": "cộng", "~": "ngã",
    "%": "phần trăm",
}

# Stand-alone symbols.
SYMBOLS: dict[str, str] = {
    "&": "và", "≈": "xấp xỉ", "~": "khoảng", "±": "cộng trừ", "≥": "lớn hơn hoặc bằng",
    "≤": "nhỏ hơn hoặc bằng", "×": "nhân", "÷": "chia", "→": "sang", "@": "a còng", "№": "số",
    "%": "phần trăm", "‰": "phần nghìn",
}

# All-capital acronyms that are read letter by letter on purpose (the explaining API calls them
# "acronym"; any other all-capital word spelled is an "unknown_acronym" the editor flags).
KNOWN_ACRONYMS = frozenset({
    "ATM", "GPS", "WHO", "VTV", "VOV", "HTV", "VTC", "SMS", "USB", "PC", "HIV", "GDP", "CPI", "FDI",
    "ODA", "IUU", "EU", "WTO", "UN", "FAO", "BBC", "CNN", "VAT", "SIM", "PDF", "CD", "DVD", "SOS",
    "GMT", "UTC", "ICT", "VNPT", "FPT", "MC", "CEO", "IMF", "WB", "ADB", "APEC", "TPP", "CPTPP",
    "EVFTA", "RCEP", "VPBank", "MB", "BIDV", "VCB", "SHB", "ACB", "TPBank", "HD", "TV", "AI",
}) | {r.abbreviation for r in ABBREVIATION_ROWS if r.source == "spelled"}

# Context rules for abbreviations with two readings (normalizer._Normalizer.context_reading).
CONTEXT_KEYS = frozenset({"đ/c", "Đ/c", "TP", "CT", "HS", "ĐH", "ĐT", "HCB", "TL.", "Q."})
# "ĐH" is "đại hội" before these (ĐH Đảng bộ, ĐH đại biểu, ĐH Hội Nông dân), else "đại học"
CONTEXT_CONGRESS_AFTER = frozenset({
    "Đảng", "đảng", "Đoàn", "đoàn", "đại", "lần", "Hội", "Công", "Phụ", "Cựu", "Nông", "MTTQ", "TDTT",
    "thi", "Chi", "chi", "Mặt", "HND", "HPN", "HCCB", "ĐTN", "XIII", "XIV", "XV",
})
CONTEXT_ADDRESS_WORDS = frozenset({
    "số", "thôn", "xóm", "ấp", "bản", "làng", "buôn", "khóm", "đường", "phố", "ngõ", "ngách", "hẻm",
    "kiệt", "tổ", "khu", "xã", "phường", "quận", "huyện", "tỉnh", "thị", "thành", "tp", "kp", "lô",
    "nhà", "km", "tầng", "phòng", "tòa", "chung", "khối", "cụm", "đội",
})
CONTEXT_FOOD_BEFORE = frozenset({
    "vệ sinh", "an toàn", "atvs", "attp", "ngộ độc", "chế biến", "kinh doanh", "bảo quản",
    "sinh", "toàn",
})
# ... or within the four words before it
CONTEXT_FOOD_NEAR = ("vệ sinh", "ngộ độc", "atvs", "attp", "chế biến", "bảo quản")
CONTEXT_FOOD_AFTER = frozenset({"chức", "sạch", "bẩn", "tươi", "sống", "chín", "bẩn", "khô", "đông", "giả"})
CONTEXT_CHAIR_AFTER = frozenset({
    "UBND", "HĐND", "MTTQ", "UBMTTQ", "HĐQT", "HND", "HCCB", "HLHPN", "HPN", "xã", "huyện", "tỉnh",
    "nước", "phường", "thị", "thành", "hội", "Hội", "quận", "UB", "Quốc",
})
CONTEXT_COMPANY_AFTER = frozenset({"TNHH", "CP", "CTCP", "MTV"})
CONTEXT_FILE_BEFORE = frozenset({
    "nộp", "nhận", "tiếp nhận", "trả", "bổ sung", "thẩm định", "xét", "duyệt", "thụ lý", "lập",
    "hoàn thiện", "hoàn thành", "chuẩn bị", "giải quyết", "số hóa",
})

# "2.5 triệu": a dotted number before these is an English decimal point.
MULTIPLIER_WORDS = frozenset({"triệu", "tỷ", "tỉ", "nghìn", "ngàn", "vạn"})
# The number of a programme, plan, form or document keeps its leading zero ("Đề án 06" "đề án
# không sáu", "mẫu số 02" "mẫu số không hai"); compared with the one or two words before it
# (a "số" between them is skipped).
NAME_NUMBER_WORDS = frozenset({
    "đề án", "chương trình", "chỉ thị", "mẫu", "biểu mẫu", "phụ lục", "kế hoạch", "nghị quyết",
    "quyết định", "thông báo", "công văn", "tờ trình", "báo cáo", "thông tư", "nghị định", "biểu",
    "hướng dẫn", "kết luận", "quy định", "công điện", "mã", "phương án", "dự án", "tiểu dự án",
    "nội dung", "hợp phần", "tờ khai", "giấy mời", "đề mục", "công tác", "phòng thi", "mã trường",
    "xung kích", "mẫu đơn", "tổ",
})
# "7g", "19g": hours (not grams) after these words or before these words.
TIME_BEFORE_WORDS = frozenset({
    "lúc", "từ", "đến", "tới", "khoảng", "trước", "sau", "vào", "đúng", "hồi", "tầm", "chừng", "gần",
    "quá", "hết", "trong",
})
TIME_AFTER_WORDS = frozenset({
    "sáng", "trưa", "chiều", "tối", "đêm", "hôm", "ngày", "mai", "rưỡi", "kém", "đúng", "khuya",
})


# Domain labels read as Vietnamese words with their tones ("dichvucong" -> "dịch vụ công"):
# data/domains.tsv (label, reading, kind).  Kind "piece" entries only build longer labels
# ("bao" + "bacninh" -> "báo Bắc Ninh").
DOMAINS_TSV = Path(__file__).with_name("data") / "domains.tsv"


def load_domains(path: Path = DOMAINS_TSV) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#") or line.startswith("label\t"):
                continue
            cols = line.split("\t")
            if len(cols) != 3 or not cols[0].isascii() or cols[0] != cols[0].lower():
                raise ValueError(f"{path}:{lineno}: dòng tên miền không hợp lệ / malformed domain row: {line!r}")
            out.setdefault(cols[0], (cols[1], cols[2]))
    return out


DOMAIN_LABELS: dict[str, tuple[str, str]] = load_domains()
# full domains whose labels are read with tones (any *.gov.vn host is too)
KNOWN_DOMAINS = frozenset(k for k, (_reading, kind) in DOMAIN_LABELS.items() if kind == "domain")
# Common Vietnamese syllables without tone marks: when an unaccented URL label can be split in
# two ways, the split into common syllables wins ("ho tro", not "hot ro"; "lop hoc", not "lo phoc").
COMMON_SYLLABLES = frozenset("""
a an anh ao au ba bac ban bang bao bat bay be ben bi bien binh bo bon bong bu bui bun ca cac cach cai
cam can cang cao cap cat cau cay chi chia chieu chinh cho chu chuc chung chuong chuyen co con cong cu
cua cuc cuoc cuoi cuu da dai dan dang danh dao dat dau day de den dep di dia dich dien dieu dinh do
doan doi don dong du dua duc dung duoc duong em gia giai giam gian giang giao giay gio gioi giu go gop
ha hai han hang hanh hao hat hau hay he hien hieu hinh ho hoa hoach hoai hoan hoang hoc hoi hom hon
hong hop hu hua huong huu huy huyen ich in it ke kem khac khach khai kham khan khang khao khi khoa
khoan khoe khong khu khuyen kien kim kinh ky la lai lam lan lang lao lap lau le len lien lieu linh lo
loai loi long lop lu luat luc luong luu ly ma mai man mang mat mau may me men mien minh mo moi mon mong
mot mua muc mui muoi my na nam nang nao nay ne nen nga ngan ngang ngay nghe nghi nghia nghiep ngo ngoai
ngoc ngon nguoi nguon nguyen nha nhan nhanh nhap nhat nhau nhieu nhu nhung nien no noi nong nu nuoc o
on ong phan phap phat phi pho phong phu phuc phuong qua quan quang quoc quy quyen ra rau rieng ro rong
sach sai san sang sao sau se sinh so soc son song su sua suc sung suoi ta tac tai tam tan tang tao tap
tat tay te tem ten thach thai tham than thanh thao thap that thay the them then theo thi thien thiet
thieu thoi thon thong thu thuat thuc thue thuoc thuong thuy tich tien tiem tiep tieu tin tinh to toan
toi ton tong tra trach trai tram tran trang tre tren tri trien trinh tro trong tru truc trung truong
tu tuan tuc tuoi tuong tuyen tuy uy va van vang ve vi viec vien viet vinh vo voi vu vua vuc vung vuon
vuong xa xac xanh xay xe xem xet xin xoa xuan xuat xuong y yen
""".split())

# "a-b" is a score (read "a b") when one of these appears earlier in the same clause.
SCORE_CUES = frozenset({
    "thắng", "thua", "hòa", "hoà", "dẫn", "tỷ số", "tỉ số", "chung cuộc", "kết thúc", "hiệp", "set",
    "bại", "cách biệt", "ngược dòng", "gỡ hòa", "san bằng", "bàn thắng",
})
# ... but not before a counted noun: "thắng lợi sau 2-3 ngày" is a range
RANGE_NOUNS = frozenset({
    "ngày", "tuần", "tháng", "năm", "giờ", "phút", "giây", "tuổi", "người", "lần", "hộ", "con", "km",
    "m", "cm", "mm", "độ", "triệu", "nghìn", "ngàn", "tỷ", "tấn", "kg", "ha", "cây", "buổi", "đợt", "lớp",
    "xã", "thôn", "huyện", "tỉnh", "cái", "chiếc", "ca", "bệnh", "học", "đồng", "mét", "lít",
})
# a 5- or 6-digit number after these (within the clause) is a postcode, read digit by digit
POSTCODE_CUES = ("bưu chính", "bưu điện", "postcode", "zip code", "mã zip", "bưu cục")


# "T7", "CN" read as days of the week after these words (normalizer.weekday) or before these
WEEKDAY_BEFORE = frozenset({"vào", "sáng", "chiều", "tối", "trưa", "đêm", "ngày", "các", "mỗi", "hằng", "hàng",
                            "từ", "đến", "tới", "giờ", "lúc", "nay", "mai", "trước", "sau"})
WEEKDAY_AFTER = ("tuần", "hằng tuần", "hàng tuần", "này", "tới", "sau", "trước", "vừa qua")
