"""ngoso.vntext.explain: every changed span, in order, with its rule; joining the kept text and
the spoken parts gives exactly normalize(text).  Local abbreviations win over the dictionary."""

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ngoso.vntext import RULES, Span, explain, normalize


pytestmark = pytest.mark.usefixtures("strict_handlers")  # tests/vntext/conftest.py


def rebuild(text: str, spans: list[Span]) -> str:
    out, pos = [], 0
    for s in spans:
        assert s.start >= pos, (text, spans)
        assert s.end >= s.start
        assert text[s.start:s.end] == s.source
        out.append(text[pos:s.start])
        out.append(s.spoken)
        pos = s.end
    out.append(text[pos:])
    return "".join(out)


def test_span_is_a_frozen_dataclass():
    span = explain("UBND xã")[0]
    assert dataclasses.is_dataclass(span)
    with pytest.raises(dataclasses.FrozenInstanceError):
        span.start = 3  # type: ignore[misc]
    assert [f.name for f in dataclasses.fields(Span)] == ["start", "end", "source", "spoken", "rule", "note"]


def test_explain_abbreviation_and_time():
    text = "UBND xã họp lúc 7h30."
    spans = explain(text)
    assert [(s.start, s.end, s.source, s.spoken, s.rule) for s in spans] == [
        (0, 4, "UBND", "ủy ban nhân dân", "abbreviation"),
        (16, 20, "7h30", "bảy giờ ba mươi", "time"),
    ]
    assert spans[0].note == "viết tắt: UBND → ủy ban nhân dân"
    assert rebuild(text, spans) == normalize(text)


def test_range_is_one_span():
    spans = explain("tăng 10-15%")
    assert [(s.source, s.spoken, s.rule) for s in spans] == [
        ("10-15%", "mười đến mười lăm phần trăm", "range")
    ]


@pytest.mark.parametrize(
    "text,rule",
    [
        ("ngày 28/11/2026", "date"),
        ("gọi 0912 345 678", "phone"),
        ("xem dichvucong.gov.vn", "url"),
        ("giá 5€", "currency"),
        ("dài 5km", "unit"),
        ("thế kỷ XXI", "roman"),
        ("rút tiền ở ATM", "acronym"),
        ("có 125 hộ", "number"),
    ],
)
def test_rules(text, rule):
    spans = explain(text)
    assert spans and spans[-1].rule == rule, spans
    assert rule in RULES


def test_unknown_capitals_are_flagged():
    spans = explain("Đoàn XKQZ về thôn")
    assert [(s.source, s.rule) for s in spans] == [("XKQZ", "unknown_acronym")]


def test_offsets_are_in_the_original_text():
    # decomposed accents (NFD, as pasted from some systems) and a NUL before the number
    text = "Ngày he\u0302\u0301t ha\u0323n\x0012 giờ"
    spans = explain(text)
    assert rebuild(text, spans) == normalize(text)
    assert any(s.source == "\x00" and s.rule == "clean" for s in spans)
    assert any(s.source == "12" and s.spoken == "mười hai" for s in spans)


def test_local_abbreviations_win_over_the_dictionary():
    local = {"UBND": "ủy ban", "HTXNN": "hợp tác xã nông nghiệp", "TDP": "tổ dân phố"}
    text = "UBND và HTXNN Thành Công, TDP 3"
    assert normalize(text, abbreviations=local) == "ủy ban và hợp tác xã nông nghiệp Thành Công, tổ dân phố ba"
    spans = explain(text, abbreviations=local)
    assert [(s.source, s.rule) for s in spans][:2] == [("UBND", "local_abbreviation"), ("HTXNN", "local_abbreviation")]
    # case-sensitive, whole tokens only
    assert normalize("kpx và KPXY", abbreviations={"KPX": "khu phố Xanh"}) == "kpx và ca pê ích i dài"
    # without the parameter nothing changes
    assert normalize("UBND") == "ủy ban nhân dân"


def test_explain_has_no_django_import():
    import subprocess
    import sys

    code = "import sys, ngoso.vntext; ngoso.vntext.explain('UBND 7h'); print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


VI = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữự"
PIECES = [
    "UBND", "TP.", "tp.", "đ/c", "V/v", "7h30", "10-15%", "28/11/2026", " - ", "–", "x", "3", "12", "0912 345 678",
    "+84", "km", "m²", "€", "IV", "ABCD", "QĐ-UBND", "số 12/2025/NĐ-CP", "dichvucong.gov.vn", "a@b.vn",
    "  ", " ", "\n", "\n\n", ",", ".", " .", "\x00", "\x07", "\ud800", "\u00ad", "\ufeff", "e\u0301", "½", "１２",
    "\r\n", "\t", "\u2028", "-5", "1.500.000đ", "ﬁ", "Ⅻ",
]
text_st = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(alphabet=VI + " 0123456789.,-/:%", max_size=8), st.text(max_size=4)),
    max_size=12,
).map("".join)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_st, st.sampled_from(["north", "south"]))
def test_spans_rebuild_normalize_exactly(text, region):
    spans = explain(text, region=region)
    assert rebuild(text, spans) == normalize(text, region=region)
    for s in spans:
        assert s.rule in RULES and s.note


@settings(max_examples=300, deadline=None)
@given(text_st, st.dictionaries(st.sampled_from(["UBND", "TDP", "tp.", "XYZ", "ấp"]), st.sampled_from(["ủy ban", "tổ dân phố", "", "x\x00y"]), max_size=3))
def test_spans_rebuild_normalize_with_local_abbreviations(text, local):
    spans = explain(text, abbreviations=local)
    assert rebuild(text, spans) == normalize(text, abbreviations=local)
