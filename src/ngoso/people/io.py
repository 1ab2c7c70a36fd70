"""Spreadsheet import and export of villages, households and residents (XLSX and CSV).

The contract, as users need it:

- one row per resident; household columns repeat on each of its rows (a row with no resident columns is
  a household on its own); an optional sheet "Thôn" (villages) is imported first;
- a file as Vietnamese Excel saves it is read: the header may stand under a title block (and a row numbering
  the columns), headers typed with other spaces, case or no accents, phones typed as numbers, years as floats
  or dates, CSV in UTF-8 (BOM or not) or Windows-1258, with "," or ";"; one sheet of residents per file;
- every row is validated before anything is written; a file is imported whole or not at all;
- every error names the sheet, row, column and reason, in Vietnamese and English;
- export writes the same columns, so that export -> import round-trips (re-importing changes nothing).
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from ngoso.accounts import audit, permissions
from ngoso.accounts.acting import job_user_and_place
from ngoso.accounts.models import AuditEntry
from ngoso.accounts.scope import can_see_place, scoped, within
from ngoso.core import clean, xlsx
from ngoso.core import files as storage_files
from ngoso.core.db import read_alias, reading_from_replica
from ngoso.core.jobs import JobError, drop_file, handler, keep_file
from ngoso.core.messages import Message, UserError, both, grouped, render
from ngoso.core.models import Job
from ngoso.core.snapshot import read_snapshot
from ngoso.core.text import fold, nfc, phone_digits
from ngoso.people.phones import PhoneError, normalize_phone
from ngoso.places.models import Level, Place, PlaceType
from ngoso.places.services import add_village

from .models import Consent, Ethnicity, Household, PovertyStatus, Relation, Resident, Sex

PEOPLE_SHEET = "Nhân khẩu"
VILLAGE_SHEET = "Thôn"


@dataclass(frozen=True)
class Column:
    key: str
    vi: str
    en: str
    required: bool = False
    help_vi: str = ""
    help_en: str = ""
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other headers lists made by hand use for it ("Ngày sinh" for the birth year)

    @property
    def header(self) -> str:
        return self.vi


YES, NO = "Có", "Không"
_YES = {"co", "x", "1", "yes", "y", "true", "dung", "v"}
_NO = {"", "khong", "0", "no", "n", "false", "-"}

HOUSEHOLD_COLUMNS = [
    Column("household_code", "Mã hộ", "Household code", True, "Mã duy nhất của hộ", "Unique household code"),
    Column("village_code", "Mã thôn", "Village code", True, "Mã thôn/tổ dân phố trong hệ thống",
           "Village code as in the system"),
    Column("alley", "Ngõ", "Alley"),
    Column("house_number", "Số nhà", "House number"),
    Column("address", "Địa chỉ", "Address"),
    Column("latitude", "Vĩ độ", "Latitude", help_vi="Số thập phân, ví dụ 21,3512", help_en="Decimal, e.g. 21.3512"),
    Column("longitude", "Kinh độ", "Longitude", help_vi="Số thập phân, ví dụ 106,2145", help_en="Decimal"),
    Column("household_phone", "SĐT hộ", "Household phone"),
    Column("poverty_status", "Hộ nghèo / cận nghèo", "Poverty status", choices=("Không", "Cận nghèo", "Nghèo")),
    Column("poverty_year", "Năm rà soát nghèo", "Poverty review year"),
    Column("has_smartphone", "Có điện thoại thông minh", "Has smartphone", choices=(YES, NO)),
    Column("has_feature_phone", "Có điện thoại thường", "Has feature phone", choices=(YES, NO)),
    Column("has_tv", "Có ti vi", "Has TV", choices=(YES, NO)),
    Column("has_radio", "Có đài radio", "Has radio", choices=(YES, NO)),
    Column("has_computer", "Có máy tính", "Has computer", choices=(YES, NO)),
    Column("has_home_internet", "Có internet/wifi tại nhà", "Has home internet/wifi", choices=(YES, NO)),
    Column("has_mobile_data", "Có dữ liệu di động 3G/4G", "Has mobile data", choices=(YES, NO)),
    Column("hears_loudspeaker", "Nghe được loa truyền thanh", "Hears the loudspeaker", choices=(YES, NO)),
]
RESIDENT_COLUMNS = [
    Column("full_name", "Họ và tên", "Full name", True),
    Column("sex", "Giới tính", "Sex", True, choices=("Nam", "Nữ")),
    Column("birth_year", "Năm sinh", "Birth year", True,
           aliases=("Ngày sinh", "Ngày tháng năm sinh", "Ngày, tháng, năm sinh", "Date of birth")),
    Column("ethnicity", "Dân tộc", "Ethnicity", True, "Tên hoặc mã dân tộc (01–54)", "Name or code (01–54)"),
    Column("phone", "Số điện thoại", "Phone"),
    Column("disability", "Khuyết tật", "Disability", choices=(YES, NO)),
    Column("relation", "Quan hệ với chủ hộ", "Relation to head", True,
           choices=("Chủ hộ", "Vợ/chồng", "Con", "Cháu", "Bố/mẹ", "Con dâu/con rể", "Anh/chị/em", "Khác")),
    Column("consent", "Đồng ý cho ghi nhận thông tin", "Consents to being recorded", choices=(YES, NO)),
]
PEOPLE_COLUMNS = HOUSEHOLD_COLUMNS + RESIDENT_COLUMNS
VILLAGE_COLUMNS = [
    Column("village_code", "Mã thôn", "Village code", True),
    Column("village_name", "Tên thôn", "Village name", True),
    Column("village_type", "Loại", "Type", True, choices=("Thôn", "Bản", "Làng", "Xóm", "Ấp", "Tổ dân phố", "Khu phố")),
    Column("commune_code", "Mã xã/phường", "Commune code", True),
    Column("former_commune_code", "Mã xã cũ (trước 7/2025)", "Former commune code (before July 2025)"),
    Column("latitude", "Vĩ độ", "Latitude"),
    Column("longitude", "Kinh độ", "Longitude"),
]

_RELATIONS = {
    "chu ho": Relation.HEAD, "head": Relation.HEAD, "vo/chong": Relation.SPOUSE, "vo": Relation.SPOUSE,
    "chong": Relation.SPOUSE, "spouse": Relation.SPOUSE, "con": Relation.CHILD, "child": Relation.CHILD,
    "chau": Relation.GRANDCHILD, "grandchild": Relation.GRANDCHILD, "bo/me": Relation.PARENT,
    "bo": Relation.PARENT, "me": Relation.PARENT, "cha": Relation.PARENT, "parent": Relation.PARENT,
    "con dau/con re": Relation.CHILD_IN_LAW, "con dau": Relation.CHILD_IN_LAW, "con re": Relation.CHILD_IN_LAW,
    "child_in_law": Relation.CHILD_IN_LAW, "anh/chi/em": Relation.SIBLING, "anh": Relation.SIBLING,
    "chi": Relation.SIBLING, "em": Relation.SIBLING, "sibling": Relation.SIBLING, "khac": Relation.OTHER,
    "other": Relation.OTHER,
    # as household lists and registers write them (sổ hộ khẩu): a son, a daughter, a grandson, a brother…
    "con trai": Relation.CHILD, "con gai": Relation.CHILD, "con nuoi": Relation.CHILD,
    "chau noi": Relation.GRANDCHILD, "chau ngoai": Relation.GRANDCHILD, "chau trai": Relation.GRANDCHILD,
    "chau gai": Relation.GRANDCHILD, "anh trai": Relation.SIBLING, "chi gai": Relation.SIBLING,
    "em trai": Relation.SIBLING, "em gai": Relation.SIBLING, "bo de": Relation.PARENT, "me de": Relation.PARENT,
}
RELATION_LABEL = {Relation.HEAD: "Chủ hộ", Relation.SPOUSE: "Vợ/chồng", Relation.CHILD: "Con",
                  Relation.GRANDCHILD: "Cháu", Relation.PARENT: "Bố/mẹ", Relation.CHILD_IN_LAW: "Con dâu/con rể",
                  Relation.SIBLING: "Anh/chị/em", Relation.OTHER: "Khác"}
_SEXES = {"nam": Sex.MALE, "male": Sex.MALE, "m": Sex.MALE, "nu": Sex.FEMALE, "female": Sex.FEMALE, "f": Sex.FEMALE}
SEX_LABEL = {Sex.MALE: "Nam", Sex.FEMALE: "Nữ"}
_POVERTY = {"": "", "khong": "", "none": "", "can ngheo": PovertyStatus.NEAR_POOR,
            "near_poor": PovertyStatus.NEAR_POOR, "ngheo": PovertyStatus.POOR, "poor": PovertyStatus.POOR}
POVERTY_LABEL = {"": "Không", PovertyStatus.NEAR_POOR: "Cận nghèo", PovertyStatus.POOR: "Nghèo"}
_VILLAGE_TYPES = {"thon": "thon", "ban": "ban", "lang": "lang", "xom": "xom", "ap": "ap",
                  "to dan pho": "to-dan-pho", "khu pho": "khu-pho"}


# ----------------------------------------------------------------------------------------------- errors

@dataclass
class RowError:
    """What is wrong in one cell (or row, or the file: row 0); ``message`` is one msgid with its parameters,
    ``.text(lang)`` / ``.vi`` / ``.en`` render it."""

    sheet: str
    row: int  # as the spreadsheet numbers it (header = 1)
    column: str
    message: Message

    def text(self, lang: str | None = None) -> str:
        return render(self.message, lang)

    @property
    def vi(self) -> str:
        return self.text("vi")

    @property
    def en(self) -> str:
        return self.text("en")

    def as_dict(self) -> dict:
        """For a job's stored result (read in either language later): the message in both."""
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "vi": self.vi, "en": self.en}

    def where(self) -> Message:
        """The cell (or the row) it is about."""
        return (Message(_("%(sheet)s, row %(row)s, column '%(column)s'"), sheet=self.sheet, row=self.row,
                        column=self.column) if self.column
                else Message(_("%(sheet)s, row %(row)s"), sheet=self.sheet, row=self.row))

    def located(self, lang: str | None = None) -> str:
        """Where and what, both in ``lang`` (the active language when None): the CLI says it in each language."""
        return f"{self.where().text(lang)}: {self.text(lang)}"

    def __str__(self) -> str:
        return f"{self.where().vi}: {both(self.message)}"


