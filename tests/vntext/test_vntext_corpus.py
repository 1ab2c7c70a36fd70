"""Score ``ngoso.vntext.normalize`` on the hand-written test set in ``tests/vntext/data/*.tsv``.

Each data row is ``input<TAB>expected<TAB>category<TAB>style`` (see ``tests/vntext/README.md``).  The
expected readings were written by hand from the conventions in ``docs/vntext.md`` (Northern
broadcast usage), not produced by the normaliser, so many of them are not reached yet: this test
does not require every case to pass.  It checks the data's format and asserts, per category, a
floor that today's normaliser reaches, so a change that makes any category worse fails.  Whoever
improves the normaliser raises the floors in ``FLOORS`` below (they are fractions of the cases in
that category that read as expected).

Run ``pytest tests/vntext/test_vntext_corpus.py -s`` to see the per-category table (it is also
shown in pytest's warnings summary); set ``VNTEXT_CORPUS_FAILURES=1`` (or a category name, or a
comma-separated list of them) to print every case that differs.
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from ngoso.vntext import normalize

DATA_DIR = Path(__file__).parent / "data"
HEADER = ["input", "expected", "category", "style"]

# Minimum fraction of cases per category that must read as expected.  Measured on branch
# vntext-cases (2026-12-04) with the normaliser of that day, rounded down to a whole percent (the
# comment is passed/cases then); raise them as the normaliser improves, never lower them without
# a written reason.
FLOORS: dict[str, float] = {
    "abbreviation": 0.05,  # 4/79
    "abbreviation_context": 0.33,  # 14/42
    "cardinal": 0.97,  # 41/42
    "currency": 0.76,  # 32/42
    "date": 0.97,  # 41/42
    "date_range": 0.42,  # 22/52
    "decimal": 0.95,  # 40/42
    "document_number": 0.66,  # 33/50
    "duration": 0.92,  # 39/42
    "email": 0.54,  # 23/42
    "fraction": 0.83,  # 35/42
    "house_number": 0.97,  # 41/42
    "invalid_date": 0.21,  # 9/42
    "invalid_time": 1.00,  # 42/42
    "leading_zero": 0.04,  # 2/43
    "licence_plate": 0.00,  # 0/42
    "measure": 0.92,  # 39/42
    "money": 0.92,  # 39/42
    "month_year": 0.97,  # 41/42
    "number_mixed": 0.64,  # 27/42
    "number_spaces": 0.00,  # 0/42
    "ordinal": 0.97,  # 41/42
    "percent_range": 0.97,  # 41/42
    "permille": 1.00,  # 42/42
    "phone": 0.92,  # 39/42
    "postcode": 0.07,  # 3/42
    "roman": 0.97,  # 41/42
    "scientific": 0.00,  # 0/42
    "score": 0.35,  # 15/42
    "sign": 0.58,  # 25/43
    "time": 1.00,  # 42/42
    "time_colloquial": 0.81,  # 35/43
    "unit_after_multiplier": 0.19,  # 8/42
    "unit_power": 0.88,  # 38/43
    "url_known": 0.07,  # 3/42
    "url_other": 0.88,  # 37/42
}
CATEGORIES = frozenset(FLOORS)
MIN_CASES = 1500
MIN_PER_CATEGORY = 40

# Old and new tone placement spell the same syllable ("hoà"/"hòa", "uỷ"/"ủy"): compare them as equal.
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_OLD_STYLE = re.compile(rf"([oO])([aAeE])([{_TONE_MARKS}])(?![\u0300-\u036f\w])|(?<![qQ])([uU])([yY])([{_TONE_MARKS}])(?![\u0300-\u036f\w])")
_NOT_WORD = re.compile(r"[\W_]+")


def canonical(text: str) -> str:
    """The form two readings are compared in: case, whitespace, punctuation and tone placement ignored."""
    text = unicodedata.normalize("NFD", text)
    text = _OLD_STYLE.sub(
        lambda m: (m.group(1) + m.group(3) + m.group(2)) if m.group(1) else (m.group(4) + m.group(6) + m.group(5)),
        text,
    )
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def load_cases() -> list[dict]:
    """Every row of every data file, with its file name and line number."""
    cases = []
    for path in sorted(DATA_DIR.glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as handle:
            lines = handle.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for number, line in enumerate(lines, 1):
            fields = line.split("\t")
            cases.append({"file": path.name, "line": number, "fields": fields})
    return cases


CASES = load_cases()
ROWS = [c for c in CASES if c["line"] > 1]


def _where(case: dict) -> str:
    return f"{case['file']}:{case['line']}"


def test_files_have_the_header():
    files = sorted(DATA_DIR.glob("*.tsv"))
    assert files, f"no data files in {DATA_DIR}"
    for case in CASES:
        if case["line"] == 1:
            assert case["fields"] == HEADER, f"{_where(case)}: header must be {HEADER}"


def test_rows_are_well_formed():
    problems = []
    for case in ROWS:
        fields = case["fields"]
        if len(fields) != 4:
            problems.append(f"{_where(case)}: {len(fields)} columns instead of 4")
            continue
        written, expected, category, style = fields
        if not written.strip() or not expected.strip() or not style.strip():
            problems.append(f"{_where(case)}: empty column")
        if category not in CATEGORIES:
            problems.append(f"{_where(case)}: unknown category {category!r}")
        if re.search(r"[0-9]", expected):
            problems.append(f"{_where(case)}: ASCII digit in the expected reading {expected!r}")
        for value in fields:
            if value != value.strip() or unicodedata.normalize("NFC", value) != value:
                problems.append(f"{_where(case)}: stray whitespace or a non-NFC string in {value!r}")
    assert not problems, "\n".join(problems)


def test_no_duplicate_inputs():
    seen: dict[str, str] = {}
    duplicates = []
    for case in ROWS:
        written = case["fields"][0]
        if written in seen:
            duplicates.append(f"{_where(case)}: {written!r} already at {seen[written]}")
        seen.setdefault(written, _where(case))
    assert not duplicates, "\n".join(duplicates)


def test_size_and_balance():
    counts = Counter(case["fields"][2] for case in ROWS if len(case["fields"]) == 4)
    assert sum(counts.values()) >= MIN_CASES
    thin = {category: counts[category] for category in CATEGORIES if counts[category] < MIN_PER_CATEGORY}
    assert not thin, f"categories with fewer than {MIN_PER_CATEGORY} cases: {thin}"


def _read(written: str) -> str:
    try:
        return normalize(written)
    except Exception as exc:  # a crash is scored as a wrong reading, and shown
        return f"<{type(exc).__name__}: {exc}>"


def score() -> tuple[dict[str, tuple[int, int]], list[tuple[str, dict, str]]]:
    """Per category (passed, total), and the failing cases with what the normaliser said."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for case in ROWS:
        written, expected, category, _style = case["fields"]
        got = _read(written)
        totals[category][1] += 1
        if canonical(got) == canonical(expected):
            totals[category][0] += 1
        else:
            failures.append((category, case, got))
    return {c: (p, n) for c, (p, n) in sorted(totals.items())}, failures


