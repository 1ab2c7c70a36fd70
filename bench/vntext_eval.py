"""Score ngoso.vntext.normalize against NVIDIA NeMo's Vietnamese text-normalisation test cases.

    .venv/bin/python bench/vntext_eval.py [--tsv PATH] [--show-failures] [--region north]

The TSV (input, expected, category, source) lives outside the repository, by default at
../shared/eval/vi_tn/nemo_vi_tn.tsv relative to the repository root; it is read at run time and
never copied.  Nothing in this file is derived from its answers: the comparison only knows the
*conventions* on which NeMo and we differ, listed in EQUIVALENCES below.

Two scores are printed per category:
  strict  equal after lower-casing and removing punctuation/extra whitespace;
  equiv   equal after also applying the documented convention equivalences to both sides.
For the cases that only pass with equivalences, the script reports which equivalences were needed
(an equivalence is "needed" when switching it off alone makes the case fail).

If the optional package ``vinorm`` is importable (it is NOT a dependency; see docs/vntext.md),
``--vinorm`` scores it on the same cases and compares throughput.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from ngoso.vntext import normalize  # noqa: E402

DEFAULT_TSV = REPO.parent / "shared" / "eval" / "vi_tn" / "nemo_vi_tn.tsv"

# ------------------------------------------------------------------------------------------------
# Equivalences: each is a documented convention difference between NeMo and ngoso.vntext.
EQUIVALENCES = {
    "khong_tram": "zero hundreds: 'hai nghìn không trăm hai mươi tư' == 'hai nghìn hai mươi tư' "
                  "('không trăm' after nghìn/triệu/tỷ is optional, and so is the 'linh' of an inner "
                  "group: 'một triệu không trăm linh một nghìn' == 'một triệu một nghìn')",
    "tu_bon": "'tư' == 'bốn' as the unit digit after 'mươi'/'linh' (NeMo reads a date's day with 'bốn')",
    "decimal": "digits after 'phẩy' compared as a digit string: grouped 'sáu mươi ba' == 'sáu ba'",
    "ngay": "optional 'ngày' before a day number",
    "phut": "optional 'phút' after clock minutes, and optional 'không phút' between hours and seconds",
    "letters": "a Latin acronym or single letter left as written (NeMo: 'GMT', 'độ c') == its spelling "
               "with Vietnamese letter names ('giê mờ tê', 'độ xê')",
    "loanword": "transliteration variants of unit names: 'hẹc' == 'héc', 'terabyte' == 'tê ra bai', "
                "'rupee' == 'ru pi'",
    "spelling": "orthographic variants 'tỉ' == 'tỷ', 'kỉ' == 'kỷ', 'lẻ' == 'linh', 'ngàn' == 'nghìn'",
    "per_price": "price per unit: 'đồng một ki lô gam' == 'đồng trên ki lô gam' (after a currency word)",
}

# Vietnamese letter names, our documented convention for acronyms (see ngoso.vntext docstring).
_LETTERS = {
    "a": "a", "b": "bê", "c": "xê", "d": "dê", "đ": "đê", "e": "e", "f": "ép", "g": "giê", "h": "hát",
    "i": "i", "j": "gi", "k": "ca", "l": "lờ", "m": "mờ", "n": "nờ", "o": "o", "p": "pê", "q": "quy",
    "r": "rờ", "s": "ét", "t": "tê", "u": "u", "v": "vê", "w": "vê kép", "x": "ích", "y": "i dài",
    "z": "dét",
}
_DIGIT = {"không": 0, "một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "tám": 8,
          "chín": 9}
_NUMBER_WORDS = set(_DIGIT) | {"mười", "mươi", "trăm", "linh", "lẻ", "mốt", "tư", "lăm"}
_SCALES = {"nghìn", "ngàn", "triệu", "tỷ", "tỉ"}
_CURRENCY_END = {"đồng", "la", "rô", "anh", "nhật", "pi", "tệ"}
_PUNCT = re.compile(r"[.,;:!?\"'()\[\]\-–—/]+")


def _spell_caps(text: str) -> str:
    def repl(m: re.Match) -> str:
        return " ".join(_LETTERS[c] for c in m.group().lower())

    text = re.sub(r"(?<![\w])[A-Z]{2,}(?![\w])", repl, text)
    return re.sub(r"(?<![\w])[A-Za-z](?![\w])", repl, text)


def _small_number(tokens: list[str]) -> int | None:
    """Value of a reading below 1000 ('hai trăm linh năm', 'sáu mươi ba', 'mười lăm')."""
    value, i = 0, 0
    unit = {**_DIGIT, "mốt": 1, "tư": 4, "lăm": 5}
    if len(tokens) >= 2 and tokens[1] == "trăm" and tokens[0] in _DIGIT:
        value, i = _DIGIT[tokens[0]] * 100, 2
    rest = tokens[i:]
    if not rest:
        return value
    if rest[0] in ("linh", "lẻ") and len(rest) == 2 and rest[1] in _DIGIT:
        return value + _DIGIT[rest[1]]
    if rest[0] == "mười":
        return value + 10 + (unit[rest[1]] if len(rest) == 2 and rest[1] in unit else 0) if len(rest) <= 2 else None
    if len(rest) >= 2 and rest[0] in _DIGIT and rest[1] == "mươi":
        tail = rest[2:]
        if len(tail) > 1 or (tail and tail[0] not in unit):
            return None
        return value + _DIGIT[rest[0]] * 10 + (unit[tail[0]] if tail else 0)
    if len(rest) == 1 and rest[0] in _DIGIT:
        return value + _DIGIT[rest[0]]
    return None


def canon(text: str, enabled: frozenset[str]) -> list[str]:
    text = unicodedata.normalize("NFC", text).strip()
    if "letters" in enabled:
        text = _spell_caps(text)
    tokens = _PUNCT.sub(" ", text.lower()).split()
    if "loanword" in enabled:
        out = []
        for t in tokens:
            out += {"hẹc": ["héc"], "terabyte": ["tê", "ra", "bai"], "rupee": ["ru", "pi"]}.get(t, [t])
        tokens = out
    if "spelling" in enabled:
        tokens = [{"tỉ": "tỷ", "kỉ": "kỷ", "lẻ": "linh", "ngàn": "nghìn"}.get(t, t) for t in tokens]
    out: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        prev = out[-1] if out else ""
        if "khong_tram" in enabled and t == "không" and nxt == "trăm" and prev in _SCALES:
            # ... triệu [không trăm] [linh] một nghìn ...: the zero hundreds of an inner group
            after = tokens[i + 2:i + 5]
            if len(after) == 3 and after[0] in ("linh", "lẻ") and after[1] in _DIGIT and after[2] in _SCALES:
                i += 1
            i += 2
            continue
        if "tu_bon" in enabled and t == "tư" and prev in ("mươi", "linh", "lẻ"):
            t = "bốn"
        if "ngay" in enabled and t == "ngày" and nxt in _NUMBER_WORDS:
            i += 1
            continue
        if "phut" in enabled and t == "không" and nxt == "phút" and prev == "giờ":
            i += 2
            continue
        if "phut" in enabled and t == "phút" and prev in _NUMBER_WORDS and "giờ" in out[-5:]:
            i += 1
            continue
        if "per_price" in enabled and t == "một" and prev in _CURRENCY_END:
            t = "trên"
        if "decimal" in enabled and t == "phẩy":
            j = i + 1
            while j < len(tokens) and tokens[j] in _NUMBER_WORDS:
                j += 1
            run = tokens[i + 1:j]
            if run and all(w in _DIGIT for w in run):
                digits = "".join(str(_DIGIT[w]) for w in run)
            else:
                value = _small_number(run)
                digits = str(value) if value is not None else " ".join(run)
            out += ["phẩy", f"<{digits}>"]
            i = j
            continue
        out.append(t)
        i += 1
    return out


ALL = frozenset(EQUIVALENCES)


def load(tsv: Path) -> list[tuple[str, str, str]]:
    with tsv.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if [h.lower() for h in header[:3]] != ["input", "expected", "category"]:
            raise SystemExit(f"unexpected header in {tsv}: {header}")
        return [(r[0], r[1], r[2]) for r in reader if len(r) >= 3]


def tally(rows, outputs: list[str]) -> tuple[dict[str, Counter], Counter, list]:
    """Compare ``outputs`` (one per row) with the expected readings.

    Returns per-category counters (n, strict, equiv), how often each equivalence was needed, and
    the failures as (category, input, expected, output).  Used by score() and bench/vntext_vinorm.py.
    """
    per_cat: dict[str, Counter] = defaultdict(Counter)
    needed: Counter = Counter()
    failures = []
    for (inp, exp, cat), ours in zip(rows, outputs, strict=True):
        c = per_cat[cat]
        c["n"] += 1
        strict = canon(ours, frozenset()) == canon(exp, frozenset())
        equiv = canon(ours, ALL) == canon(exp, ALL)
        c["strict"] += strict
        c["equiv"] += equiv
        if equiv and not strict:
            for name in EQUIVALENCES:
                if canon(ours, ALL - {name}) != canon(exp, ALL - {name}):
                    needed[name] += 1
        if not equiv:
            failures.append((cat, inp, exp, ours))
    return per_cat, needed, failures


def score(rows, fn, label: str, show_failures: bool) -> dict:
    started = time.perf_counter()
    outputs = [fn(inp) for inp, _, _ in rows]
    elapsed = time.perf_counter() - started
    per_cat, needed, failures = tally(rows, outputs)
    total = Counter()
    for c in per_cat.values():
        total.update(c)
    print(f"\n== {label}: {len(rows)} cases, {elapsed * 1000:.1f} ms "
          f"({len(rows) / elapsed:,.0f} cases/s) ==")
    print(f"{'category':<10} {'n':>4} {'strict':>8} {'equiv':>8}")
    for cat in sorted(per_cat):
        c = per_cat[cat]
        print(f"{cat:<10} {c['n']:>4} {100 * c['strict'] / c['n']:>7.1f}% {100 * c['equiv'] / c['n']:>7.1f}%")
    print(f"{'overall':<10} {total['n']:>4} {100 * total['strict'] / total['n']:>7.1f}% "
          f"{100 * total['equiv'] / total['n']:>7.1f}%")
    if needed:
        print("equivalences needed (cases that fail without that one alone):")
        for name, count in needed.most_common():
            print(f"  {name:<11} {count:>4}  {EQUIVALENCES[name]}")
    if show_failures and failures:
        print(f"\nfailures ({len(failures)}):")
        for cat, inp, exp, ours in failures:
            print(f"[{cat}] {inp!r}\n    NeMo: {exp}\n    ours: {ours}")
    return {"total": total, "per_cat": per_cat, "elapsed": elapsed}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tsv", type=Path, default=DEFAULT_TSV, help=f"default: {DEFAULT_TSV}")
    ap.add_argument("--show-failures", action="store_true")
    ap.add_argument("--region", default="north")
    ap.add_argument("--vinorm", action="store_true", help="also score vinorm if it is importable")
    args = ap.parse_args(argv)
    if not args.tsv.exists():
        print(f"TSV not found: {args.tsv} (pass --tsv PATH)", file=sys.stderr)
        return 2
    rows = load(args.tsv)
    print("Equivalences applied in the 'equiv' column:")
    for name, text in EQUIVALENCES.items():
        print(f"  {name:<11} {text}")
    result = score(rows, lambda s: normalize(s, region=args.region), "ngoso.vntext", args.show_failures)
    if args.vinorm:
        try:
            from vinorm import TTSnorm  # type: ignore[import-not-found]
        except ImportError:
            print("\nvinorm is not importable here: side-by-side skipped "
                  "(it is optional; install it in a separate venv to compare).")
        else:
            def quiet_vinorm(s: str) -> str:
                # vinorm's binary prints debugging lines on stdout/stderr: silence them
                sys.stdout.flush()
                saved = os.dup(1), os.dup(2)
                devnull = os.open(os.devnull, os.O_WRONLY)
                try:
                    os.dup2(devnull, 1)
                    os.dup2(devnull, 2)
                    return TTSnorm(s, unknown=False, lower=True, rule=False)
                finally:
                    os.dup2(saved[0], 1)
                    os.dup2(saved[1], 2)
                    for fd in (devnull, *saved):
                        os.close(fd)

            score(rows, quiet_vinorm, "vinorm", args.show_failures)
    total = result["total"]
    return 0 if total["equiv"] / total["n"] >= 0.95 else 1


if __name__ == "__main__":
    raise SystemExit(main())