class ImportFailed(UserError):
    """The file was rejected as a whole; nothing was written."""

    message = ngettext_lazy("%(n)s error, nothing imported", "%(n)s errors, nothing imported", "n")

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(n=len(errors))


@dataclass
class ImportResult:
    villages_created: int = 0
    households_created: int = 0
    households_updated: int = 0
    residents_created: int = 0
    residents_updated: int = 0
    rows: int = 0
    residents_matched: int = 0  # rows the user said are a person already recorded (import preview)
    residents_skipped: int = 0  # rows the user chose to skip

    def as_dict(self) -> dict:
        return self.__dict__.copy()


# ---------------------------------------------------------------------------------------------- reading

@dataclass
class Sheet:
    name: str
    header: list[str]
    rows: list[tuple[int, list]]  # (row number, cells)
    header_row: int = 1  # below a title block, the row the header is on


#: How far down a sheet its header is looked for: Vietnamese lists often open with a title block (the People's
#: Committee, the national motto, "DANH SÁCH …", merged across the columns) above the header row.
HEADER_SEARCH_ROWS = 15


def _filled(values: list) -> list:
    return [v for v in values if v is not None and not (isinstance(v, str) and not v.strip())]


def header_at(rows: list[list]) -> int:
    """The index, in a sheet's first rows (cell values), of its header: the first row that names at least half
    as many columns as the widest of those rows (below row 1, all in text). Row 1 for the template and any
    plain list; below a title block (one or two merged cells a row) for a list a commune made by hand."""
    widest = max((len(_filled(r)) for r in rows), default=0)
    for i, r in enumerate(rows):
        filled = _filled(r)
        if len(filled) >= max(widest / 2, 1) and (i == 0 or all(isinstance(v, str) for v in filled)):
            return i  # row 1 as always when it is as wide as a header (a header may name a column "2025")
    return 0


def _is_column_numbers(values: list, width: int) -> bool:
    """A row numbering the columns under the header, as official forms have: 1 2 3 … or (1) (2) (3) …"""
    filled = _filled(values[:width])
    if len(filled) < 2:
        return False
    try:
        numbers = [int(str(v).strip().strip("()").strip()) if not isinstance(v, float) or v.is_integer() else None
                   for v in filled]
    except ValueError:
        return False
    return numbers == list(range(numbers[0], numbers[0] + len(numbers))) and numbers[0] in (0, 1)


#: Bounds of every spreadsheet import, checked before (zip sizes) or while (rows, cells) reading, so that a
#: zip bomb or a runaway sheet is refused in a second instead of filling the memory. A commune of 40,000
#: residents is about 40 MB unpacked.
MAX_UNPACKED_BYTES = 150 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
MAX_ROWS = 100_000          # non-empty rows per sheet
MAX_COLUMNS = 200
MAX_CELL = 32_767           # characters in one cell (Excel's own limit); model fields are checked per column
MAX_CELL_ERRORS = 1000      # a file with more bad cells is reported by its first ones

FORMULA = _("The cell holds a formula: paste its value instead (Paste special → Values only)")


def read_file(data: bytes, filename: str) -> list[Sheet]:
    """Read an uploaded CSV or XLSX into sheets, every import's one door. Raises ImportFailed for unreadable
    or oversized files (unpacked size, rows) and for cells that cannot be imported: formulas, control
    characters, text longer than any field. Empty rows are left out (their numbers are kept)."""
    name = filename.lower()
    if len(data) > MAX_UNPACKED_BYTES:
        raise ImportFailed([RowError(Path(filename).name, 0, "",
                                     Message(_("The file is %(x)s MB, over the %(x2)s MB limit; split it"),
                                             x=f"{len(data) / 2 ** 20:,.0f}",
                                             x2=f"{MAX_UNPACKED_BYTES / 2 ** 20:,.0f}"))])
    if name.endswith(".csv"):
        return [_read_csv(data, Path(filename).name)]
    if name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, Path(filename).name)
    raise ImportFailed([RowError(Path(filename).name, 0, "", file_type_refusal(filename))])


