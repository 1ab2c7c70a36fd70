"""The dashboard of a place as a report a commune can send up: an XLSX workbook and a PDF, in the reader's language.

Both are drawn from one structure, ``build(data, …)``, made from the dashboard structure the page renders
(``dashboard.dashboard``): a Vietnamese official title block (the People's Committee, the team, the national
motto, the place and date line), the report title, the area, "as of" date and who exported it, then the page's
sections as tables. Every figure cell carries the dashboard key it shows (``Fig.key``, the keys of
``dashboard.flatten`` and of the page's ``data-k``), so the XLSX's last sheet, "Dữ liệu máy", lists each key,
its value and the cell that shows it, and a test can check that every figure of the page is the same in the file.

The XLSX: the first sheet laid out like the page (headings, labels in the reader's language, thousands
grouped by the number format ``#,##0``, percentages as real percentages ``0.0%``), then one sheet per table
(skills by group, target groups, weeks, places below, villages left behind, the providers' tables), column
widths set, A4 fitted to the page width with the header rows repeated. The PDF: the same title block and
tables with the weekly chart drawn in SVG (weasyprint through ``core.pdf``, DejaVu fonts installed locally).
Figures only: no resident is named, so these files follow the page's rule (whoever may see the place).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ngoso.core import xlsx
from ngoso.core.charts import bar_chart
from ngoso.core.messages import both
from ngoso.places.heading import area_label, heading
from ngoso.places.models import Place

from . import providers

INT, PCT, TEXT, DATE = "int", "pct", "text", "date"


@dataclass
class Fig:
    """A figure in a table: its value and the dashboard key it is (``None`` for a label)."""
    value: object
    key: str | None = None


@dataclass
class Table:
    title: str
    columns: list[tuple[str, str]]  # (heading, kind: INT, PCT, TEXT or DATE)
    rows: list[list] = field(default_factory=list)  # values or Fig
    sheet: str | None = None  # its own sheet's name, if it has one
    on_first: bool = True  # shown on the first sheet (as on the page)
    note: str = ""


def _v(x):
    return x.value if isinstance(x, Fig) else x


def group_label(g: str) -> str:
    labels = {"elderly": _("Elderly (60+)"), "poor": _("Poor or near-poor"), "minority": _("Ethnic minority"),
              "disability": _("Disability"), "women": _("Women")}
    return labels.get(g, g)


def _day(d: datetime.date) -> str:
    return formats.date_format(d, "SHORT_DATE_FORMAT")


def build(data: dict, *, user=None, now: datetime.datetime | None = None, language: str | None = None) -> dict:
    """The report of a dashboard structure ``data``, in ``language`` (default: the active one)."""
    language = language or translation.get_language() or "vi"
    with translation.override(language):
        return _build(data, user, timezone.localtime(now or timezone.now()), language)


def _build(d: dict, user, now: datetime.datetime, language: str) -> dict:
    place = Place.objects.select_related("parent", "former_parent").get(code=d["place"]["code"])
    as_of = datetime.date.fromisoformat(d["as_of"])
    who = ""
    if user is not None:
        name = (user.get_full_name() or user.username).strip()
        role = user.get_role_display() if getattr(user, "role", "") else ""
        who = f"{name} ({role})" if role and role.casefold() != name.casefold() else name  # not "Cán bộ xã (Cán bộ xã)"
    tables: list[Table] = []

    overview = Table(_("Overview"), [(_("Indicator"), TEXT), (_("Number"), INT), ("%", PCT)], sheet=None)
    overview.rows = [
        [_("Households"), Fig(d["households"], "households"), ""],
        [_("Residents"), Fig(d["residents"], "residents"), ""],
        [_("Households with someone doing all 5 basic skills alone"), Fig(d["basic5"]["households"], "basic5.households"),
         Fig(d["basic5"]["households_pct"], "basic5.households_pct")],
        [_("Residents doing all 5 basic skills alone"), Fig(d["basic5"]["residents"], "basic5.residents"),
         Fig(d["basic5"]["residents_pct"], "basic5.residents_pct")],
        [_("Visits"), Fig(d["visits"]["total"], "visits.total"), ""],
        [_("Villages"), Fig(d["villages"], "villages"), ""],
        [_("Villages with a team"), Fig(d["villages_with_team"], "villages_with_team"), ""],
    ]
    tables.append(overview)

    hh = Table(_("The 5 basic skills, by target group: households"),
               [(_("Households"), TEXT), (_("Total"), INT), (_("With someone doing all 5"), INT), ("%", PCT)],
               sheet=_("Target groups"))
    hh.rows.append([_("All"), Fig(d["households"], "households"), Fig(d["basic5"]["households"], "basic5.households"),
                    Fig(d["basic5"]["households_pct"], "basic5.households_pct")])
    for g, x in d["basic5"]["by_household_group"].items():
        k = f"basic5.by_household_group.{g}"
        hh.rows.append([group_label(g), Fig(x["households"], f"{k}.households"), Fig(x["basic5"], f"{k}.basic5"),
                        Fig(x["basic5_pct"], f"{k}.basic5_pct")])
    res = Table(_("The 5 basic skills, by target group: residents"),
                [(_("Residents"), TEXT), (_("Total"), INT), (_("Doing all 5 alone"), INT), ("%", PCT),
                 (_("Share of residents"), PCT)], sheet=_("Target groups"))
    for g, x in d["groups"].items():
        k = f"groups.{g}"
        res.rows.append([group_label(g), Fig(x["residents"], f"{k}.residents"),
                         Fig(x["basic5_residents"], f"{k}.basic5_residents"),
                         Fig(x["basic5_residents_pct"], f"{k}.basic5_residents_pct"),
                         Fig(x["residents_pct"], f"{k}.residents_pct")])
    tables += [hh, res]

    weeks = Table(_("Visits per week"), [(capfirst(_("week starting")), DATE), (capfirst(_("visits")), INT)], sheet=_("Visits per week"),
                  note=_("the last 26 weeks, by the Monday they start"))
    for w in d["visits"]["weeks"]:
        weeks.rows.append([datetime.date.fromisoformat(w["week"]), Fig(w["visits"], f"visits.weeks[{w['week']}].visits")])
    tables.append(weeks)

    en = language == "en"
    skills = Table(_("Skills"), [(_("Skill"), TEXT), (_("Basic 5"), TEXT), (_("Alone"), INT), ("%", PCT),
                                 (_("With help"), INT), ("%", PCT)], sheet=_("Skills"))
    for s in d["skills"]:
        k = f"skills[{s['code']}]"
        skills.rows.append([s["name_en"] if en else s["name_vi"], "5" if s["basic5"] else "",
                            Fig(s["alone"], f"{k}.alone"), Fig(s["alone_pct"], f"{k}.alone_pct"),
                            Fig(s["with_help"], f"{k}.with_help"), Fig(s["with_help_pct"], f"{k}.with_help_pct")])
    tables.append(skills)

    by_group = Table(_("Skills done alone, by target group"),
                     [(_("Skill"), TEXT)] + [c for g in d["groups"] for c in ((group_label(g), INT), ("%", PCT))],
                     sheet=_("Skills by group"), on_first=False,
                     note=_("residents of the group who do the skill alone, and their share of the group"))
    for s in d["skills"]:
        row = [s["name_en"] if en else s["name_vi"]]
        for g, x in s["by_group"].items():
            k = f"skills[{s['code']}].by_group.{g}"
            row += [Fig(x["alone"], f"{k}.alone"), Fig(x["alone_pct"], f"{k}.alone_pct")]
        by_group.rows.append(row)
    tables.append(by_group)

    if d["children"]:
        kids = Table(_("Places below"), [(_("Name"), TEXT), (_("Households"), INT), (_("Residents"), INT),
                                         (_("All 5 basic"), INT), ("%", PCT), (_("Visits, 4 weeks"), INT),
                                         (_("Villages"), INT), (_("Villages with a team"), INT),
                                         (_("Villages visited in 30 days"), INT)],
                     sheet=_("Places below"))
        for c in d["children"]:
            k = f"children[{c['code']}]"
            kids.rows.append([c["name"], Fig(c["households"], f"{k}.households"), Fig(c["residents"], f"{k}.residents"),
                              Fig(c["basic5_households"], f"{k}.basic5_households"), Fig(c["basic5_pct"], f"{k}.basic5_pct"),
                              Fig(c["visits_4_weeks"], f"{k}.visits_4_weeks"), Fig(c["villages"], f"{k}.villages"),
                              Fig(c["villages_with_team"], f"{k}.villages_with_team"),
                              Fig(c.get("villages_recently_visited"), f"{k}.villages_recently_visited")])
        tables.append(kids)

    n_team, n_quiet = d["villages_without_team_count"], d["villages_without_recent_visit_count"]
    behind = Table(_("Villages left behind"), [(_("Villages"), TEXT), (_("Number"), INT)])
    behind.rows = [[_("Villages without a team"), Fig(n_team, "villages_without_team_count")],
                   [_("Villages without a visit in 30 days"), Fig(n_quiet, "villages_without_recent_visit_count")]]
    tables.append(behind)

    def first_of(n: int, listed: int) -> str:  # the dashboard names the first few villages (Vietnamese order)
        if not n:  # an empty sheet says so, rather than a lone header row a reader takes for a lost list
            return _("No village of the area is in this list.")
        return _("the first %(listed)s of %(n)s, in alphabetical order") % {"listed": listed, "n": n} if n > listed else ""

    no_team = Table(_("Villages without a team"), [(_("Code"), TEXT), (_("Village"), TEXT)],
                    sheet=_("Villages without a team"), on_first=False,
                    note=first_of(n_team, len(d["villages_without_team"])))
    no_team.rows = [[v["code"], v["name"]] for v in d["villages_without_team"]]
    no_visit = Table(_("Villages without a visit in 30 days"),
                     [(_("Code"), TEXT), (_("Village"), TEXT), (_("Last visit"), DATE)],
                     sheet=_("No visit in 30 days"), on_first=False,
                     note=first_of(n_quiet, len(d["villages_without_recent_visit"])))
    no_visit.rows = [[v["code"], v["name"], datetime.date.fromisoformat(v["last_visit"]) if v["last_visit"] else None]
                     for v in d["villages_without_recent_visit"]]
    tables += [no_team, no_visit]

    for name, fn in providers.report_sections().items():
        if d.get(name):
            tables += fn(d[name], Table=Table, Fig=Fig, kinds=(INT, PCT, TEXT, DATE), prefix=name)

    vi = language != "en"
    return {
        "language": language,
        **heading(place, now.date(), _("Community digital technology team")),
        "title": _("Report on community digital transformation").upper(),
        "area": area_label(place),
        "as_of": _("As of %(date)s") % {"date": _day(as_of)},
        "exported": (_("Exported by %(who)s at %(time)s") % {"who": who, "time": _day(now.date()) + " " + now.strftime("%H:%M")}
                     if who else _("Exported at %(time)s") % {"time": _day(now.date()) + " " + now.strftime("%H:%M")}),
        "place": place, "as_of_date": as_of, "tables": tables,
        "chart": bar_chart([(w["week"], f"{w['week'][8:10]}/{w['week'][5:7]}", w["visits"]) for w in d["visits"]["weeks"]],
                           width=520, height=170),
        "chart_title": _("Visits per week"),
        "flat": d,
        "machine_sheet": "Dữ liệu máy" if vi else "Machine data",
        "first_sheet": "Báo cáo" if vi else "Report",
    }


# --- XLSX ---------------------------------------------------------------------------------------------------

NUMBER_FORMATS = {INT: "#,##0", PCT: "0.0%", DATE: "DD/MM/YYYY"}
WIDTHS = {INT: 13, PCT: 9, DATE: 12}


def _cell_value(x, kind):
    v = _v(x)
    if v == "":
        return None  # not applicable: an empty cell
    if kind == PCT and isinstance(v, (int, float)):
        return round(v / 100.0, 4)  # the dashboard's percentages are 0–100 with one decimal
    return v


HEADER_LINE = 15  # points per line of an 11 pt bold heading


def _lines(text: str, width: float | None) -> int:
    """How many lines ``text`` takes, wrapped by words in a column ``width`` characters wide (bold: ~10 % wider).

    Neither Excel nor LibreOffice grows a row to its wrapped text when the file is opened, so a heading longer
    than its column was cut ("Có người tự làm được cả 5" showed one line of two)."""
    room = max(int((width or 8.43) / 1.1) - 1, 1)
    lines, used = 1, 0
    for word in str(text or "").split():
        if used and used + 1 + len(word) > room:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
        while used > room:  # a word longer than the column is broken
            lines, used = lines + 1, used - room
    return lines


def to_xlsx(rep: dict) -> bytes:
    """The workbook: first sheet like the page, one sheet per table, the machine-readable keys last."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from . import dashboard as dash

    bold = Font(bold=True)
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="E8EEF4")
    wrap = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    shown_at: dict[str, str] = {}
    headers: list = []  # (sheet, row, headings): their rows made tall enough for the wrapped headings, once widths are set

    def write_table(ws, t: Table, row: int, record: bool, with_title: bool = True) -> int:
        if with_title:
            xlsx.append_at(ws, row, [t.title])
            ws.cell(row, 1).font = Font(bold=True, size=12)
            row += 1
            if t.note:
                xlsx.append_at(ws, row, [t.note])
                ws.cell(row, 1).font = Font(italic=True, color="555555")
                row += 1
        header_row = row
        headers.append((ws, row, [c[0] for c in t.columns]))
        xlsx.append_at(ws, row, [c[0] for c in t.columns])
        for j in range(1, len(t.columns) + 1):
            c = ws.cell(row, j)
            c.font, c.fill, c.border, c.alignment = bold, head_fill, box, centre
        row += 1
        for r in t.rows:
            xlsx.append_at(ws, row, [_cell_value(x, kind) for x, (_h, kind) in zip(r, t.columns)])
            for j, (x, (_h, kind)) in enumerate(zip(r, t.columns), start=1):
                c = ws.cell(row, j)
                c.border = box
                if kind in NUMBER_FORMATS:
                    c.number_format = NUMBER_FORMATS[kind]
                elif j == 1:
                    c.alignment = wrap
                if record and isinstance(x, Fig) and x.key and x.key not in shown_at:
                    shown_at[x.key] = f"'{ws.title}'!{c.coordinate}"
            row += 1
        return header_row if not with_title else row

    wb = Workbook()
    ws = wb.active
    ws.title = rep["first_sheet"]
    widths = [46, 14, 14, 12, 12, 12, 12, 12]
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    # the title block: the issuing body on the left, the national motto on the right, as official reports have
    row = xlsx.title_block(ws, rep, [(rep["title"], "title"), (rep["area"], "bold"), (rep["as_of"], "italic"),
                                     (rep["exported"], "note")])
    for t in rep["tables"]:
        if t.on_first:
            row = write_table(ws, t, row, record=True) + 1
    xlsx.print_setup(ws, "5:7")

    sheets: dict[str, list[Table]] = {}
    for t in rep["tables"]:
        if t.sheet:
            sheets.setdefault(t.sheet, []).append(t)
    for name, ts in sheets.items():
        s = wb.create_sheet(xlsx.sheet_title(name))
        xlsx.append_at(s, 1, [rep["title"]])
        s.cell(1, 1).font = Font(bold=True, size=12)
        xlsx.append_at(s, 2, [f"{rep['area']} · {rep['as_of']}"])
        s.cell(2, 1).font = Font(italic=True)
        if len(ts) == 1:
            if ts[0].note:  # e.g. "the first 30 of 46": said above the table
                xlsx.append_at(s, 3, [ts[0].note])
                s.cell(3, 1).font = Font(italic=True, color="555555")
            header = write_table(s, ts[0], 4, record=True, with_title=False)
            s.freeze_panes = s.cell(header + 1, 2)
            xlsx.print_setup(s, f"{header}:{header}", landscape=len(ts[0].columns) > 8)
        else:
            row = 4
            for t in ts:
                row = write_table(s, t, row, record=True) + 1
            xlsx.print_setup(s, "1:2")
        cols = max(len(t.columns) for t in ts)
        first_w = max([len(str(_v(r[0]) or "")) for t in ts for r in t.rows] + [len(t.columns[0][0]) for t in ts] + [10])
        s.column_dimensions["A"].width = min(max(first_w + 2, 12), 50)
        for j in range(2, cols + 1):
            kinds = {t.columns[j - 1][1] for t in ts if j <= len(t.columns)}
            texts = [len(str(_v(r[j - 1]) or "")) for t in ts for r in t.rows if j <= len(r) and isinstance(_v(r[j - 1]), str)]
            heads = [min(len(t.columns[j - 1][0]), 24) for t in ts if j <= len(t.columns)]
            s.column_dimensions[get_column_letter(j)].width = min(
                max([WIDTHS.get(k, 12) for k in kinds] + [h + 2 for h in heads] + [n + 2 for n in texts]), 50)

    for ws_, r, texts in headers:
        ws_.row_dimensions[r].height = HEADER_LINE * max(
            _lines(text, ws_.column_dimensions[get_column_letter(j)].width) for j, text in enumerate(texts, start=1))

    m = wb.create_sheet(rep["machine_sheet"])
    xlsx.append(m, ["key", "value", both(gettext_lazy("cell"))])  # for readers of either language
    for k, v in dash.flatten(rep["flat"]):
        xlsx.append(m, [k, v, shown_at.get(k)])
    m.column_dimensions["A"].width, m.column_dimensions["B"].width, m.column_dimensions["C"].width = 60, 14, 22
    m.freeze_panes = "A2"
    xlsx.print_setup(m, "1:1")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- PDF ----------------------------------------------------------------------------------------------------

