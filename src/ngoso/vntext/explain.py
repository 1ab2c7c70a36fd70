"""The explaining API: which spans of a text ``normalize`` changed, how, and by which rule.

    >>> from ngoso.vntext import explain
    >>> [(s.source, s.spoken, s.rule) for s in explain("UBND xã họp lúc 7h30.")]
    [('UBND', 'ủy ban nhân dân', 'abbreviation'), ('7h30', 'bảy giờ ba mươi', 'time')]

Every changed span of the input is reported once, in order; ``start``/``end`` are offsets in the
ORIGINAL text (before Unicode normalisation and cleaning), and joining the unchanged text with the
``spoken`` parts gives exactly ``normalize(text)`` (the tests check this with Hypothesis).  Rules
are stable machine ids (see ``RULES``); ``note`` is a short Vietnamese explanation for the editor.
Pure Python, no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import normalizer as _n

__all__ = ["Span", "explain", "RULES"]


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    source: str
    spoken: str
    rule: str
    note: str


#: rule id -> Vietnamese label used in ``Span.note``.
RULES: dict[str, str] = {
    "abbreviation": "viết tắt",
    "local_abbreviation": "viết tắt địa phương",
    "acronym": "đánh vần chữ viết tắt",
    "unknown_acronym": "chữ in hoa chưa có trong từ điển, đánh vần từng chữ",
    "date": "ngày tháng",
    "time": "giờ, phút, giây",
    "range": "khoảng: đọc “đến”",
    "score": "tỷ số",
    "number": "số",
    "digits": "đọc từng chữ số",
    "fraction": "phân số",
    "address": "số nhà, số hiệu",
    "phone": "số điện thoại",
    "document": "số hiệu văn bản",
    "url": "địa chỉ web",
    "email": "thư điện tử",
    "currency": "tiền tệ",
    "unit": "đơn vị đo",
    "roman": "số La Mã",
    "code": "mã chữ và số",
    "licence_plate": "biển số xe",
    "symbol": "ký hiệu",
    "operator": "phép tính",
    "sign": "dấu âm",
    "hyphen": "gạch nối đọc thành khoảng lặng ngắn",
    "clean": "ký tự điều khiển hoặc ký tự lỗi đã bỏ",
    "unicode": "chuẩn hóa Unicode",
    "space": "khoảng trắng",
    "word": "từ",
}

# handler kinds (normalizer internals) -> rule ids
_KIND_RULE = {
    "email": "email", "url": "url", "phone": "phone", "hotline": "phone",
    "date3": "date", "date2": "date", "my": "date", "mys": "date", "date": "date",
    "doc": "document", "document": "document",
    "hms": "time", "hm": "time", "ps": "time", "dur": "time", "time": "time",
    "mixed": "fraction", "fracunit": "fraction", "slashnum": "fraction",
    "slash": "address",
    "moneypre": "currency", "slang": "currency", "money": "currency", "currency": "currency",
    "measure": "unit", "unit": "unit",
    "num": "number", "number": "number", "digits": "digits",
    "abbr": "abbreviation", "abbreviation": "abbreviation", "local": "local_abbreviation",
    "acronym": "acronym", "unknown_acronym": "unknown_acronym",
    "roman": "roman", "alnum": "code", "symbol": "symbol", "score": "score",
    "sci": "number", "plate": "licence_plate", "daterange": "date", "gio": "time", "pdoc": "document",
    "range": "range", "operator": "operator", "sign": "sign", "hyphen": "hyphen",
    "year": "year", "clean": "clean", "unicode": "unicode", "space": "space", "word": "word",
}

_CONNECTORS = frozenset({"range", "operator", "sign", "year"})
_SPACE_RUN = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")
_SPACE_SPLIT = re.compile(r"([ \t\u00a0\u2000-\u200b\u202f\u3000]+)")


def _note(rule: str, source: str, spoken: str) -> str:
    label = RULES.get(rule, rule)
    src = " ".join(source.split()) or repr(source)
    said = " ".join(spoken.split()) or "(bỏ / removed)"
    return f"{label}: {src} → {said}"


def _to_original(text: str, prepared: str, clusters, changes) -> list[list]:
    """Items ``[start, end, spoken, rule]`` covering ``text`` (the original) completely; items
    with ``rule is None`` are kept as written."""
    if clusters is None:
        items: list[list] = []
        pos = 0
        for a, b, spoken, kind in changes:
            if a > pos:
                items.append([pos, a, text[pos:a], None])
            items.append([a, b, spoken, _KIND_RULE.get(kind, kind or "word")])
            pos = b
        if pos < len(text):
            items.append([pos, len(text), text[pos:], None])
        return items

    # prepared offset -> cluster index; changes snapped to whole clusters and merged when two
    # of them touch the same cluster
    owner = [0] * len(prepared)
    pstart = []
    p = 0
    for k, (_a, _b, rep) in enumerate(clusters):
        pstart.append(p)
        for i in range(p, p + len(rep)):
            owner[i] = k
        p += len(rep)
    pstart.append(p)
    groups: list[list] = []  # [k_first, k_last, [changes]]
    for change in changes:
        k0, k1 = owner[change[0]], owner[change[1] - 1]
        if groups and groups[-1][1] >= k0:
            groups[-1][1] = max(groups[-1][1], k1)
            groups[-1][2].append(change)
        else:
            groups.append([k0, k1, [change]])
    snapped: list[list] = []  # [k_first, k_last, spoken, rule]
    for k0, k1, group in groups:
        pos = pstart[k0]
        parts = []
        for a, b, spoken, _kind in group:
            parts.append(prepared[pos:a])
            parts.append(spoken)
            pos = b
        parts.append(prepared[pos:pstart[k1 + 1]])
        kind = group[0][3]
        snapped.append([k0, k1, "".join(parts), _KIND_RULE.get(kind, kind or "word")])

    items = []
    k = 0

    def kept_until(limit: int) -> None:
        nonlocal k
        while k < limit:
            oa, ob, rep = clusters[k]
            src = text[oa:ob]
            if rep == src:
                if items and items[-1][3] is None and items[-1][1] == oa:
                    items[-1][1] = ob
                    items[-1][2] += rep
                else:
                    items.append([oa, ob, rep, None])
            else:
                rule = "clean" if _n._UNSAFE.match(src) else "unicode"
                items.append([oa, ob, rep, rule])
            k += 1

    for k0, k1, spoken, rule in snapped:
        kept_until(k0)
        items.append([clusters[k0][0], clusters[k1][1], spoken, rule])
        k = k1 + 1
    kept_until(len(clusters))
    return items


def _tidy_items(items: list[list]) -> list[list]:
    """Apply ``normalizer._tidy`` to the concatenation of the items, item by item: a run of
    spaces becomes one space (kept by the first item it touches) or nothing (at the ends, around
    a newline, before , . ; : ! ?)."""
    # cut kept items at their space runs so that a collapsed run is a span of its own
    split: list[list] = []
    for it in items:
        if it[3] is None and _SPACE_RUN.search(it[2]):
            pos = it[0]
            for part in _SPACE_SPLIT.split(it[2]):
                if part:
                    split.append([pos, pos + len(part), part, None])
                    pos += len(part)
        else:
            split.append(it)
    items = split
    whole = "".join(it[2] for it in items)
    bounds = []  # start offset of each item's reading in ``whole``
    p = 0
    for it in items:
        bounds.append(p)
        p += len(it[2])
    total = p
    edits = []  # (run start, run end, replacement)
    for m in _SPACE_RUN.finditer(whole):
        a, b = m.start(), m.end()
        before = whole[a - 1] if a else ""
        after = whole[b] if b < total else ""
        if not before or not after or before == "\n" or after == "\n" or after in ",.;:!?":
            rep = ""
        else:
            rep = " "
        if whole[a:b] != rep:
            edits.append((a, b, rep))
    if not edits:
        return items
    new_text = [list(it[2]) for it in items]  # per item, per character (None = dropped)
    import bisect

    for a, b, rep in edits:
        first = True
        i = bisect.bisect_right(bounds, a) - 1
        while i < len(items) and bounds[i] < b:
            lo = max(a, bounds[i]) - bounds[i]
            hi = min(b, bounds[i] + len(items[i][2])) - bounds[i]
            for j in range(lo, hi):
                new_text[i][j] = None
            if hi > lo and first:
                new_text[i][lo] = rep if rep else None
                first = False
            i += 1
    out = []
    for it, chars in zip(items, new_text):
        spoken = "".join(c for c in chars if c is not None)
        if spoken != it[2]:
            it = [it[0], it[1], spoken, it[3] or "space"]
        out.append(it)
    return out


def explain(text: str, region: str = "north", abbreviations=None) -> list[Span]:
    """Every span of ``text`` that :func:`normalize` changes, in order, with the rule that
    changed it (see the module docstring)."""
    original, prepared, clusters, changes = _n._changes(text, region, abbreviations)
    items = _tidy_items(_to_original(original, prepared, clusters, changes))
    changed = [it for it in items if it[3] is not None and it[2] != original[it[0]:it[1]]]
    # a connector ("-" read "đến", "x" read "nhân", "-" read "âm") is shown together with the
    # numbers it joins: one span "10-15%" -> "mười đến mười lăm phần trăm", rule "range"
    merged: list[list] = []
    i = 0
    while i < len(changed):
        it = list(changed[i])
        if it[3] in _CONNECTORS:
            if it[3] != "sign" and merged and merged[-1][1] == it[0] and merged[-1][3] not in _CONNECTORS:
                prev = merged.pop()
                it = [prev[0], it[1], prev[2] + it[2], it[3]]
            if i + 1 < len(changed) and changed[i + 1][0] == it[1] and changed[i + 1][3] not in _CONNECTORS:
                nxt = changed[i + 1]
                it = [it[0], nxt[1], it[2] + nxt[2], it[3]]
                i += 1
        merged.append(it)
        i += 1
    spans = []
    for a, b, spoken, rule in merged:
        source = original[a:b]
        rule = "date" if rule == "year" else rule
        spans.append(Span(a, b, source, spoken, rule, _note(rule, source, spoken)))
    return spans