def file_type_refusal(filename: str):
    """Why a file of this name is not read (None if it is a kind read): an old Excel file is told how to save
    it as the kind that is read, as Vietnamese offices still keep many lists as .xls."""
    name = filename.lower()
    if name.endswith((".csv", ".xlsx", ".xlsm")):
        return None
    if name.endswith((".xls", ".xlsb", ".ods")):
        return _("This is not an .xlsx file: open it in Excel (or LibreOffice) and save it as 'Excel Workbook (.xlsx)', "
                 "then import that file")
    return _("Only .xlsx or .csv files are accepted")


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def decode_csv(data: bytes) -> str | None:
    """The text of a CSV: UTF-8 (with or without BOM), else Windows-1258 — what Vietnamese Excel writes with
    "CSV (Comma delimited)" — recomposed to NFC (Windows-1258 writes most tone marks as combining characters).
    ``None`` when it is neither: invalid UTF-8 that holds valid UTF-8 sequences too (a file of mixed encodings,
    which Windows-1258 would turn into mojibake; genuine Windows-1258 Vietnamese never has them)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if _UTF8_MULTIBYTE.search(data):
        return None
    try:
        return unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        return None


def _read_csv(data: bytes, fname: str) -> Sheet:
    text = decode_csv(data)
    if text is None:
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            exc = err
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed([RowError(fname, line, "",
                                     Message(_("The file is neither UTF-8 nor Windows-1258 (bad byte at offset %(start)s); save it as 'CSV UTF-8'"), start=exc.start))]) from None
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    errors: list[RowError] = []
    try:
        first = []
        for cells in reader:
            first.append((reader.line_num, cells[:MAX_COLUMNS]))
            if len(first) == HEADER_SEARCH_ROWS:
                break
        if not first:
            raise ImportFailed([RowError(fname, 1, "", _("The file is empty"))])
        at = header_at([[v or None for v in cells] for _n, cells in first])
        header_line, header = first[at]
        reading = _Reading(fname, header, errors, header_row=header_line)
        rest = first[at + 1:]
        if rest and _is_column_numbers(rest[0][1], len(reading.names)):
            rest = rest[1:]
        for line, cells in rest:
            reading.add(line, [_CsvCell(v) for v in cells])
        for cells in reader:
            reading.add(reader.line_num, [_CsvCell(v) for v in cells[:MAX_COLUMNS]])
    except csv.Error as exc:
        errors.append(RowError(fname, reader.line_num, "", Message(_("Broken CSV line: %(exc)s"), exc=exc)))
    if errors:
        raise ImportFailed(errors)
    return reading.sheet


class _CsvCell:
    data_type = "s"

    def __init__(self, value: str):
        self.value = value


class _Reading:
    """The rows of one sheet as they stream in: cells checked, empty rows left out, the row count bounded."""

    def __init__(self, name: str, header: list, errors: list[RowError], xlsx: bool = False, header_row: int = 1):
        self.errors, self.xlsx = errors, xlsx
        self.names = ["" if h is None else str(h) for h in header]
        while self.names and not self.names[-1].strip():
            self.names.pop()
        self.sheet = Sheet(name, self.names, [], header_row)
        for i, h in enumerate(header[:len(self.names)]):
            self.check(header_row, i, getattr(h, "data_type", "s"), h)

    def column(self, i: int) -> str:
        from openpyxl.utils import get_column_letter

        name = self.names[i] if i < len(self.names) else ""
        return name or get_column_letter(i + 1)

    def error(self, row: int, i: int, message) -> None:
        if len(self.errors) < MAX_CELL_ERRORS:
            self.errors.append(RowError(self.sheet.name, row, self.column(i), message))
        elif len(self.errors) == MAX_CELL_ERRORS:
            self.errors.append(RowError(self.sheet.name, row, "",
                                        _("Too many errors; fix the ones above and import again")))

    def check(self, row: int, i: int, data_type: str, value):
        if data_type == "f" or (isinstance(value, str) and data_type == "f"):
            self.error(row, i, FORMULA)
            return None
        if isinstance(value, str):
            if self.xlsx and "_x" in value:
                value = unescape_xlsx(value)
            value = value.replace("\r\n", "\n")
            found = clean.bad_character(value, multiline=True)
            if found is not None:
                self.error(row, i,
                           Message(_("The cell holds the control character %(x)s at position %(x2)s; remove it"),
                                   x=clean.char_name(found[1]), x2=found[0] + 1))
                return None
            if len(value) > MAX_CELL:
                self.error(row, i,
                           Message(_("The cell is %(value)s characters long, at most %(MAX_CELL)s"),
                                   value=len(value), MAX_CELL=MAX_CELL))
                return None
        return value

    def add(self, row: int, cells) -> bool:
        """Add a row (its cells have ``value`` and ``data_type``); False once the sheet has too many rows."""
        values = [None if c.value == "" else self.check(row, i, c.data_type, c.value) for i, c in enumerate(cells)]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            return True
        if len(self.sheet.rows) >= MAX_ROWS:
            self.errors.append(RowError(self.sheet.name, row, "", Message(
                _("The sheet has more than %(n)s rows; split it into several files"), n=grouped(MAX_ROWS))))
            return False
        self.sheet.rows.append((row, values))
        return True


_XLSX_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape_xlsx(value: str) -> str:
    """Undo OOXML's escapes as Excel does: "_x000B_" is a vertical tab (XML cannot hold control characters,
    so a spreadsheet carries them escaped), "_x005F_" an underscore. openpyxl leaves them as they are."""
    return _XLSX_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)


def check_zip(data: bytes, fname: str) -> None:
    """Refuse a zip (an XLSX) whose unpacked size or member count is out of bounds, before unpacking it.
    Python's zipfile never unpacks a member beyond the size its directory declares, so the sum is a bound."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFailed([RowError(fname, 0, "",
                                     Message(_("Cannot open the Excel file (%(name)s): damaged or not .xlsx"),
                                             name=exc.__class__.__name__))]) from None
    unpacked = sum(i.file_size for i in infos)
    if len(infos) > MAX_ZIP_MEMBERS or unpacked > MAX_UNPACKED_BYTES:
        mb, limit = unpacked / 2 ** 20, MAX_UNPACKED_BYTES / 2 ** 20
        raise ImportFailed([RowError(fname, 0, "",
                                     Message(_("The Excel file unpacks to %(mb)s MB (%(infos)s parts), over the %(limit)s MB limit; split it or save it again with Excel"), mb=f"{mb:,.0f}", infos=len(infos), limit=f"{limit:,.0f}"))])


def _read_xlsx(data: bytes, fname: str) -> list[Sheet]:
    from openpyxl import load_workbook

    check_zip(data, fname)
    try:
        # read_only streams the sheets; data_only=False so that formula cells are seen as formulas
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFailed([RowError(fname, 0, "",
                                     Message(_("Cannot open the Excel file (%(name)s): damaged or not .xlsx"),
                                             name=exc.__class__.__name__))]) from None
    sheets, errors = [], []
    try:
        for ws in wb.worksheets:
            first = list(ws.iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=MAX_COLUMNS))
            if not first:
                continue
            at = header_at([[c.value for c in row] for row in first])
            reading = _Reading(ws.title, [c.value for c in first[at]], errors, xlsx=True, header_row=at + 1)
            if not reading.names:
                continue
            width = len(reading.names)
            rest = [(n, row[:width]) for n, row in enumerate(first[at + 1:], start=at + 2)]
            if rest and _is_column_numbers([c.value for c in rest[0][1]], width):
                rest = rest[1:]
            more = enumerate(ws.iter_rows(min_row=len(first) + 1, max_col=width), start=len(first) + 1)
            for rownum, cells in itertools.chain(rest, more):
                if not reading.add(rownum, cells):
                    break
            sheets.append(reading.sheet)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise ImportFailed([RowError(fname, 0, "",
                                     Message(_("Cannot read the Excel file (%(name)s): it is damaged"),
                                             name=exc.__class__.__name__))]) from None
    finally:
        wb.close()
    if errors:
        raise ImportFailed(errors)
    return sheets


def find_columns(sheet, wanted: dict[str, list[str]], required: set[str], errors: list[RowError]) -> dict[str, int]:
    """Where each wanted column is (its first name found in the header, accents and case ignored); a missing
    required one is an error on row 1."""
    index = {fold(h): i for i, h in enumerate(sheet.header)}
    out = {}
    for key, names in wanted.items():
        for n in names:
            if fold(n) in index:
                out[key] = index[fold(n)]
                break
    for key in wanted:
        if key in required and key not in out:
            errors.append(RowError(sheet.name, 1, wanted[key][0],
                                   Message(_("Missing column '%(x)s'"), x=wanted[key][0])))
    return out


def _header_map(sheet: Sheet, columns: list[Column]) -> tuple[dict[str, int], list[RowError]]:
    wanted = {}
    for col in columns:
        for alias in (col.vi, col.en, col.key, *col.aliases):
            wanted[fold(alias)] = col.key
    found: dict[str, int] = {}
    for i, h in enumerate(sheet.header):
        key = wanted.get(fold(h or "").replace("_", " ")) or wanted.get(fold(h or ""))
        if key and key not in found:
            found[key] = i
    errors = [RowError(sheet.name, 1, col.vi, _("Required column missing"))
              for col in columns if col.required and col.key not in found]
    return found, errors


def _kind(sheet: Sheet) -> str | None:
    folded = {fold(h or "") for h in sheet.header}
    if fold("Họ và tên") in folded or "full name" in folded or "full_name" in folded or fold("Mã hộ") in folded:
        return "people"
    if fold("Tên thôn") in folded or "village name" in folded or "village_name" in folded:
        return "villages"
    return None


# -------------------------------------------------------------------------------------------- parsing

def _cell(cells: list, idx: int | None):
    if idx is None or idx >= len(cells):
        return None
    v = cells[idx]
    if isinstance(v, str):
        v = nfc(v)
        return v or None
    return v


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return nfc(str(v))