def _shown(x, kind, language):
    v = _v(x)
    if v == "":
        return ""  # not applicable
    if v is None:
        return "—" if kind in (INT, PCT) else ""
    if kind == INT:
        return formats.number_format(v, force_grouping=True)
    if kind == PCT:  # rounded first: Django's number_format cuts the other decimals off (16.67 -> "16,6")
        return formats.number_format(round(v, 1), 1) + " %"
    if kind == DATE:
        return _day(v)
    return str(v)


PDF_ROWS = 60  # a list longer than this is cut in the PDF ("and N more"); the XLSX holds it whole


def to_pdf(rep: dict) -> bytes:
    from ngoso.core.pdf import html_to_pdf

    with translation.override(rep["language"]):
        tables = []
        for t in rep["tables"]:
            if not t.on_first and not t.rows:
                continue
            rows = [[(_shown(x, kind, rep["language"]), kind) for x, (_h, kind) in zip(r, t.columns)]
                    for r in t.rows[:PDF_ROWS]]
            tables.append({"t": t, "rows": rows, "more": max(len(t.rows) - PDF_ROWS, 0),
                           "chart": t.title == rep["chart_title"]})
        html = render_to_string("insights/dashboard_pdf.html", {"r": rep, "tables": tables})
    return html_to_pdf(html)