def table(results: dict[str, tuple[int, int]]) -> str:
    lines = [f"{'category':<24}{'passed':>8}{'cases':>7}{'score':>9}{'floor':>8}"]
    for category, (passed, total) in results.items():
        lines.append(
            f"{category:<24}{passed:>8}{total:>7}{passed / total:>9.1%}{FLOORS.get(category, 0.0):>8.0%}"
        )
    passed = sum(p for p, _ in results.values())
    total = sum(n for _, n in results.values())
    lines.append(f"{'overall':<24}{passed:>8}{total:>7}{passed / max(total, 1):>9.1%}")
    return "\n".join(lines)


def test_scores_do_not_fall_below_the_floors():
    results, failures = score()
    report = table(results)
    print("\nngoso.vntext.normalize on tests/vntext/data (hand-written cases)\n" + report)
    # A built-in category on purpose: pytest-xdist must be able to rebuild the warning in the
    # controller process, which cannot import a class defined in this test module.
    warnings.warn(UserWarning("vntext corpus scores\n" + report))

    wanted = os.environ.get("VNTEXT_CORPUS_FAILURES", "")
    if wanted:
        categories = None if wanted == "1" else set(wanted.split(","))
        for category, case, got in failures:
            if categories is None or category in categories:
                written, expected = case["fields"][:2]
                print(f"\n[{category}] {_where(case)}\n  input:    {written}\n  expected: {expected}\n  got:      {got}")

    below = {
        category: f"{passed}/{total} = {passed / total:.1%} < {FLOORS[category]:.0%}"
        for category, (passed, total) in results.items()
        if passed / total < FLOORS.get(category, 0.0)
    }
    assert not below, f"categories below their floor: {below}\n{report}"


@pytest.mark.parametrize(
    "reading, same",
    [
        ("Hoà bình, uỷ ban.", "hòa bình ủy ban"),
        ("  ngày  một,\ttháng hai ", "ngày một tháng hai"),
        ("kinh tế - xã hội", "kinh tế xã hội"),
    ],
)
def test_comparison_ignores_case_spacing_punctuation_and_tone_placement(reading, same):
    assert canonical(reading) == canonical(same)


@pytest.mark.parametrize(
    "reading, different",
    [
        ("hai mươi tư", "hai mươi bốn"),
        ("một trăm linh năm", "một trăm lẻ năm"),
        ("hoà", "hoá"),
        ("ba không", "ba đến không"),
    ],
)
def test_comparison_still_tells_readings_apart(reading, different):
    assert canonical(reading) != canonical(different)