def _number_text(v) -> str:
    """A house or alley number as it was typed: Excel in Vietnamese turns "12/3" typed into a cell into the date
    12 March (of this year), so a date there is read back as day/month, "12/3", not "2026-03-12 00:00:00"."""
    if isinstance(v, datetime.datetime | datetime.date) and getattr(v, "hour", 0) == getattr(v, "minute", 0) == 0:
        return f"{v.day}/{v.month}"
    return _text(v)


class _RowCtx:
    def __init__(self, sheet: str, row: int, errors: list[RowError]):
        self.sheet, self.row, self.errors = sheet, row, errors

    def err(self, col: Column, message) -> None:
        self.errors.append(RowError(self.sheet, self.row, col.vi, message))


def fits(model, field: str, value: str, err: Callable[[Message], None], label: str = "") -> str:
    """``value`` if it fits ``model.field`` (its max_length, read from the model), else "" after calling
    ``err(message)``: every import checks lengths with the model's own limit, so nothing is cut or refused
    later by the database."""
    try:
        return clean.check_length(value, label or field, clean.max_length(model, field))
    except clean.CleanError as exc:
        err(exc.message)
        return ""


def _fits(ctx: _RowCtx, col: Column, model, field: str, value: str) -> str:
    return fits(model, field, value, lambda message: ctx.err(col, message), col.vi)


def _parse_bool(ctx: _RowCtx, col: Column, v) -> bool:
    if isinstance(v, bool):
        return v
    key = fold(_text(v))
    if key in _YES:
        return True
    if key in _NO:
        return False
    ctx.err(col, Message(_("'%(v)s' is not Yes/No"), v=_text(v)))
    return False


def _parse_int(ctx: _RowCtx, col: Column, v, lo: int, hi: int, what) -> int | None:
    if v is None or _text(v) == "":
        return None
    try:
        if isinstance(v, datetime.datetime | datetime.date):
            raise ValueError
        n = float(_text(v).replace(",", ".")) if not isinstance(v, int | float) else float(v)
        if not n.is_integer():
            raise ValueError
        n = int(n)
    except ValueError:
        ctx.err(col, Message(_("'%(v)s' is not a whole number"), v=_text(v)))
        return None
    if n > hi:
        ctx.err(col, Message(_("%(what)s %(n)s is in the future (after %(hi)s)"), n=n, hi=hi, what=what))
        return None
    if n < lo:
        ctx.err(col, Message(_("%(what)s %(n)s is implausibly early (before %(lo)s)"), n=n, lo=lo, what=what))
        return None
    return n


_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YEAR_MONTH_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")


def _parse_year(ctx: _RowCtx, col: Column, v, lo: int, hi: int, what) -> int | None:
    """A year, also given as a date (a birth date in a "Ngày sinh" column): a real Excel date, or text
    dd/mm/yyyy as Vietnamese lists write it (or yyyy-mm-dd). A year typed into a cell formatted as a date is
    stored by Excel as that many days after 1900 (1958 -> 11/05/1905): it is read as the year typed."""
    if isinstance(v, datetime.datetime | datetime.date):
        at = v if isinstance(v, datetime.datetime) else datetime.datetime.combine(v, datetime.time())
        serial = (at - _EXCEL_EPOCH).days
        return _parse_int(ctx, col, serial if lo <= serial <= hi else at.year, lo, hi, what)
    text = _text(v).strip()
    m = _DAY_MONTH_YEAR.fullmatch(text) or _YEAR_MONTH_DAY.fullmatch(text)
    if m:
        d, mo, y = (int(x) for x in (m.groups() if m.re is _DAY_MONTH_YEAR else reversed(m.groups())))
        try:
            datetime.date(y, mo, d)
        except ValueError:
            ctx.err(col, Message(_("'%(v)s' is not a real date (day/month/year)"), v=text))
            return None
        return _parse_int(ctx, col, y, lo, hi, what)
    return _parse_int(ctx, col, v, lo, hi, what)


def _parse_coord(ctx: _RowCtx, col: Column, v, lo: float, hi: float) -> float | None:
    if v is None or _text(v) == "":
        return None
    try:
        x = float(v) if isinstance(v, int | float) else float(_text(v).replace(",", "."))
    except ValueError:
        ctx.err(col, Message(_("'%(v)s' is not a number"), v=_text(v)))
        return None
    if not lo <= x <= hi:
        ctx.err(col, Message(_("%(x)s is outside Vietnam (%(lo)s–%(hi)s)"), x=x, lo=lo, hi=hi))
        return None
    return x


def _parse_phone(ctx: _RowCtx, col: Column, v) -> str:
    try:
        return normalize_phone(_text(v))
    except PhoneError as exc:
        ctx.err(col, exc.message)
        return ""


def _parse_choice(ctx: _RowCtx, col: Column, v, table: dict, allow_empty=False):
    key = fold(_text(v)).replace(" / ", "/")
    if key in table and (key or allow_empty):
        return table[key]
    ctx.err(col, Message(_("'%(v)s' is not one of: %(x)s"), v=_text(v), x=', '.join(col.choices)))
    return None


# ------------------------------------------------------------------------------------------- validating

@dataclass
class _HouseholdDraft:
    row: int
    values: dict
    residents: list[dict] = field(default_factory=list)


class _Lookup:
    def __init__(self, user):
        self.user = user
        self.places_by_code: dict[str, Place | None] = {}
        self.ethnic = ethnicity_index()

    def place(self, code: str) -> Place | None:
        if code not in self.places_by_code:
            self.places_by_code[code] = Place.objects.filter(code=code).select_related("type").first()
        return self.places_by_code[code]

    def ethnicity(self, v: str):
        return self.ethnic.get(_ethnic_key(v))


def _ethnic_key(name: str) -> str:
    return fold(name).replace("-", "").replace("'", "").replace(" ", "")


def ethnicity_index() -> dict[str, Ethnicity]:
    """Ethnic groups by code ("01", "1"), official name, English name, and unambiguous other names
    (accent-, hyphen- and space-insensitive: "H'Mông", "Hmong", "mong" all find HMông)."""
    groups = list(Ethnicity.objects.all())
    aliases: dict[str, set] = defaultdict(set)
    for e in groups:
        for name in e.other_names.split(";"):
            if name.strip():
                aliases[_ethnic_key(name)].add(e)
    index = {key: next(iter(es)) for key, es in aliases.items() if len(es) == 1}
    for e in groups:  # official names win over other names
        index[_ethnic_key(e.name_en)] = e
        index[_ethnic_key(e.name_vi)] = e
        index[e.code] = e
        index[str(int(e.code))] = e
    return index


def _validate_villages(sheet: Sheet, lookup: _Lookup, errors: list[RowError]) -> list[dict]:
    hmap, herr = _header_map(sheet, VILLAGE_COLUMNS)
    errors.extend(herr)
    if herr:
        return []
    cols = {c.key: c for c in VILLAGE_COLUMNS}
    out, seen = [], {}
    for rownum, cells in sheet.rows:
        if all(c is None or _text(c) == "" for c in cells):
            continue
        ctx = _RowCtx(sheet.name, rownum, errors)
        g = {k: _cell(cells, i) for k, i in hmap.items()}
        for key in ("village_code", "village_name", "village_type", "commune_code"):
            if not _text(g.get(key)):
                ctx.err(cols[key], _("Required value missing"))
        code = _text(g.get("village_code"))
        if code in seen:
            ctx.err(cols["village_code"],
                    Message(_("Village code '%(code_)s' repeats row %(x)s"), code_=code, x=seen[code]))
        seen[code] = rownum
        vtype = _parse_choice(ctx, cols["village_type"], g.get("village_type"), _VILLAGE_TYPES) \
            if _text(g.get("village_type")) else None
        commune = lookup.place(_text(g.get("commune_code"))) if _text(g.get("commune_code")) else None
        if _text(g.get("commune_code")) and (commune is None or commune.level != Level.COMMUNE
                                              or not commune.is_current):
            ctx.err(cols["commune_code"],
                    Message(_("No current commune with code '%(x)s'"), x=_text(g.get('commune_code'))))
            commune = None
        if commune is not None and not can_see_place(lookup.user, commune):
            ctx.err(cols["commune_code"], _("This commune is outside your area"))
            commune = None
        former = None
        if _text(g.get("former_commune_code")):
            fc = _text(g.get("former_commune_code"))
            former = lookup.place(fc) or lookup.place("old-" + fc)
            if former is None or former.level != Level.COMMUNE:
                ctx.err(cols["former_commune_code"], Message(_("No former commune '%(fc)s'"), fc=fc))
                former = None
        existing = lookup.place(code) if code else None
        if existing is not None and (existing.level != Level.VILLAGE or (commune and existing.parent_id != commune.pk)):
            ctx.err(cols["village_code"],
                    Message(_("Code '%(code_)s' already belongs to %(name)s"), code_=code, name=existing.name))
        lat = _parse_coord(ctx, cols["latitude"], g.get("latitude"), 8.0, 23.5)
        lon = _parse_coord(ctx, cols["longitude"], g.get("longitude"), 102.0, 110.0)
        code = _fits(ctx, cols["village_code"], Place, "code", code)
        name = _fits(ctx, cols["village_name"], Place, "short_name", _text(g.get("village_name")))
        out.append({"row": rownum, "code": code, "name": name, "type": vtype,
                    "commune": commune, "former": former, "lat": lat, "lon": lon, "existing": existing})
    return out


