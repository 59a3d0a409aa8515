"""Uploaded spreadsheets: the file-type check and reading CSV and XLSX into numbered rows (the
portal's CSV and XLSX files are written by msonet.spreadsheets).

The type of an upload is decided by its content, before anything is parsed: an XLSX file is a
ZIP archive holding the Office Open XML workbook parts; a CSV file is UTF-8 text (a byte-order
mark is allowed) with no NUL bytes. The file's name must end in .csv or .xlsx and agree with its
content, so that a picture or a program renamed .csv is refused with a message saying what it is.
"""

import csv
import datetime
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from django.template.defaultfilters import filesizeformat
from openpyxl import load_workbook

from msonet.spreadsheets import FORMULA_PREFIXES

CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# The parts every XLSX workbook holds.
XLSX_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
# A workbook that unpacks to more than this many times its size is refused (a "zip bomb").
XLSX_MAX_EXPANSION = 100

# The first bytes of common files that are neither CSV nor XLSX, to say what was uploaded.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Excel (.xls) or Word file; save it as .xlsx or CSV"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
)


class FileRefused(Exception):
    """The upload is too large, empty, or not a CSV or XLSX file; the message says which."""


class TableError(Exception):
    """The file cannot be read as a table (no header row, broken CSV quoting); the message says why."""


def check_upload(name: str, size: int, head: bytes, read_all: Callable[[], bytes], max_bytes: int) -> str:
    """The format ("csv" or "xlsx") of an upload, from its content; FileRefused otherwise.

    The size is checked first, from the upload's declared size, so a too-large file is refused
    without being read. `head` is the file's first bytes; `read_all` returns all of them.
    """
    if size > max_bytes:
        raise FileRefused(
            f"The file is {filesizeformat(size)}; the largest file accepted is {filesizeformat(max_bytes)}. "
            "Split it into smaller files and import each."
        )
    if size == 0:
        raise FileRefused("The file is empty.")
    suffix = PurePath(name or "").suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise FileRefused("Upload a CSV file (.csv) or an Excel workbook (.xlsx).")
    content_format = _content_format(head, read_all, max_bytes)
    if content_format != suffix:
        what = "an Excel workbook" if content_format == XLSX else "CSV text"
        raise FileRefused(f"The file is named .{suffix} but holds {what}: rename it to .{content_format}.")
    return content_format


def _content_format(head: bytes, read_all: Callable[[], bytes], max_bytes: int) -> str:
    if head.startswith(b"PK\x03\x04"):
        data = read_all()
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                infos = archive.infolist()
        except (zipfile.BadZipFile, ValueError):
            raise FileRefused("The file is a damaged ZIP archive, not an Excel workbook (.xlsx).") from None
        names = {info.filename for info in infos}
        if not all(part in names for part in XLSX_PARTS):
            raise FileRefused("The file is a ZIP archive but not an Excel workbook (.xlsx).")
        if sum(info.file_size for info in infos) > max(len(data), max_bytes) * XLSX_MAX_EXPANSION:
            raise FileRefused("The workbook unpacks to far more than its size; it cannot be imported.")
        return XLSX
    for signature, what in SIGNATURES:
        if head.startswith(signature):
            raise FileRefused(f"The file is {what}, not a CSV file or an Excel workbook (.xlsx).")
    data = read_all()
    if b"\x00" in data:
        raise FileRefused("The file is not text: it is not a CSV file. Save the spreadsheet as CSV UTF-8 or .xlsx.")
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileRefused(
            f"The file is not UTF-8 text (line {line} has the byte 0x{data[exc.start]:02X}). "
            "Save the spreadsheet as CSV UTF-8, or upload it as .xlsx."
        ) from None
    return CSV


def check_uploaded_file(uploaded, max_bytes: int) -> str:
    """`check_upload` for a Django UploadedFile; leaves the file at its start."""

    def read_all() -> bytes:
        uploaded.seek(0)
        return uploaded.read()

    if uploaded.size <= max_bytes:
        uploaded.seek(0)
        head = uploaded.read(16)
    else:
        head = b""
    try:
        return check_upload(uploaded.name, uploaded.size, head, read_all, max_bytes)
    finally:
        uploaded.seek(0)


@dataclass
class Table:
    """A spreadsheet's header row and its data rows, each with its line (row) number in the file."""

    headers: list[str]
    header_line: int = 1
    rows: list[tuple[int, list]] = field(default_factory=list)


def estimate_rows(data: bytes, file_format: str) -> int:
    """About how many data rows a file holds, without reading it as a table."""
    if file_format == CSV:
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        return max(lines - 1, 0)  # less the header row
    try:
        return _xlsx_rows_estimate(data)
    except Exception:  # a damaged workbook: reading it as a table says what is wrong with it
        return 0


def _xlsx_rows_estimate(data: bytes) -> int:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    try:
        sheet = workbook.worksheets[0]
        if sheet.max_row:
            return max(sheet.max_row - 1, 0)
        # A workbook that does not record its size: count the sheet's rows in its XML.
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(sheet._worksheet_path) as xml:
            rows = sum(chunk.count(b"<row ") + chunk.count(b"<row>") for chunk in iter(lambda: xml.read(1 << 20), b""))
        return max(rows - 1, 0)
    finally:
        workbook.close()


def iter_raw_rows(data: bytes, file_format: str) -> Iterator[tuple[int, list]]:
    """Every non-blank row of the file's first sheet, with its line number; cells as read
    (text in CSV; text, numbers and dates in XLSX)."""
    if file_format == CSV:
        yield from _csv_rows(data)
    else:
        yield from _xlsx_rows(data)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list]]:
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise TableError(f"Line {reader.line_num} is not valid CSV ({exc}).") from None
        if any(value.strip() for value in values):
            yield line, values
        line = reader.line_num + 1


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error on a damaged workbook
        raise TableError(f"The workbook cannot be read ({exc}).") from None
    try:
        sheet = workbook.worksheets[0]
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        while True:
            try:
                number, values = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # a damaged sheet, found as it is read
                raise TableError(f"The workbook cannot be read ({exc}).") from None
            cells = ["" if value is None else value for value in values]
            if any(str(value).strip() for value in cells):
                yield number, cells
    finally:
        workbook.close()


def read_table(data: bytes, file_format: str, progress: Callable[[int], None] | None = None) -> Table:
    """The file as a Table: the first non-blank row holds the column names."""
    rows = iter_raw_rows(data, file_format)
    try:
        header_line, headers = next(rows)
    except StopIteration:
        raise TableError("The file has no rows.") from None
    table = Table(headers=[str(header).strip() for header in headers], header_line=header_line)
    for count, row in enumerate(rows, start=1):
        table.rows.append(row)
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    if progress is not None:
        progress(len(table.rows))
    return table


PROGRESS_EVERY = 1000


def imported_text(value) -> str:
    """A cell's value as text for the import: numbers without a trailing .0, dates as YYYY-MM-DD,
    and a cell this portal exported as text (a quote before a formula-like value) without the quote."""
    if type(value) is str:  # nearly every cell: CSV holds nothing else
        if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
            value = value[1:]
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        text = text[1:]
    return text.strip()
