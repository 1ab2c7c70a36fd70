"""Hand-checked readings of numbers (ngoso.vntext.numbers), written from the conventions in the
ngoso.vntext docstring (Northern broadcast usage; southern forms where stated)."""

import pytest

from ngoso.vntext import (
    decimal_to_words,
    fraction_to_words,
    month_to_words,
    number_to_words,
    ordinal_to_words,
    read_digits,
    roman_to_int,
)

NORTH = [
    (0, "không"),
    (1, "một"),
    (2, "hai"),
    (4, "bốn"),
    (5, "năm"),
    (7, "bảy"),
    (10, "mười"),
    (11, "mười một"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (19, "mười chín"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (24, "hai mươi tư"),
    (25, "hai mươi lăm"),
    (30, "ba mươi"),
    (31, "ba mươi mốt"),
    (44, "bốn mươi tư"),
    (45, "bốn mươi lăm"),
    (55, "năm mươi lăm"),
    (67, "sáu mươi bảy"),
    (99, "chín mươi chín"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (104, "một trăm linh bốn"),
    (105, "một trăm linh năm"),
    (110, "một trăm mười"),
    (111, "một trăm mười một"),
    (115, "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt"),
    (124, "một trăm hai mươi tư"),
    (200, "hai trăm"),
    (305, "ba trăm linh năm"),
    (999, "chín trăm chín mươi chín"),
    (1000, "một nghìn"),
    (1001, "một nghìn không trăm linh một"),
    (1005, "một nghìn không trăm linh năm"),
    (1010, "một nghìn không trăm mười"),
    (1015, "một nghìn không trăm mười lăm"),
    (1021, "một nghìn không trăm hai mươi mốt"),
    (1100, "một nghìn một trăm"),
    (1234, "một nghìn hai trăm ba mươi tư"),
    (1945, "một nghìn chín trăm bốn mươi lăm"),
    (1975, "một nghìn chín trăm bảy mươi lăm"),
    (2000, "hai nghìn"),
    (2023, "hai nghìn không trăm hai mươi ba"),
    (2024, "hai nghìn không trăm hai mươi tư"),
    (2025, "hai nghìn không trăm hai mươi lăm"),
    (10000, "mười nghìn"),
    (10500, "mười nghìn năm trăm"),
    (15000, "mười lăm nghìn"),
    (21000, "hai mươi mốt nghìn"),
    (100000, "một trăm nghìn"),
    (105000, "một trăm linh năm nghìn"),
    (250000, "hai trăm năm mươi nghìn"),
    (999999, "chín trăm chín mươi chín nghìn chín trăm chín mươi chín"),
    (1000000, "một triệu"),
    (1000001, "một triệu không trăm linh một"),
    (1000010, "một triệu không trăm mười"),
    (1001000, "một triệu không trăm linh một nghìn"),
    (1500000, "một triệu năm trăm nghìn"),
    (2050000, "hai triệu không trăm năm mươi nghìn"),
    (10000000, "mười triệu"),
    (25000000, "hai mươi lăm triệu"),
    (100000000, "một trăm triệu"),
    (1000000000, "một tỷ"),
    (1000000001, "một tỷ không trăm linh một"),
    (2500000000, "hai tỷ năm trăm triệu"),
    (1000000000000, "một nghìn tỷ"),
    (10**15, "một triệu tỷ"),
    (10**18, "một tỷ tỷ"),
    (
        1234567890123,
        "một nghìn hai trăm ba mươi tư tỷ năm trăm sáu mươi bảy triệu tám trăm chín mươi nghìn "
        "một trăm hai mươi ba",
    ),
    (-1, "âm một"),
    (-25, "âm hai mươi lăm"),
    (-1000, "âm một nghìn"),
    (-2024, "âm hai nghìn không trăm hai mươi tư"),
]

SOUTH = [
    (105, "một trăm lẻ năm"),
    (304, "ba trăm lẻ bốn"),
    (1000, "một ngàn"),
    (10000, "mười ngàn"),
    (24, "hai mươi bốn"),
    (44, "bốn mươi bốn"),
    (21, "hai mươi mốt"),
    (15, "mười lăm"),
    (14, "mười bốn"),
    (2024, "hai ngàn không trăm hai mươi bốn"),
    (1005, "một ngàn không trăm lẻ năm"),
    (1000000, "một triệu"),
    (1000000000, "một tỷ"),
    (1500, "một ngàn năm trăm"),
]


@pytest.mark.parametrize("n, words", NORTH)
def test_cardinal_north(n, words):
    assert number_to_words(n) == words


@pytest.mark.parametrize("n, words", SOUTH)
def test_cardinal_south(n, words):
    assert number_to_words(n, region="south") == words


@pytest.mark.parametrize("n", [105, 1024, 2024])
def test_central_uses_northern_readings(n):
    assert number_to_words(n, region="central") == number_to_words(n)


def test_unknown_region_is_a_clear_error():
    with pytest.raises(ValueError):
        number_to_words(5, region="mars")


@pytest.mark.parametrize(
    "digits, words",
    [
        ("0912345678", "không chín một hai ba bốn năm sáu bảy tám"),
        ("113", "một một ba"),
        ("0", "không"),
        ("", ""),
        ("84", "tám bốn"),
        ("1900", "một chín không không"),
        ("0-9", "không chín"),
    ],
)
def test_read_digits(digits, words):
    assert read_digits(digits) == words


@pytest.mark.parametrize(
    "whole, frac, neg, words",
    [
        ("2", "63", False, "hai phẩy sáu mươi ba"),
        ("2", "05", False, "hai phẩy không năm"),
        ("3", "14159", False, "ba phẩy một bốn một năm chín"),
        ("0", "5", False, "không phẩy năm"),
        ("10", "105", False, "mười phẩy một trăm linh năm"),
        ("1", "000", False, "một phẩy không không không"),
        ("7", "10", False, "bảy phẩy mười"),
        ("99", "99", False, "chín mươi chín phẩy chín mươi chín"),
        ("2", "5", True, "âm hai phẩy năm"),
        ("5", "24", False, "năm phẩy hai mươi tư"),
    ],
)
def test_decimal(whole, frac, neg, words):
    assert decimal_to_words(whole, frac, negative=neg) == words


@pytest.mark.parametrize(
    "n, words",
    [(1, "nhất"), (2, "hai"), (3, "ba"), (4, "tư"), (5, "năm"), (10, "mười"), (14, "mười bốn"),
     (21, "hai mươi mốt"), (24, "hai mươi tư"), (100, "một trăm")],
)
def test_ordinal(n, words):
    assert ordinal_to_words(n) == words


@pytest.mark.parametrize("m, words", [(1, "một"), (4, "tư"), (10, "mười"), (11, "mười một"), (12, "mười hai")])
def test_month(m, words):
    assert month_to_words(m) == words


@pytest.mark.parametrize(
    "a, b, words",
    [(1, 2, "một phần hai"), (3, 4, "ba phần tư"), (1, 14, "một phần mười bốn"), (2, 24, "hai phần hai mươi tư")],
)
def test_fraction(a, b, words):
    assert fraction_to_words(a, b) == words


@pytest.mark.parametrize(
    "s, value",
    [
        ("I", 1), ("IV", 4), ("IX", 9), ("XIII", 13), ("XIV", 14), ("XL", 40), ("XC", 90), ("CD", 400),
        ("CM", 900), ("MCMXCIX", 1999), ("MMXXVI", 2026), ("xxi", 21),
        ("IIII", None), ("VV", None), ("IC", None), ("", None), ("ABC", None),
    ],
)
def test_roman(s, value):
    assert roman_to_int(s) == value