def _validate_people(sheet: Sheet, lookup: _Lookup, errors: list[RowError], new_villages: dict[str, dict],
                     progress: Callable) -> dict[str, _HouseholdDraft]:
    hmap, herr = _header_map(sheet, PEOPLE_COLUMNS)
    errors.extend(herr)
    if herr:
        return {}
    cols = {c.key: c for c in PEOPLE_COLUMNS}
    this_year = timezone.localdate().year
    households: dict[str, _HouseholdDraft] = {}
    seen_people: dict[tuple, int] = {}
    total = len(sheet.rows)
    for n, (rownum, cells) in enumerate(sheet.rows, start=1):
        if n % 500 == 0:
            progress(n, total, both(_("validating")))
        if all(c is None or _text(c) == "" for c in cells):
            continue
        ctx = _RowCtx(sheet.name, rownum, errors)
        g = {k: _cell(cells, i) for k, i in hmap.items()}
        hcode = _text(g.get("household_code"))
        if not hcode:
            ctx.err(cols["household_code"], _("Household code missing"))
            continue
        if not _fits(ctx, cols["household_code"], Household, "code", hcode):
            continue
        vcode = _text(g.get("village_code"))
        village = None
        if not vcode:
            ctx.err(cols["village_code"], _("Village code missing"))
        elif vcode in new_villages:
            village = new_villages[vcode]
        else:
            place = lookup.place(vcode)
            if place is None or place.level != Level.VILLAGE:
                ctx.err(cols["village_code"], Message(_("Unknown village code '%(vcode)s'"), vcode=vcode))
            elif not can_see_place(lookup.user, place):
                ctx.err(cols["village_code"], Message(_("Village '%(vcode)s' is outside your area"), vcode=vcode))
            else:
                village = place
        hvals = {
            "village": village,
            "alley": _fits(ctx, cols["alley"], Household, "alley", _number_text(g.get("alley"))),
            "house_number": _fits(ctx, cols["house_number"], Household, "house_number",
                                  _number_text(g.get("house_number"))),
            "address": _fits(ctx, cols["address"], Household, "address", _text(g.get("address"))),
            "latitude": _parse_coord(ctx, cols["latitude"], g.get("latitude"), 8.0, 23.5),
            "longitude": _parse_coord(ctx, cols["longitude"], g.get("longitude"), 102.0, 110.0),
            "phone": _parse_phone(ctx, cols["household_phone"], g.get("household_phone")),
            "poverty_status": _parse_choice(ctx, cols["poverty_status"], g.get("poverty_status"), _POVERTY, True),
            "poverty_year": _parse_year(ctx, cols["poverty_year"], g.get("poverty_year"), 2000, this_year,
                                        _("Review year")),
        }
        for key in Household.ACCESS_FIELDS:
            # empty = not stated on this row (a later row of the household may state it)
            hvals[key] = None if _text(g.get(key)) == "" else _parse_bool(ctx, cols[key], g.get(key))
        draft = households.get(hcode)
        if draft is None:
            draft = households[hcode] = _HouseholdDraft(rownum, hvals)
        else:
            # Household cells may be repeated on each resident's row or left empty after the first;
            # an empty cell inherits, a different value is an error.
            for key, value in hvals.items():
                if value in ("", None):
                    continue
                if draft.values[key] in ("", None):
                    draft.values[key] = value
                    continue
                if key == "village":
                    same = _vkey(value) == _vkey(draft.values["village"])
                else:
                    same = value == draft.values[key]
                if not same:
                    col = cols.get(key) or cols["household_phone" if key == "phone" else "village_code"]
                    ctx.err(col,
                            Message(_("Differs from row %(row)s of the same household '%(hcode)s'"),
                                    row=draft.row, hcode=hcode))
        resident_given = any(_text(g.get(c.key)) for c in RESIDENT_COLUMNS)
        if not resident_given:
            continue
        for key in ("full_name", "sex", "birth_year", "ethnicity", "relation"):
            if not _text(g.get(key)):
                ctx.err(cols[key], _("Required value missing"))
        name = _fits(ctx, cols["full_name"], Resident, "full_name", _text(g.get("full_name")))
        sex = _parse_choice(ctx, cols["sex"], g.get("sex"), _SEXES) if _text(g.get("sex")) else None
        birth_year = _parse_year(ctx, cols["birth_year"], g.get("birth_year"), 1900, this_year, _("Birth year"))
        eth = None
        if _text(g.get("ethnicity")):
            eth = lookup.ethnicity(_text(g.get("ethnicity")))
            if eth is None:
                ctx.err(cols["ethnicity"],
                        Message(_("'%(x)s' is not one of the 54 ethnic groups"), x=_text(g.get('ethnicity'))))
        relation = _parse_choice(ctx, cols["relation"], g.get("relation"), _RELATIONS) \
            if _text(g.get("relation")) else None
        consent = None if not _text(g.get("consent")) else _parse_bool(ctx, cols["consent"], g.get("consent"))
        key = (hcode, fold(name), birth_year)
        if name and birth_year and key in seen_people:
            ctx.err(cols["full_name"],
                    Message(_("Duplicate resident: '%(name)s' born %(birth_year)s already on row %(x)s"),
                            name=name, birth_year=birth_year, x=seen_people[key]))
        seen_people[key] = rownum
        draft.residents.append({
            "row": rownum, "full_name": name, "sex": sex, "birth_year": birth_year, "ethnicity": eth,
            "phone": _parse_phone(ctx, cols["phone"], g.get("phone")),
            "disability": _parse_bool(ctx, cols["disability"], g.get("disability")),
            "relation": relation, "consent": consent,
        })
    return households


def _vkey(v) -> str:
    return v["code"] if isinstance(v, dict) else v.code


def _check_heads(sheet_name: str, households: dict[str, _HouseholdDraft], existing: dict[str, Household],
                 errors: list[RowError]) -> None:
    col = next(c for c in RESIDENT_COLUMNS if c.key == "relation")
    existing_heads = {}
    if existing:
        for hid, fname, by in Resident.objects.filter(household__in=existing.values(), relation=Relation.HEAD) \
                .values_list("household_id", "search_name", "birth_year"):
            existing_heads[hid] = (fname, by)
    for hcode, draft in households.items():
        heads = [r for r in draft.residents if r["relation"] == Relation.HEAD]
        if len(heads) > 1:
            errors.append(RowError(sheet_name, heads[1]["row"], col.vi,
                                   Message(_("Household '%(hcode)s' has more than one head (rows %(row)s and %(row2)s)"),
                                           hcode=hcode, row=heads[0]["row"], row2=heads[1]["row"])))
        hh = existing.get(hcode)
        if hh is None and draft.residents and not heads:
            errors.append(RowError(sheet_name, draft.row, col.vi,
                                   Message(_("New household '%(hcode)s' has no head"), hcode=hcode)))
        if hh is not None and heads and hh.pk in existing_heads:
            old = existing_heads[hh.pk]
            h = heads[0]
            if (fold(h["full_name"]), h["birth_year"]) != old:
                errors.append(RowError(sheet_name, h["row"], col.vi,
                                       Message(_("Household '%(hcode)s' already has another head"), hcode=hcode)))


