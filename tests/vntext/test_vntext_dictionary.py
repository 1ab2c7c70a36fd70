"""The abbreviation dictionary (vntext/data/abbreviations.tsv): size, well-formed rows, every
whole-word entry read as its reading in running text, and the context rules for abbreviations
with two readings."""

import pytest

from ngoso.vntext import data, explain, normalize

CATEGORIES = {
    "administrative", "party", "organisation", "document", "military/security", "education", "health",
    "address", "unit", "role", "economy", "agriculture", "technology", "transport", "social", "legal",
    "media", "international", "general",
}


pytestmark = pytest.mark.usefixtures("strict_handlers")  # tests/vntext/conftest.py


def test_dictionary_size_and_rows():
    rows = data.ABBREVIATION_ROWS
    assert len(rows) >= 400
    for row in rows:
        assert row.category in CATEGORIES, row
        assert row.source in {"official", "press", "spelled", "foreign"}, row
        assert row.reading == row.reading.strip() and "  " not in row.reading, row
    keys = [(r.abbreviation, r.scope) for r in rows if r.scope != "alt"]
    assert len(keys) == len(set(keys)), "duplicate abbreviation"
    assert len(data.ABBREVIATIONS) >= 400


def test_malformed_row_is_reported_with_its_line(tmp_path):
    bad = tmp_path / "a.tsv"
    bad.write_text("abbreviation\treading\tcategory\tsource\tscope\nUBND\tủy ban\tadministrative\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"a\.tsv:2"):
        data.load_abbreviations(bad)


WORD_ROWS = [r for r in data.ABBREVIATION_ROWS if r.scope == "word" and r.abbreviation not in data.CONTEXT_KEYS
             and data.ABBREVIATIONS[r.abbreviation] == r.reading]


@pytest.mark.parametrize("row", WORD_ROWS, ids=[r.abbreviation for r in WORD_ROWS])
def test_every_word_entry_is_read(row):
    key = row.abbreviation
    follower = "Hà Nam" if key in data.DOTTED_ADDRESS_KEYS else "mới"
    text = f"Tin {key} {follower}"
    out = normalize(text)
    assert out == f"Tin {row.reading} {follower}", (text, out)


@pytest.mark.parametrize(
    "written, spoken",
    [
        ("đ/c Nguyễn Văn An phát biểu", "đồng chí Nguyễn Văn An phát biểu"),
        ("Đ/c Bí thư Đảng ủy", "đồng chí Bí thư Đảng ủy"),
        ("đ/c: số 5 ngõ 12", "địa chỉ: số năm ngõ mười hai"),
        ("Đ/c thôn Đông, xã Yên Phú", "địa chỉ thôn Đông, xã Yên Phú"),
        ("V/v tổ chức họp dân", "về việc tổ chức họp dân"),
        ("bảo đảm an toàn vệ sinh TP dịp Tết", "bảo đảm an toàn vệ sinh thực phẩm dịp Tết"),
        ("ATVS TP", "an toàn vệ sinh thực phẩm"),
        ("kiểm tra TP chức năng", "kiểm tra thực phẩm chức năng"),
        ("về TP Huế", "về thành phố Huế"),
        ("TP. Hồ Chí Minh", "thành phố Hồ Chí Minh"),
        ("CT UBND xã ký", "chủ tịch ủy ban nhân dân xã ký"),
        ("CT TNHH Minh Phát", "công ty trách nhiệm hữu hạn Minh Phát"),
        ("nộp HS tại bộ phận một cửa", "nộp hồ sơ tại bộ phận một cửa"),
        ("HS lớp 9", "học sinh lớp chín"),
        ("tp. Huế", "thành phố Huế"),
        ("q.3, p.7", "quận ba, phường bảy"),
        ("P. Hàng Bạc, Q. Hoàn Kiếm", "phường Hàng Bạc, quận Hoàn Kiếm"),
        ("tx. Sơn Tây, tt. Phùng", "thị xã Sơn Tây, thị trấn Phùng"),
        ("h. Gia Lâm, x. Yên Viên", "huyện Gia Lâm, xã Yên Viên"),
        ("kp. 3, tdp 5, ấp Bình An", "khu phố ba, tổ dân phố năm, ấp Bình An"),
        ("nhân x.", "nhân x."),
        ("TU chỉ đạo", "tỉnh ủy chỉ đạo"),
        ("TU BỔ ĐÊ ĐIỀU", "TU BỔ ĐÊ ĐIỀU"),
        ("Công văn số 12/UBND-VP", "Công văn số mười hai ủy ban nhân dân văn phòng"),
        ("TL. CHỦ TỊCH", "thừa lệnh CHỦ TỊCH"),
        ("KT. CHỦ TỊCH", "ký thay CHỦ TỊCH"),
        ("Q. CHỦ TỊCH", "quyền CHỦ TỊCH"),
        ("TL.15", "tỉnh lộ mười lăm"),
        ("Q. Hoàn Kiếm", "quận Hoàn Kiếm"),
        ("ĐT Việt Nam thắng 2-1", "đội tuyển Việt Nam thắng hai một"),
        ("ĐT: 0912 345 678", "điện thoại: không chín một hai, ba bốn năm, sáu bảy tám"),
        ("Đại hội ĐH Đảng bộ", "Đại hội đại hội Đảng bộ"),
        ("ĐH Quốc gia", "đại học Quốc gia"),
        ("giành 2 HCV, 3 HCB", "giành hai huy chương vàng, ba huy chương bạc"),
        ("HCB xã họp", "hội cựu chiến binh xã họp"),
        ("ngộ độc do TP bẩn", "ngộ độc do thực phẩm bẩn"),
    ],
)
def test_context_rules(written, spoken):
    assert normalize(written) == spoken


def test_context_rule_is_explained():
    spans = explain("đ/c: thôn Đông")
    assert (spans[0].source, spans[0].spoken, spans[0].rule) == ("đ/c", "địa chỉ", "abbreviation")
