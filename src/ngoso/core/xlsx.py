"""Every XLSX cell the project writes goes through here: text stays text, one bad value never breaks a file.

openpyxl turns any string beginning with ``=`` into a live formula (and ``#N/A``-like strings into error
cells), so a name or address sent by a phone or a CSV as ``=HYPERLINK("http://…"&S2&T2, "…")`` would run
when the export is opened. Following OWASP's advice on CSV/XLSX injection, a string beginning with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is written as a *string* cell (never a formula) with Excel's
"quote prefix" style: spreadsheet programs show it as text and keep it text when the cell is edited, as if
the user had typed a leading apostrophe — while the stored value stays exactly the person's text, so an
export still imports back unchanged. Numbers (a negative number too) stay numbers.

XML cannot hold most control characters; openpyxl raises on them, which failed the whole export for one
vertical tab or NUL in one address. Here form feeds, vertical tabs and separators become spaces and the rest
are dropped; a text longer than a cell can hold (32,767 characters) is cut with "…"; non-finite numbers
(NaN, infinity) become empty cells.

Use ``workbook()`` (write-only, streaming) or any openpyxl worksheet, and ``append(ws, row)`` or
``cell(ws, value)`` for every value (``put``/``append_at`` to place values in an ordinary worksheet).
"""

from __future__ import annotations

import math
import re

from openpyxl.cell.cell import ERROR_CODES, Cell

MAX_CELL_CHARS = 32767  # Excel's limit per cell
RISKY_FIRST = ("=", "+", "-", "@", "\t", "\r")
_SPACE_LIKE = re.compile(r"[\x0b\x0c\x1c-\x1f]")
_ILLEGAL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str) -> str:
    """The text with what XLSX cannot hold replaced (space-like controls) or removed, and cut to fit."""
    value = _ILLEGAL.sub("", _SPACE_LIKE.sub(" ", value))
    if len(value) > MAX_CELL_CHARS:
        value = value[: MAX_CELL_CHARS - 1] + "…"
    return value


def is_risky(text: str) -> bool:
    """Would a spreadsheet program read this text as a formula (or an error code)?"""
    return text.startswith(RISKY_FIRST) or text in ERROR_CODES


def safe_value(value):
    """A plain value openpyxl may write as is, or a cleaned string that ``cell`` must still protect."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def cell(ws, value):
    """The value for ``ws.append``: itself when harmless, else a string cell that cannot be a formula."""
    value = safe_value(value)
    if not isinstance(value, str) or not is_risky(value):
        return value
    c = Cell(ws, row=1, column=1)  # ws.append places it
    c._value = value
    c.data_type = "s"
    c.quotePrefix = True
    return c


def append(ws, row) -> None:
    """``ws.append(row)`` with every value made safe (works for write-only and ordinary worksheets)."""
    ws.append([cell(ws, v) for v in row])


def put(ws, row: int, column: int, value):
    """Write one value at (row, column) of an ordinary worksheet, made safe as ``cell`` makes it."""
    value = safe_value(value)
    c = ws.cell(row=row, column=column)
    if isinstance(value, str) and is_risky(value):
        c._value = value
        c.data_type = "s"
        c.quotePrefix = True
    else:
        c.value = value
    return c


def append_at(ws, row: int, values) -> None:
    """Write ``values`` from column A of ``row`` (an ordinary worksheet), each made safe."""
    for j, v in enumerate(values, start=1):
        if v is not None:
            put(ws, row, j, v)


_BAD_TITLE = re.compile(r"[\\/*?:\[\]]")


def sheet_title(name: str) -> str:
    """A sheet name Excel accepts: none of ``\\ / * ? : [ ]``, at most 31 characters."""
    return _BAD_TITLE.sub(" ", clean_text(name)).strip()[:31] or "Sheet"


def workbook():
    """A streaming (write-only) workbook, for exports of any size."""
    from openpyxl import Workbook

    return Workbook(write_only=True)


def print_setup(ws, title_rows: str | None = None, landscape: bool = False) -> None:
    """A sheet that prints as a report: A4, fitted to the page width (as many pages down as it needs), centred,
    the page number at the foot and ``title_rows`` ("5:7") repeated on every page."""
    from openpyxl.worksheet.properties import PageSetupProperties
    from openpyxl.worksheet.worksheet import Worksheet

    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "&P / &N"


def title_block(ws, heading: dict, lines: list[tuple[str, str]], width: int = 6) -> int:
    """Write an official heading (``places.heading.heading``: the issuing body left, the national motto right,
    the dateline under it) and then ``lines`` centred across ``width`` columns, each ``(text, style)`` with style
    "title", "bold", "italic" or "note". Returns the first free row (one left blank)."""
    from openpyxl.styles import Alignment, Font

    left_span = max(width // 3, 1)
    top = [(heading["authority"][0], heading["nation"][0]), (heading["authority"][1], heading["nation"][1]),
           ("", heading["dateline"])]
    for i, (left, right) in enumerate(top, start=1):
        append_at(ws, i, [left] + [None] * (left_span - 1) + [right])
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=left_span)
        ws.merge_cells(start_row=i, start_column=left_span + 1, end_row=i, end_column=width)
        for c in (ws.cell(i, 1), ws.cell(i, left_span + 1)):
            c.alignment = Alignment(horizontal="center", wrap_text=True)
            c.font = Font(bold=i < 3, italic=i == 3, underline="single" if i == 2 else None)
    ws.row_dimensions[1].height = 30
    fonts = {"title": Font(bold=True, size=14), "bold": Font(bold=True), "italic": Font(italic=True),
             "note": Font(italic=True, color="555555")}
    row = 5
    for text, style in lines:
        append_at(ws, row, [text])
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        ws.cell(row, 1).font = fonts[style]
        ws.cell(row, 1).alignment = Alignment(horizontal="center", wrap_text=True)
        row += 1
    return row + 1