# -------------------------------------------------------------------------------------------- importing

def import_people(data: bytes, filename: str, user, progress: Callable = lambda *a: None,
                  choices: dict | None = None) -> ImportResult:
    """Validate the whole file, then write it in one transaction. Raises ImportFailed with every error, and
    ``import_duplicates.NeedsChoice`` (nothing written) when new residents look like people already recorded
    and ``choices`` ({row: "new" | "skip" | "same:<id>"}) was not given."""
    permissions.require(user, "import", Household)  # each row's village is then checked against the user's area
    sheets = read_file(data, filename)
    lookup = _Lookup(user)
    errors: list[RowError] = []
    village_rows: list[dict] = []
    people_sheet = None
    for sheet in sheets:
        kind = _kind(sheet)
        if kind == "villages":
            village_rows.extend(_validate_villages(sheet, lookup, errors))
        elif kind == "people" and people_sheet is None:
            people_sheet = sheet
        elif kind == "people":  # never only the first sheet of residents without a word
            errors.append(RowError(sheet.name, sheet.header_row, "", Message(
                _("This sheet holds residents too, but a file is imported one sheet of residents at a time "
                  "(here: '%(first)s'): move its rows into that sheet, or save it as a file of its own and "
                  "import that"), first=people_sheet.name)))
    if people_sheet is None and not village_rows and not errors:
        raise ImportFailed([RowError(filename, 1, "", _("No recognisable sheet: please use the template"))])
    new_villages = {v["code"]: v for v in village_rows if v["existing"] is None}
    households: dict[str, _HouseholdDraft] = {}
    if people_sheet is not None:
        households = _validate_people(people_sheet, lookup, errors, new_villages, progress)
    existing = {h.code: h for h in Household.objects.filter(code__in=list(households)).select_related("village")}
    for hcode, hh in existing.items():
        if not can_see_place(user, hh.village):
            errors.append(RowError(people_sheet.name, households[hcode].row, "Mã hộ",
                                   Message(_("Household '%(hcode)s' belongs to another area"), hcode=hcode)))
    if people_sheet is not None:
        _check_heads(people_sheet.name, households, existing, errors)
    if errors:
        errors.sort(key=lambda e: (e.sheet, e.row))
        raise ImportFailed(errors)
    from .import_duplicates import NeedsChoice, likely_duplicates

    if choices is None:
        likely = likely_duplicates(households, existing, user)
        if likely:
            raise NeedsChoice(likely)
    with transaction.atomic(), audit.acting_as(user):
        result = _write(village_rows, households, existing, user, progress, choices or {})
        from .services import people_changed

        codes, touched = list(households), []
        for i in range(0, len(codes), 5000):
            touched += Household.objects.filter(code__in=codes[i:i + 5000]).values_list("id", "village_id")
        people_changed({h for h, _ in touched}, {v for _, v in touched})
        audit.record_event(AuditEntry.Action.IMPORT, "people.Household",
                           user.place.path if getattr(user, "place_id", None) else "",
                           {"file": filename, **result.as_dict()}, object_repr=filename)
    return result


def _write(village_rows, households, existing, user, progress, choices=None) -> ImportResult:
    result = ImportResult()
    types = {t.code: t for t in PlaceType.objects.all()}
    villages: dict[str, Place] = {}
    for v in village_rows:
        if v["existing"] is None:
            villages[v["code"]] = add_village(v["commune"], v["name"], v["type"], code=v["code"],
                                              former_commune=v["former"], latitude=v["lat"], longitude=v["lon"])
            result.villages_created += 1
        else:
            place = v["existing"]
            place.name, place.type = f"{types[v['type']].name_vi} {v['name']}", types[v["type"]]
            place.latitude, place.longitude = v["lat"], v["lon"]
            place.former_parent = v["former"] or place.former_parent
            place.save()
            villages[v["code"]] = place
    total = sum(len(d.residents) for d in households.values()) or 1
    done = 0
    new_households, new_residents, consents = [], [], []
    residents_by_household = defaultdict(dict)
    if existing:
        for r in Resident.objects.filter(household__in=existing.values()):
            residents_by_household[r.household_id][(r.search_name, r.birth_year)] = r
    # a new household none of whose rows is a new person (each is someone recorded already, or skipped) would be
    # a household nobody lives in: it is not created
    nobody = {hcode for hcode, draft in households.items() if hcode not in existing and draft.residents and all(
        (choices or {}).get(str(r["row"]), "new") != "new" for r in draft.residents)}
    for hcode, draft in households.items():
        vals = dict(draft.values)
        for key in Household.ACCESS_FIELDS:
            vals[key] = bool(vals[key])
        v = vals.pop("village")
        vals["village"] = villages[v["code"]] if isinstance(v, dict) else v
        hh = existing.get(hcode)
        if hcode in nobody:
            continue
        if hh is None:
            hh = Household(code=hcode, **vals)
            hh.phone_digits = phone_digits(hh.phone)
            new_households.append(hh)
            result.households_created += 1
        else:
            if any(getattr(hh, k) != val for k, val in vals.items()):
                for k, val in vals.items():
                    setattr(hh, k, val)
                hh.save()  # audited field by field by the signal
                result.households_updated += 1
    Household.objects.bulk_create(new_households, batch_size=1000)
    audit.record_many(AuditEntry.Action.CREATE, new_households)
    by_code = {h.code: h for h in new_households} | existing
    for hcode, draft in households.items():
        hh = by_code.get(hcode)
        known = residents_by_household.get(hh.pk, {}) if hh is not None else {}
        for r in draft.residents:
            done += 1
            if done % 1000 == 0:
                progress(done, total, both(_("writing")))
            choice = (choices or {}).get(str(r["row"]), "new")
            if choice == "skip":
                result.residents_skipped += 1
                continue
            if choice.startswith("same:"):  # a person already recorded: not created twice
                result.residents_matched += 1
                continue
            consent = r.pop("consent")
            r.pop("row")
            current = known.get((fold(r["full_name"]), r["birth_year"]))
            if current is None:
                res = Resident(household=hh, **r)
                res.search_name, res.phone_digits = fold(res.full_name), phone_digits(res.phone)
                new_residents.append((res, consent))
                result.residents_created += 1
            else:
                if any(getattr(current, k) != val for k, val in r.items()):
                    for k, val in r.items():
                        setattr(current, k, val)
                    current.save()
                    result.residents_updated += 1
                if consent is not None:
                    latest = current.consents.order_by("-recorded_at", "-id").first()
                    if latest is None or latest.given != consent:
                        consents.append(Consent(resident=current, given=consent, method=Consent.Method.SIGNED,
                                                recorded_by=user.get_username(), note="import"))
    Resident.objects.bulk_create([r for r, _ in new_residents], batch_size=1000)
    audit.record_many(AuditEntry.Action.CREATE, [r for r, _ in new_residents])
    consents += [Consent(resident=r, given=c, method=Consent.Method.SIGNED, recorded_by=user.get_username(),
                         note="import") for r, c in new_residents if c is not None]
    Consent.objects.bulk_create(consents, batch_size=1000)
    audit.record_many(AuditEntry.Action.CREATE, consents)
    result.rows = done
    progress(total, total, both(_("finished")))
    return result


@handler("import_people", permission="import")
def import_job(job, progress) -> dict:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=job.params["user_id"])
    from ngoso.core.jobs import discard_upload, upload_name

    from .import_duplicates import NeedsChoice

    name = upload_name(job.params["path"])
    if not name or not storage_files.exists("uploads", name):
        raise JobError(_("The uploaded file of this import is no longer there; upload it again."))
    keep = False
    try:
        result = import_people(storage_files.read("uploads", name), job.params["filename"], user, progress,
                               choices=job.params.get("choices"))
    except ImportFailed as exc:
        return {"ok": False, "errors": [e.as_dict() for e in exc.errors[:1000]], "error_count": len(exc.errors)}
    except NeedsChoice as exc:  # the preview: the file stays until the user has chosen (people.views)
        keep = True
        return {"ok": None, "choose": exc.rows, "choose_count": len(exc.rows)}
    finally:
        if not keep:
            discard_upload(job)
    return {"ok": True, **result.as_dict()}


