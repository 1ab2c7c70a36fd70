"""Vietnamese text normalisation for speech ("chuẩn hoá văn bản"): written form -> spoken words.

Pure Python, standard library only, no Django.  Main entry points::

    >>> from ngoso.vntext import normalize, number_to_words
    >>> normalize("Hôm nay 28/11/2026 lúc 7h30, UBND xã chi 1.500.000đ.")
    'Hôm nay ngày hai mươi tám tháng mười một năm hai nghìn không trăm hai mươi sáu lúc bảy giờ ba mươi, ủy ban nhân dân xã chi một triệu năm trăm nghìn đồng.'
    >>> number_to_words(105)
    'một trăm linh năm'

``normalize`` keeps ordinary words and the punctuation that makes speech pause (. , ; : ? ! and
line/paragraph breaks), never raises on any string, never leaves an ASCII digit, a control
character or a lone surrogate in its output (``clean`` is applied first), and accepts local
abbreviations (``normalize(text, abbreviations={"HTXNN": "hợp tác xã nông nghiệp"})``, which win
over the dictionary).  ``explain(text)`` lists every changed span with its offsets in the
original text, its reading and a stable rule id (see :mod:`ngoso.vntext.explain` and
docs/vntext.md, which also has the issue-16 conventions: ranges of dates, scores, colloquial
times, codes, plates, postcodes, web addresses with listed domains, invalid dates).

Conventions (standard Northern broadcast usage, VTV/VOV style; ``region="south"`` differences
in brackets)
------------------------------------------------------------------------------------------------
Cardinals
    0 "không"; 15 "mười lăm"; 21 "hai mươi mốt"; 24 "hai mươi tư" [south: "hai mươi bốn"];
    25 "hai mươi lăm"; 14 "mười bốn"; 105 "một trăm linh năm" [south: "lẻ"]; 110 "một trăm mười";
    1000 "một nghìn" [south: "ngàn"].  A three-digit group that follows a higher group is read in
    full, the way amounts are read on cheques and in broadcasts: 2023 "hai nghìn không trăm hai
    mươi ba", 1005 "một nghìn không trăm linh năm", 1 000 010 "một triệu không trăm mười".  Groups
    that are entirely zero are skipped (1 000 001 "một triệu không trăm linh một").  Above a
    billion the reading nests: 10^12 "một nghìn tỷ", 10^15 "một triệu tỷ", 10^18 "một tỷ tỷ".
    Negatives start with "âm".  Thousands are written with "." (1.500.000); an English
    "1,500,000" (two or more comma groups) is also understood.  Integers of three or more digits
    starting with 0 ("007") are read digit by digit; "05" is "năm".
Decimals
    The decimal comma is "phẩy".  The part after it is read as a number when it has at most three
    digits and does not start with 0 ("2,63" "hai phẩy sáu mươi ba"), otherwise digit by digit
    ("2,05" "hai phẩy không năm", "3,14159" "ba phẩy một bốn một năm chín").  Before a unit or a
    currency "1.5" is taken as an English decimal point; elsewhere dotted numbers that are not
    thousands ("4.0", "192.168.1.1") are read part by part with "chấm".
Ordinals
    After "thứ" and "hạng": 1 "nhất", 4 "tư", otherwise the cardinal ("thứ 2" "thứ hai",
    "lần thứ 4" "lần thứ tư", "thứ 14" "thứ mười bốn", "thứ 24" "thứ hai mươi tư").
Fractions
    "a phần b", with denominator 4 read "tư" ("3/4" "ba phần tư"); mixed numbers "5 1/2" "năm và
    một phần hai".  "a/b" is a fraction before a unit ("1/2kg"), after a quantity word ("chiếm",
    "khoảng", "hơn"…) or before "số", "dân"…; otherwise a valid day/month is a date, except the
    common proper fractions with denominator 2, 3 or 4 ("1/2", "2/3", "3/4").
Dates
    "ngày D tháng M năm Y"; "ngày" is added unless the text already says "ngày"/"mùng"/"mồng"/"hôm"
    ("28/11/2026", "28-11-2026", "28.11.2026", "28/11", "ngày 5/9").  Month 4 is "tư", month 1
    "một" ("tháng một", not the lunar "tháng giêng").  Days are not prefixed with "mùng".
    "11/2026" "tháng mười một năm hai nghìn không trăm hai mươi sáu"; "tháng 7/2025" does not
    repeat "tháng"; "Quý 3/2025", "số 12/2024" read the year with "năm".
Times
    "7h" "bảy giờ"; "7h30", "7:30", "7g30" "bảy giờ ba mươi" (minutes without "phút", as written in
    "7 giờ 30"), but a zero-padded minute takes "phút" so it is not heard as another number:
    "7h05" "bảy giờ năm phút".  With seconds every field has its unit, zero seconds are dropped and
    zero minutes kept: "03:00:03" "ba giờ không phút ba giây", "04:30:00" "bốn giờ ba mươi phút".
    "30p" "ba mươi phút", "45s" "bốn mươi lăm giây", "3p20s" "ba phút hai mươi giây".
Ranges
    "-" or "–" between two numeric tokens is "đến": "2022-2025", "7h-9h", "10-15%" ("mười đến
    mười lăm phần trăm"), "28/11-5/12", "tháng 4-6" ("tháng tư đến sáu").  Two small numbers
    "a-b" are a date after "ngày" ("ngày 1-5" "ngày một tháng năm") or when a > b and it is a
    valid day-month ("30-4" "ngày ba mươi tháng tư"), and a score after "tỷ số", "thắng", "thua",
    "hòa" ("2-1" "hai một").  "-" before a number at the start of a word is "âm".  "x" between
    two numbers is "nhân" ("100cm x 50cm", "3x4"); "x2" is "nhân hai".
Money
    đ, ₫, đồng, VND/VNĐ "đồng"; $, USD "đô la"; € "ơ rô"; £ "bảng Anh"; ¥ "yên Nhật"; ₹ "ru pi"…
    Decimals stay decimals ("5,99$" "năm phẩy chín mươi chín đô la"; minor units are not used).
    Shorthand: "10k" "mười nghìn", "1tr5" "một triệu năm trăm nghìn", "2t3" "hai tỷ ba trăm triệu"
    (a bare "5t" is "năm tấn", the SI symbol).  A price per unit is read with "một":
    "25.000đ/kg" "hai mươi lăm nghìn đồng một ki lô gam"; other rates with "trên": "km/h" "ki lô
    mét trên giờ".
Measures
    See ``data.UNITS``: km "ki lô mét", m "mét", cm "xăng ti mét", m2/m² "mét vuông", ha "héc ta",
    kg "ki lô gam", t "tấn", l "lít", °C "độ xê", % "phần trăm", GB "gi ga bai", Mbps "mê ga bít
    trên giây", Hz "héc"…  Units written with a space ("100 km/h") are understood except one-letter
    ones that are too ambiguous ("5 l").
Roman numerals
    Read only where the context says number: after "Quý", "thế kỷ", "khóa", "Đại hội", "chương",
    "phần", "mục", "khoản", "phụ lục", "đoạn", "kỳ", "giai đoạn"… ("Quý IV" "quý bốn", "thế kỷ XXI"
    "thế kỷ hai mươi mốt"); after "thứ"/"hạng" as an ordinal ("lần thứ IV" "lần thứ tư"); after "số"
    only numerals made of I V X L; after "năm" only year numerals starting with M.  Lower-case
    numerals ("phần ix") only when nothing but punctuation, a capital or another keyword follows
    (so "phần vi phạm", "xi măng" stay words).  Elsewhere a capitalised run of I/V/X of two or more
    letters outside an all-caps headline is a number ("Thế chiến II").  The word "I" or a name is
    never turned into a number.
Phone numbers
    Vietnamese mobile/landline forms (0 + 9–10 digits, "+84 …", "(024) …", spaces, dots or dashes)
    and 1800/1900 numbers are read digit by digit in the groups written (or 4-3-3 when written
    without separators), with a comma between groups so the listener hears the grouping: "0912 345
    678" "không chín một hai, ba bốn năm, sáu bảy tám"; "+84" is "cộng tám bốn".  Short hotlines
    (113, 114, 115, 1022…) are read digit by digit after "gọi", "số", "đường dây nóng", "tổng đài"…
Addresses
    After "số", "ngõ", "ngách", "hẻm", "kiệt", "nhà", "phòng", "lô"… "a/b" is "a trên b" [south: "a
    xẹt b"] ("ngõ 34/5" "ngõ ba mươi tư trên năm"), as is any "a/b/c" without a year; "12A" "mười
    hai a"; "Q.1" "quận một", "P.12" "phường mười hai", "QL.5" "quốc lộ năm".
Abbreviations
    ``data/abbreviations.tsv`` (about 790 rows: abbreviation, reading, category, source kind,
    scope), loaded into ``data.ABBREVIATIONS`` (UBND, HĐND, MTTQ, TP., tp., q., TDP, V/v, KH&CN,
    CNTT, BHYT, BHXH, THPT, VNeID, CCCD, HTX, NĐ-CP, PCCC, CSGT, …), with context rules where an
    abbreviation has two readings (đ/c đồng chí / địa chỉ, TP thành phố / thực phẩm, CT, HS, ĐH,
    ĐT, HCB).  Document numbers "13/2023/NĐ-CP" read "mười ba năm hai nghìn không trăm hai
    mươi ba nghị định chính phủ"; code parts that are ambiguous alone (CP, KH, CT…) are only
    expanded inside such codes (``data.DOC_CODE_PARTS``).
Acronyms
    An unknown all-capital token that is not a possible Vietnamese syllable is spelled with
    Vietnamese letter names (``data.LETTER_NAMES``): "ATM" "a tê mờ", "VTV" "vê tê vê", "GPS" "giê
    pê ét".  Consonants use the short broadcast forms "lờ, mờ, nờ, rờ"; F "ép", J "gi", W "vê kép",
    Z "dét".  All-caps words that are Vietnamese syllables ("TIN", "XIN") stay as they are.
URLs and e-mail
    "http(s)://" is dropped; "." "chấm", "/" "gạch chéo", "-" "gạch ngang", "_" "gạch dưới",
    "@" "a còng"; www "vê kép vê kép vê kép", vn "vê en", gov "gốp"; short unknown labels are
    spelled, longer ones kept; digits one by one.

Ranges, scores, codes (issue 16)
    "từ 30/12-2/1/2027" "từ ngày ba mươi tháng mười hai đến ngày hai tháng một năm …"; "tháng
    11-12/2026"; "thắng 3-0" "thắng ba không"; "4-4-2" "bốn bốn hai"; "7g" "bảy giờ" where a
    time is expected; "1 500 000"; "1,5.10^6" "một phẩy năm nhân mười mũ sáu"; "Đề án 06" "đề án
    không sáu"; "98A-123.45" "chín mươi tám a, một hai ba, bốn năm"; "31/02/2026" is not a date.

Implementation notes
------------------------------------------------------------------------------------------------
``normalizer.py`` holds one compiled regex of token classes tried only where a token can start,
with one handler per class; ``data.py`` the tables; ``numbers.py`` the number readings.  Set
``ngoso.vntext.normalizer.STRICT = True`` (the tests do) to make a handler bug raise instead of
falling back to a plainer reading.
"""

from __future__ import annotations

from .numbers import (
    REGIONS,
    decimal_to_words,
    fraction_to_words,
    month_to_words,
    number_to_words,
    ordinal_to_words,
    read_digits,
    read_integer_string,
    roman_to_int,
)
from .normalizer import clean, normalize, read_number_string, spell
from .explain import RULES, Span, explain

__all__ = [
    "REGIONS",
    "RULES",
    "Span",
    "clean",
    "explain",
    "normalize",
    "number_to_words",
    "read_digits",
    "read_integer_string",
    "read_number_string",
    "decimal_to_words",
    "fraction_to_words",
    "month_to_words",
    "ordinal_to_words",
    "roman_to_int",
    "spell",
]
