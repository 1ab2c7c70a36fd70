import csv
import io

from ngoso.people.io import PEOPLE_COLUMNS


def csv_bytes(rows: list[dict], columns=None, encoding="utf-8") -> bytes:
    """A CSV in the template's columns; rows give values by Vietnamese header."""
    headers = columns or [c.vi for c in PEOPLE_COLUMNS]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    for r in rows:
        w.writerow([r.get(h, "") for h in headers])
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict], sheet="Nhân khẩu", columns=None, extra_sheets=None) -> bytes:
    from openpyxl import Workbook

    headers = columns or [c.vi for c in PEOPLE_COLUMNS]
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
    for name, (hdrs, data) in (extra_sheets or {}).items():
        s = wb.create_sheet(name)
        s.append(hdrs)
        for r in data:
            s.append([r.get(h) for h in hdrs])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def encode_cp1258(text: str) -> bytes:
    """As Windows' own encoder writes Vietnamese: precomposed where cp1258 has the letter, else the base letter
    (with its circumflex, breve or horn) followed by a combining tone mark."""
    import unicodedata

    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize("NFD", ch)
        for i in range(1, len(d)):  # one mark written apart (the tone), the rest precomposed
            try:
                out += unicodedata.normalize("NFC", d[:i] + d[i + 1:]).encode("cp1258") + d[i].encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            raise AssertionError(ch)
    return bytes(out)