# -------------------------------------------------------------------------------------------- exporting

def _yn(b: bool) -> str:
    return YES if b else NO


def people_rows(place: Place, user) -> Iterable[list]:
    """Rows of the export, in the template's column order, for everything under ``place`` the user may see."""

    households = within(scoped(Household.objects.all(), user), place).select_related("village") \
        .order_by("village__path", "code")
    consent_of = {}
    for c in within(scoped(Consent.objects.all(), user), place).order_by("recorded_at", "id") \
            .values_list("resident_id", "given"):
        consent_of[c[0]] = c[1]
    eth = {e.pk: e.name_vi for e in Ethnicity.objects.all()}
    for chunk in _chunks(households.iterator(chunk_size=2000), 2000):
        residents = defaultdict(list)
        for r in Resident.objects.filter(household__in=[h.pk for h in chunk]).order_by("household_id", "-relation",
                                                                                        "birth_year", "id"):
            residents[r.household_id].append(r)
        for hh in chunk:
            base = [hh.code, hh.village.code, hh.alley, hh.house_number, hh.address, hh.latitude, hh.longitude,
                    hh.phone, POVERTY_LABEL.get(hh.poverty_status, ""), hh.poverty_year,
                    *[_yn(getattr(hh, f)) for f in Household.ACCESS_FIELDS]]
            people = sorted(residents.get(hh.pk, []), key=lambda r: (r.relation != Relation.HEAD, r.birth_year, r.pk))
            if not people:
                yield base + [""] * len(RESIDENT_COLUMNS)
            for r in people:
                consent = consent_of.get(r.pk)
                yield base + [r.full_name, SEX_LABEL[r.sex], r.birth_year, eth[r.ethnicity_id], r.phone,
                              _yn(r.disability), RELATION_LABEL[r.relation],
                              "" if consent is None else _yn(consent)]


def _chunks(it, n):
    chunk = []
    for x in it:
        chunk.append(x)
        if len(chunk) >= n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


EXPORT_FORMAT = "people-xlsx-1"
# Excel's rows per sheet (the header included); an export longer than that goes on in "Nhân khẩu (2)", ...
SHEET_ROWS = 1_048_576


def export_fingerprint(place: Place, user) -> str:
    """What an export of ``place`` by ``user`` depends on. Every change to personal data is audited, so
    the latest audit entry in the area (with the counts and the user's own area) identifies its content;
    an equal fingerprint means the last file can be handed out again. Empty: never reuse."""
    import hashlib

    if not place.is_current:
        return ""
    from django.db.models import Max

    changes = AuditEntry.objects.filter(place_path__startswith=place.path).exclude(
        action__in=[AuditEntry.Action.EXPORT, AuditEntry.Action.VIEW_EXPORT]).aggregate(m=Max("id"))["m"]
    households = within(scoped(Household.objects.all(), user), place).count()
    residents = within(scoped(Resident.objects.all(), user), place).count()
    key = f"{EXPORT_FORMAT}|{place.code}|{user.place.path if user.place_id else '*'}|{changes}|{households}|{residents}"
    return hashlib.sha256(key.encode()).hexdigest()


def export_people(place: Place, user, out_path: Path, progress: Callable = lambda *a: None,
                  stats: dict | None = None, name: str = "") -> int:
    """Write an XLSX export of everything under ``place`` that ``user`` may see. Audited. Returns rows;
    ``stats``, when given, receives ``residents`` (how many people the file holds).

    The rows are read in one read-only snapshot (``core.snapshot``): the file shows the area as it was at
    one instant, and phones syncing (or another export) meanwhile neither disturb it nor make it fail."""

    if not can_see_place(user, place):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("place outside the user's area")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".part")
    wb = xlsx.workbook()
    ws = _export_sheet(wb, PEOPLE_SHEET)
    n = in_sheet = 0
    sheets = 1
    # the rows come from the read replica when one is configured (core.db), in one snapshot there
    with reading_from_replica(), read_snapshot(using=read_alias()):
        total = within_count(place, user)
        for row in people_rows(place, user):
            if in_sheet >= SHEET_ROWS - 1:  # Excel opens at most SHEET_ROWS rows of a sheet: go on in the next
                sheets += 1
                ws = _export_sheet(wb, f"{PEOPLE_SHEET} ({sheets})")
                in_sheet = 0
            xlsx.append(ws, row)
            in_sheet += 1
            n += 1
            if n % 2000 == 0:
                progress(n, total, both(_("exporting")))
    try:
        wb.save(tmp)
        tmp.replace(out_path)  # never leave a half-written export behind
    finally:
        tmp.unlink(missing_ok=True)
    with transaction.atomic():  # on SQLite: in the writer queue, not against the busy handler
        audit.record_event(AuditEntry.Action.EXPORT, "people.Resident", place.path,
                           {"rows": n, "residents": total, "place": place.code, "file": name or out_path.name},
                           object_repr=place.name)
    if stats is not None:
        stats["residents"], stats["sheets"] = total, sheets
    progress(n, n, both(_("finished")))
    return n


#: Column widths of the export (characters): names and addresses wide, yes/no columns narrow under a wrapped header.
_EXPORT_WIDTHS = {"household_code": 16, "village_code": 11, "address": 24, "latitude": 10, "longitude": 11,
                  "household_phone": 12, "poverty_status": 12, "full_name": 24, "phone": 12, "ethnicity": 10,
                  "relation": 14}


def _export_sheet(wb, title: str):
    """A sheet of the export as a person opens it: the header bold, wrapped and frozen with a filter on it,
    columns wide enough to read, A4 landscape fitted to the page width with the header on every page. The
    header stays on row 1 with the template's names, so the file imports back as it is."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties
    from openpyxl.worksheet.worksheet import Worksheet

    ws = wb.create_sheet(xlsx.sheet_title(title))
    last = get_column_letter(len(PEOPLE_COLUMNS))
    for j, col in enumerate(PEOPLE_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = _EXPORT_WIDTHS.get(col.key, 10 if col.choices else 12)
    ws.freeze_panes = "C2"  # the household and village codes stay in sight
    ws.auto_filter.ref = f"A1:{last}1"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation, ws.page_setup.paperSize = "landscape", Worksheet.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.row_dimensions[1].height = 48  # three lines of a wrapped header
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8EEF4")
    wrap = Alignment(wrap_text=True, vertical="center", horizontal="center")
    header = []
    for col in PEOPLE_COLUMNS:
        c = WriteOnlyCell(ws, xlsx.safe_value(col.header))
        c.font, c.fill, c.alignment = bold, fill, wrap
        header.append(c)
    ws.append(header)
    return ws


def within_count(place: Place, user) -> int:
    return within(scoped(Resident.objects.all(), user), place).count()


def template_workbook(user=None) -> bytes:
    """The downloadable template: the columns, a sheet of instructions, the lists of allowed values."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = PEOPLE_SHEET
    xlsx.append(ws, [c.header for c in PEOPLE_COLUMNS])
    bold = Font(bold=True)
    for i, col in enumerate(PEOPLE_COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True)
        if col.required:
            cell.fill = PatternFill("solid", fgColor="FFF2CC")
        ws.column_dimensions[get_column_letter(i)].width = max(12, len(col.vi) + 2)
        if col.choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=not col.required)
            dv.error = both(_("Pick a value from the list"))
            ws.add_data_validation(dv)
            dv.add(f"{get_column_letter(i)}2:{get_column_letter(i)}5000")
    ws.freeze_panes = "A2"
    guide = wb.create_sheet("Hướng dẫn")
    # the template is one file for readers of either language: each heading in both, from one msgid
    xlsx.append(guide, [both(pgettext_lazy("import guide", "Column")), both(pgettext_lazy("import guide", "Required")),
                        both(pgettext_lazy("import guide", "English")), both(pgettext_lazy("import guide", "Notes")),
                        both(pgettext_lazy("import guide", "Values"))])
    for col in PEOPLE_COLUMNS:
        xlsx.append(guide, [col.vi, "Có" if col.required else "", col.en, f"{col.help_vi} {col.help_en}".strip(),
                      ", ".join(col.choices)])
    xlsx.append(guide, [])
    whole = _("One row per resident; household columns repeat on each row. A file is imported whole, or not at "
              "all if any row has an error.")
    xlsx.append(guide, [render(whole, "vi"), "", render(whole, "en")])
    lists = wb.create_sheet("Danh mục")
    xlsx.append(lists, ["Mã dân tộc", "Dân tộc", "Ethnic group"])
    for e in Ethnicity.objects.order_by("code"):
        xlsx.append(lists, [e.code, e.name_vi, e.name_en])
    if user is not None:
        villages = scoped(Place.objects.filter(level=Level.VILLAGE, valid_to__isnull=True), user).order_by("path")[:5000]
        xlsx.append(lists, [])
        xlsx.append(lists, ["Mã thôn", "Thôn / tổ dân phố", "Xã / phường"])
        for v in villages.select_related("parent"):
            xlsx.append(lists, [v.code, v.name, v.parent.name if v.parent else ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _export_subject(job):
    return job_user_and_place(job, _("The account or the area of this export no longer exists."))


def export_communes(place: Place, user) -> list[Place]:
    """The communes an export of ``place`` (a province, or a former district) is split into: those under it
    (in its own tree, today's or the former one) holding households the user may see, in path order."""
    from ngoso.places.models import subtree_range

    if place.level not in (Level.PROVINCE, Level.DISTRICT):
        return []
    low, high = subtree_range(place.path)
    communes = Place.objects.filter(level=Level.COMMUNE, path__gte=low, path__lt=high).order_by("path")
    if place.is_current:
        communes = communes.filter(valid_to__isnull=True)
    homes = scoped(Household.objects.all(), user)
    return [c for c in communes if can_see_place(user, c) and within(homes, c).exists()]


@handler("export_people", permission="export")
def export_job(job, progress) -> dict:
    """An export of one area: one XLSX; an area larger than a commune is one XLSX per commune, made by child
    jobs in parallel (``core.jobs.fan_out``) and handed out as one ZIP."""
    user, place = _export_subject(job)
    communes = export_communes(place, user)
    if communes:
        return _export_by_commune(job, place, user, communes, progress)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    # the file name carries the job's random token, so a name seen in a log or the audit is no address either
    out = f"ngoso-{place.code}-{stamp}-{job.token[:12]}.xlsx"  # its name in the storage "exports"
    stats: dict = {}
    with audit.acting_as(user), storage_files.writing("exports", out) as local:
        n = export_people(place, user, local, progress, stats, name=out)
    return _export_done(job, place, out, {"rows": n, "residents": stats["residents"], "file": out})


def _export_done(job, place: Place, out: str, result: dict) -> dict:
    keep_file(job, out)
    # A resident of the area erased while this export ran may be in the file: an erasure from now on
    # finds the file recorded above; one that came before is found here.
    from .models import Erasure

    if within(Erasure.objects.all(), place).filter(requested_at__gte=job.created_at).exists():
        job.refresh_from_db()
        drop_file(job, "erasure")
        raise JobError(_("A person in the area was erased on request while the export ran; the file was "
                         "discarded. Export again."))
    return result


def _export_by_commune(job, place: Place, user, communes: list[Place], progress: Callable) -> dict:
    import shutil

    from ngoso.core import jobs

    names = {c.code: c.name for c in communes}
    parts = [{"place": c.code, "user_id": user.pk, "place_path": c.path} for c in communes]
    try:
        kids = jobs.fan_out(job, "export_people_part", parts,
                            label=lambda k: names.get(k.params["place"]) or k.params["place"],
                            noun=_("communes"))
    except JobError:
        _drop_parts(jobs.children(job))
        raise
    progress(len(kids), len(kids), both(Message(_("putting %(n)s communes into one ZIP file"), n=len(kids))))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    out = f"ngoso-{place.code}-{stamp}-{job.token[:12]}.zip"
    st = storage_files.storage("exports")
    try:
        with storage_files.writing("exports", out) as local:
            with zipfile.ZipFile(local, "w", zipfile.ZIP_STORED, allowZip64=True) as z:  # XLSX is zipped already
                for k in kids:
                    code = k.params["place"]
                    slug = re.sub(r"[^a-z0-9]+", "-", fold(names.get(code) or Place.objects.get(code=code).name))
                    with st.open(k.file, "rb") as src, z.open(f"{code}-{slug.strip('-')}.xlsx", "w",
                                                                force_zip64=True) as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
    finally:
        _drop_parts(kids)
    result = {"rows": sum(k.result.get("rows", 0) for k in kids),
              "residents": sum(k.result.get("residents", 0) for k in kids),
              "communes": len(kids), "file": out}
    result = _export_done(job, place, out, result)
    Job.objects.filter(pk=job.pk).update(message=both(Message(_("done: %(n)s communes, one XLSX each in the ZIP "
                                                                "file"), n=len(kids))))
    return result


def _drop_parts(kids) -> None:
    """The per-commune files are in the ZIP (or the export failed): delete them, the rows say so."""
    for k in kids:
        if k.file:
            Job.objects.filter(pk=k.pk).update(file="")
            storage_files.delete("exports", k.file)


@handler("export_people_part", permission="export")
def export_part_job(job, progress) -> dict:
    """One commune of a larger export (``export_job``): its XLSX, named after the parent's random token."""
    user, place = _export_subject(job)
    parent = Job.objects.filter(pk=job.params["parent"]).first()
    if parent is None:
        raise JobError(_("The export this part belongs to no longer exists."))
    out = f"parts/{parent.token[:12]}/{place.code}.xlsx"
    stats: dict = {}
    with audit.acting_as(user), storage_files.writing("exports", out) as local:
        n = export_people(place, user, local, progress, stats, name=out)
    keep_file(job, out)
    return {"rows": n, "residents": stats["residents"], "sheets": stats["sheets"], "file": out}


def cancel_previews_naming(resident_pk: int) -> int:
    """Erasure: an import waiting for the user's choices whose preview offers this person as a likely match
    (their name, birth year and household in its result; their row, likely, in its kept file) is cancelled — its
    file deleted, the preview forgotten, the job failed saying to upload the file again (answering it would bring
    the person back). Returns how many were cancelled."""
    from ngoso.core.jobs import discard_upload, waits_for_choice

    n = 0
    for job in Job.objects.filter(kind="import_people", result__has_key="choose"):
        if not waits_for_choice(job.result) or not any(
                m.get("id") == resident_pk for e in job.result["choose"] for m in e.get("matches", ())):
            continue
        discard_upload(job)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED, result={"ok": None, "cancelled": "erasure"},
            error=both(Message(_("Someone this file may name was erased on their request meanwhile: nothing was "
                                 "imported; upload the file again."))))
        n += 1
    return n


def delete_exports_covering(village: Place) -> int:
    """Erasure: forget every earlier export file that may hold a person of ``village`` (exports of the
    village or of any place above it, in today's tree or the former one). Returns how many were dropped.
    The rows stay (the audit of who exported what is kept); the files are deleted once the surrounding
    transaction commits, so an erasure that fails leaves them."""
    from django.db import transaction

    def covers(job_path: str) -> bool:
        return bool(job_path) and any(p and p.startswith(job_path) for p in (village.path, village.former_path))

    jobs = [j for j in Job.objects.filter(kind__in=["export_people", "export_people_part"]).exclude(file="")
            if covers(j.place_path)]
    for job in jobs:
        Job.objects.filter(pk=job.pk).update(file="", result={**job.result, "file_dropped": "erasure"})
    files = {j.file for j in jobs}

    def unlink():
        for f in files:
            storage_files.delete("exports", storage_files.export_name(f))

    transaction.on_commit(unlink)
    return len(jobs)
