"""Reading an uploaded file: the one path every import and upload of the portal goes through.

The national lead's imports (organisations from ODS files, people, memberships: on the import
pages, in the admin and with `manage.py import_ods`), a chair's Teams and plain attendance imports
and a committee's terms of reference are all read here. Before anything is written, and before a
file is parsed further than it needs to be, it is checked in this order; each refusal is an
`UploadRefused` whose message tells the person uploading what is wrong and what to do:

1. Its size, from the size the upload declares, before any of it is read (`Limits.max_bytes`).
2. Its type, from its first bytes, never from its name (`content_kind`): a ZIP archive (XLSX and
   DOCX are ZIP archives), a PDF, an old-style Office file (.xls, .doc), a picture, a program or
   another archive; anything else is taken for text, which decoding then confirms or refuses.
3. An archive's directory, before anything in it is inflated (`open_archive`): at most
   ARCHIVE_MAX_MEMBERS members, none encrypted or compressed other than by deflate, none unpacking
   to more than `max_part_bytes` and all of them together to no more than `max_unpacked_bytes`.
   Whoever made the file wrote the directory, and it can lie, so every member is then read
   through `_Member`, which refuses it the moment it inflates past the size the directory gave.
4. Text is decoded (`decode_text`): UTF-8, with or without its byte-order mark, or UTF-16 with its
   byte-order mark (Excel's "Unicode text"). When `guess_encoding` is on (every importer but
   the ODS one, see organisations.ods) bytes that are not UTF-8 are read as UTF-16 when they are
   laid out as UTF-16 text without a mark is (every other byte NUL), and otherwise as
   Windows-1252, what Excel's "CSV (Comma delimited)" writes on a Windows PC: tried only once the
   bytes have failed as UTF-8, so a UTF-8 file is never misread. Text holding control characters
   is refused as not text.
5. Rows are streamed (`iter_rows`), CSV and XLSX alike: at most `max_rows` rows with a value, at
   most `max_cells` cells in a row and `max_cell_characters` characters in a cell; a refused row
   names its line. Empty cells after a row's last value (which spreadsheets leave behind) are
   dropped, not counted. `read_table` also refuses a row with values beyond its header's last
   column (`extra_cells_message`).

XLSX is read by the streaming reader here (`_xlsx_rows`) rather than openpyxl. openpyxl's
read-only mode streams the sheet, but it builds whole trees of the styles, the workbook and the
manifest (about 45 bytes of memory for each byte of styles.xml: a 4 MB one took 175 MB), pads every
row to the size the sheet claims for itself and parses the rows into a dict per cell. This reader
reads only the parts an import needs (the workbook, its relationships, the number formats of the
styles, the shared strings and the first worksheet), each through defusedxml's parser (no DTD, no
entities) with a target that keeps no tree: what stays in memory is the shared strings and the
rows read, each bounded by the limits above. Values are read as openpyxl reads them (data only:
a formula's cached value; numbers with a date format as dates, with openpyxl's own helpers).

A workbook whose first sheet python-calamine reads as openpyxl does (no date or time formats, no
escaped characters, phonetic guides, error cells or prefixed elements; every cell and row with
its reference) is read by calamine instead, about five times as fast, from the parts already
inflated through the checks above and only when the sheet's span is small enough for the grid
calamine builds of it (`_calamine_rows`); anything else, and every refusal, is the streaming
reader's, in its words.

So the memory an upload can take is bounded by the limits whatever it holds: tests/test_uploads.py
sends crafted files through every upload path in a child process and checks its peak against 300 MB;
bench/uploads.py prints each path's largest accepted and worst refused upload, and the time to
refuse a bomb.
"""

import codecs
import contextlib
import copy
import csv
import datetime
import functools
import io
import json
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import python_calamine
from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)

# An XLSX or DOCX file holds a few dozen members; a directory of more is not one.
ARCHIVE_MAX_MEMBERS = 10_000
# Excel's own limit of cell formats in a workbook is 64,000: a styles part with more is not Excel's.
XLSX_MAX_CELL_FORMATS = 65_536
# Only the first sheets are looked at to find the first worksheet (a chart sheet may come first).
XLSX_SHEETS_LOOKED_AT = 100
READ_CHUNK = 64 * 1024


class UploadRefused(Exception):
    """The file cannot be taken: too large, not what it should be, damaged, or beyond a limit. The
    message says why, in words for the person who uploaded it, and what to do; `code` names the
    kind of refusal for a caller that words one itself (NOT_AN_ARCHIVE)."""

    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message)
        self.code = code


NOT_AN_ARCHIVE = "not_an_archive"


@dataclass(frozen=True)
class Limits:
    """How much of an upload is read. `max_bytes` is the upload's own size; the unpacked sizes are
    an archive's (XLSX, DOCX) once inflated, in all and per member; the rest are a table's."""

    max_bytes: int
    max_unpacked_bytes: int
    max_part_bytes: int
    max_rows: int = 0
    max_cells: int = 0
    max_cell_characters: int = 0


def import_limits() -> Limits:
    """The limits of every import (settings IMPORT_MAX_* and UPLOAD_MAX_UNPACKED_*)."""
    return Limits(
        max_bytes=settings.IMPORT_MAX_UPLOAD_BYTES,
        max_unpacked_bytes=settings.UPLOAD_MAX_UNPACKED_BYTES,
        max_part_bytes=settings.UPLOAD_MAX_UNPACKED_PART_BYTES,
        max_rows=settings.IMPORT_MAX_ROWS,
        max_cells=settings.IMPORT_MAX_COLUMNS,
        max_cell_characters=settings.IMPORT_MAX_CELL_CHARACTERS,
    )


def document_limits() -> Limits:
    """The limits of a committee's terms of reference (TERMS_OF_REFERENCE_MAX_BYTES)."""
    return Limits(
        max_bytes=settings.TERMS_OF_REFERENCE_MAX_BYTES,
        max_unpacked_bytes=settings.UPLOAD_MAX_UNPACKED_BYTES,
        max_part_bytes=settings.UPLOAD_MAX_UNPACKED_PART_BYTES,
    )


# Size and type ------------------------------------------------------------------------------------


def check_size(size: int | None, max_bytes: int) -> None:
    """Refuse an upload from its declared size, before any of it is read."""
    if size is None or size > max_bytes:
        shown = f"The file is {filesizeformat(size)}; the" if size is not None else "The"
        raise UploadRefused(
            f"{shown} largest file accepted is {filesizeformat(max_bytes)}. Split it into smaller files and send each."
        )
    if size == 0:
        raise UploadRefused("The file is empty.")


def read_upload(uploaded, max_bytes: int) -> bytes:
    """An uploaded file's bytes (a Django UploadedFile, or any file with `size` and `read`): its
    declared size is checked first, and no more than `max_bytes` + 1 bytes are ever read."""
    check_size(getattr(uploaded, "size", None), max_bytes)
    uploaded.seek(0)
    data = uploaded.read(max_bytes + 1)
    uploaded.seek(0)
    check_size(len(data), max_bytes)
    return data


ZIP, PDF, OLE, TEXT = "zip", "pdf", "ole", "text"
PROGRAM = "program"

# The first bytes of the files an upload may turn out to be, and what to call each.
SIGNATURES = (
    (b"PK\x03\x04", ZIP, "a ZIP archive"),
    (b"%PDF", PDF, "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE, "an old-style Excel (.xls) or Word (.doc) file"),
    (b"\x89PNG\r\n\x1a\n", "png", "a PNG image"),
    (b"\xff\xd8\xff", "jpeg", "a JPEG image"),
    (b"GIF87a", "gif", "a GIF image"),
    (b"GIF89a", "gif", "a GIF image"),
    (b"MZ", PROGRAM, "a Windows program"),
    (b"\x7fELF", PROGRAM, "a program"),
    (b"\x1f\x8b", "gzip", "a gzip archive"),
    (b"Rar!", "rar", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z", "a 7-Zip archive"),
)


def content_kind(head: bytes) -> tuple[str, str]:
    """What a file is from its first bytes: (kind, what to call it), the kind one of ZIP, PDF, OLE,
    PROGRAM, TEXT or another picture or archive. TEXT means no other signature matched."""
    for signature, kind, what in SIGNATURES:
        if head.startswith(signature):
            return kind, what
    return TEXT, "text"


# Archives -----------------------------------------------------------------------------------------


def open_archive(data: bytes, limits: Limits, *, what: str) -> zipfile.ZipFile:
    """The ZIP archive, once its directory is checked against the limits (nothing is inflated).
    `what` names the file in the messages ("workbook", "document")."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise UploadRefused(
            f"The file is a damaged ZIP archive, not a {what} that can be read.", code=NOT_AN_ARCHIVE
        ) from None
    if len(members) > ARCHIVE_MAX_MEMBERS:
        raise UploadRefused(f"The file holds {len(members):,} parts; a {what} has a few dozen. It cannot be read.")
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise UploadRefused(f"The {what} is password-protected. Remove the password, save it and upload it again.")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UploadRefused(
                f"The {what} is compressed in a way this portal does not read. Save it again and upload it."
            )
        if member.file_size > limits.max_part_bytes:
            raise UploadRefused(
                f"One part of the {what} ({member.filename[:100]}) unpacks to {filesizeformat(member.file_size)}; "
                f"the most accepted is {filesizeformat(limits.max_part_bytes)}. {_smaller(what)}"
            )
        total += member.file_size
    if total > limits.max_unpacked_bytes:
        raise UploadRefused(
            f"The {what} unpacks to {filesizeformat(total)}; the most accepted is "
            f"{filesizeformat(limits.max_unpacked_bytes)}. {_smaller(what)}"
        )
    return archive


def _smaller(what: str) -> str:
    if what == "workbook":
        return "Save it as CSV, or split it into smaller workbooks, and import each."
    return "Save it as a PDF, or make it smaller (fewer or smaller pictures), and upload it again."


class _Member:
    """One member of an archive, inflated as it is read; refused (UploadRefused) the moment it
    inflates past the size the archive's directory gave it, or when it is damaged.

    zipfile stops inflating a member at its declared size and then fails on its checksum; the
    member is opened here as declaring a little more (two chunks), so that a member that holds more
    is seen to, within a chunk of its declared size, and named for what it is."""

    def __init__(self, archive: zipfile.ZipFile, member: zipfile.ZipInfo, *, what: str):
        self.name = member.filename
        self.declared = member.file_size
        self.inflated = 0
        self.what = what
        probe = copy.copy(member)
        probe.file_size = member.file_size + 2 * READ_CHUNK
        try:
            self._stream = archive.open(probe)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError):
            raise self._damaged() from None

    def _damaged(self) -> UploadRefused:
        return UploadRefused(
            f"The {self.what} is damaged (its part {self.name[:100]} cannot be read). Save it again and upload it."
        )

    def read(self, size: int = READ_CHUNK) -> bytes:
        try:
            data = self._stream.read(min(size, READ_CHUNK) if size and size > 0 else READ_CHUNK)
        except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError):
            raise self._damaged() from None
        self.inflated += len(data)
        if self.inflated > self.declared:
            raise UploadRefused(
                f"The {self.what} is damaged: its part {self.name[:100]} unpacks to more than the archive's "
                f"directory says ({filesizeformat(self.declared)}). It cannot be read."
            )
        return data

    def close(self) -> None:
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_archive(data: bytes, limits: Limits, *, what: str) -> zipfile.ZipFile:
    """`open_archive`, then every member inflated (and dropped, a chunk at a time) to prove the
    directory true: for a file that is stored as it came (a terms of reference), not parsed."""
    archive = open_archive(data, limits, what=what)
    for member in archive.infolist():
        with _Member(archive, member, what=what) as stream:
            while stream.read(READ_CHUNK):
                pass
    return archive


# Text ---------------------------------------------------------------------------------------------

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
NOT_TEXT = "The file is not text: it is not a CSV file. Save the spreadsheet as CSV UTF-8 or .xlsx."


def _mark(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of `data` names, if any."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _unmarked_utf16(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" when the start of `data` is laid out as UTF-16 text without a
    byte-order mark is (mostly Latin text: one byte in each pair NUL, the other never); else None."""
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    if len(sample) < 4 or len(sample) % 2:
        return None
    if odd.count(0) * 10 >= len(odd) * 4 and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) * 10 >= len(even) * 4 and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _line_of(data: bytes, position: int) -> int:
    return data[:position].count(b"\n") + 1


def decode_text(data: bytes, *, guess_encoding: bool = True) -> str:
    """The text of a CSV (or tab-separated) upload, decoded as the module docstring says (4);
    UploadRefused naming the line when it is not text."""
    encoding = _mark(data)
    if encoding is None and guess_encoding:
        encoding = _unmarked_utf16(data)
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            raise UploadRefused(
                "The file is not UTF-16 text as its first bytes say. Save the spreadsheet as CSV UTF-8 or .xlsx."
            ) from None
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if not guess_encoding:
                raise UploadRefused(
                    f"The file is not UTF-8 text (line {_line_of(data, exc.start)} has the byte "
                    f"0x{data[exc.start]:02X}). Save the spreadsheet as CSV UTF-8, or upload it as .xlsx."
                ) from None
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise UploadRefused(NOT_TEXT) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if CONTROL_CHARACTERS.search(text):
        raise UploadRefused(NOT_TEXT)
    return text


def text_lines(data: bytes, limits: Limits) -> Iterator[tuple[int, str, str]]:
    """Each non-blank line of a text file as (line number, text, problem), decoded strictly: UTF-8
    (a byte-order mark allowed) line by line, a line that is not UTF-8 keeping its number and
    carrying the problem; or UTF-16 with its byte-order mark, as a whole. No guessing (the ODS
    import, whose docstring says why). At most `max_rows` lines."""
    if _mark(data) == "utf-16":
        try:
            lines = data.decode("utf-16").split("\n")
        except UnicodeDecodeError:
            raise UploadRefused("The file is not UTF-16 text as its first bytes say. Save it as CSV UTF-8.") from None
        raw_lines = None
    else:
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        raw_lines = data.split(b"\n")
        lines = None
    rows = 0
    for number, raw in enumerate(raw_lines if lines is None else lines, start=1):
        if isinstance(raw, bytes):
            raw = raw.rstrip(b"\r")
            if not raw.strip():
                continue
            problem = ""
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                text = raw.decode("utf-8", errors="replace")
                problem = (
                    f"the line is not UTF-8 text (byte 0x{raw[exc.start]:02X} at position {exc.start + 1}); "
                    "save the file as UTF-8"
                )
        else:
            text = raw.rstrip("\r")
            if not text.strip():
                continue
            problem = ""
        rows += 1
        if limits.max_rows and rows > limits.max_rows:
            raise UploadRefused(_too_many_rows(limits))
        yield number, text, problem


def delimiter_of(sample: str) -> str:
    """A tab when the sample (a file's first line, or its first 64 KB) has tabs and no fewer than
    commas (Excel's "Unicode text" and Teams' reports are tab-separated), else a comma."""
    tabs = sample.count("\t")
    return "\t" if tabs and tabs >= sample.count(",") else ","


# Limits on rows and cells -------------------------------------------------------------------------


def _too_many_rows(limits: Limits) -> str:
    return (
        f"The file has more than {limits.max_rows:,} rows; at most {limits.max_rows:,} are read at once. "
        "Split it into smaller files and send each."
    )


def _is_empty(value) -> bool:
    return value is None or value == ""


def _has_value(value) -> bool:
    return bool(value.strip()) if isinstance(value, str) else value is not None


def trimmed(cells: list) -> list:
    """The cells up to the last one with a value."""
    end = len(cells)
    while end and _is_empty(cells[end - 1]):
        end -= 1
    return cells if end == len(cells) else cells[:end]


def check_cells(line: int, cells: list, limits: Limits) -> None:
    """Refuse a row with more cells than `max_cells`, or a cell longer than `max_cell_characters`
    (`cells` already trimmed of its trailing empty cells)."""
    if limits.max_cells and len(cells) > limits.max_cells:
        raise UploadRefused(
            f"Line {line} has {len(cells):,} cells; at most {limits.max_cells:,} are read. "
            "Remove what is to the right of the last column and upload the file again."
        )
    if limits.max_cell_characters:
        for position, value in enumerate(cells):
            if isinstance(value, str) and len(value) > limits.max_cell_characters:
                raise UploadRefused(_too_long(line, position + 1, len(value), limits))


def _too_long(line: int, column: int, length: int | None, limits: Limits) -> str:
    holds = f"holds {length:,} characters" if length else "is too long"
    return (
        f"Line {line}, column {column_letter(column)}: the cell {holds}; at most "
        f"{limits.max_cell_characters:,} are read. Shorten it and upload the file again."
    )


def extra_cells_message(line: int, cells: list, width: int, header_line: int) -> str | None:
    """What is wrong with a row holding values beyond its header's last column (None if nothing):
    a cell there would be read under no column, so it is refused rather than dropped unseen."""
    cells = trimmed(cells)
    if len(cells) <= width:
        return None
    return (
        f"Line {line} has {len(cells):,} cells but the header row (line {header_line}) names "
        f"{width:,} columns. Remove what is to the right of the last column, or give it a heading."
    )


def column_letter(number: int) -> str:
    """The spreadsheet's name of a column (1 is A, 27 is AA)."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# A file wrong on every line is shown this many errors (and a line saying how many more there are).
ERRORS_LISTED = 1_000


def more_errors(count: int) -> str:
    """What to say of the errors after the first ERRORS_LISTED of `count`."""
    return (
        f"… and {count - ERRORS_LISTED:,} more errors: only the first {ERRORS_LISTED:,} are listed. "
        "Correct these and send the file again."
    )


# Rows ---------------------------------------------------------------------------------------------


def iter_rows(
    data: bytes, file_format: str, limits: Limits, *, guess_encoding: bool = True, keep_blank: bool = False
) -> Iterator[tuple[int, list]]:
    """Every row with a value of the file (CSV or XLSX, the first worksheet), as (line or sheet row
    number, cells up to the last with a value); cells are text in CSV, and text, numbers, dates,
    times and booleans in XLSX ("" for an empty cell). With `keep_blank`, each run of blank lines
    between rows is one (line, []) row, where it starts: for files whose sections end at a blank
    line (a Teams report). The limits are checked as the rows are read."""
    rows = _csv_rows(data, limits, guess_encoding) if file_format == CSV else _xlsx_rows(data, limits)
    count = 0
    blank = False
    for line, cells in rows:
        cells = trimmed(cells)
        if not any(_has_value(value) for value in cells):
            if keep_blank and not blank and count:
                yield line, []
            blank = True
            continue
        blank = False
        count += 1
        if limits.max_rows and count > limits.max_rows:
            raise UploadRefused(_too_many_rows(limits))
        if file_format == CSV:  # the workbook's readers check the cells as they read them
            check_cells(line, cells, limits)
        yield line, cells


def _csv_rows(data: bytes, limits: Limits, guess_encoding: bool) -> Iterator[tuple[int, list]]:
    text = decode_text(data, guess_encoding=guess_encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text[:READ_CHUNK]), strict=True)
    line = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise UploadRefused(
                    f"Line {line}: a cell is too long; at most {limits.max_cell_characters:,} characters are read. "
                    "Shorten it and upload the file again."
                ) from None
            raise UploadRefused(f"Line {line} is not valid CSV ({exc}). Check its quotation marks.") from None
        yield line, values
        line = reader.line_num + 1


@dataclass
class Table:
    """A spreadsheet's header row and its data rows, each with its line (row) number in the file."""

    headers: list[str]
    header_line: int = 1
    rows: list[tuple[int, list]] = field(default_factory=list)


PROGRESS_EVERY = 1000


def read_table(
    data: bytes,
    file_format: str,
    limits: Limits,
    *,
    guess_encoding: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Table:
    """The file as a Table: the first row with a value holds the column names; a row with values
    beyond the last of them is refused (`extra_cells_message`)."""
    return table_of(iter_rows(data, file_format, limits, guess_encoding=guess_encoding), progress=progress)


def table_of(rows: Iterable[tuple[int, list]], *, progress: Callable[[int], None] | None = None) -> Table:
    """`read_table` of rows already read (`iter_rows`, or `unpack_rows` of them)."""
    rows = iter(rows)
    try:
        header_line, headers = next(rows)
    except StopIteration:
        raise UploadRefused("The file has no rows.") from None
    table = Table(headers=[str(header).strip() for header in headers], header_line=header_line)
    width = len(table.headers)
    for count, (line, cells) in enumerate(rows, start=1):
        message = extra_cells_message(line, cells, width, header_line)
        if message:
            raise UploadRefused(message)
        table.rows.append((line, cells))
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    if progress is not None:
        progress(len(table.rows))
    return table


# Rows read once ------------------------------------------------------------------------------------

# The types of the values `iter_rows` gives beside text, numbers and booleans, by the tag they are
# packed under (the subclass first: a datetime is a date).
_PACKED_TYPES = (
    ("datetime", datetime.datetime),
    ("date", datetime.date),
    ("time", datetime.time),
)


def _pack_value(value):
    if isinstance(value, datetime.timedelta):
        return {"$": "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    for tag, kind in _PACKED_TYPES:
        if isinstance(value, kind):
            return {"$": tag, "v": value.isoformat()}
    raise TypeError(f"A cell of type {type(value).__name__} cannot be kept.")


def _unpack_value(packed: dict):
    tag, value = packed.get("$"), packed.get("v")
    if tag == "timedelta":
        return datetime.timedelta(*value)
    return dict(_PACKED_TYPES)[tag].fromisoformat(value)


def pack_rows(rows: Iterable[tuple[int, list]]) -> bytes:
    """Rows as `iter_rows` gives them (line, cells), kept as bytes (JSON, deflated), so that a file
    read once within the limits is read again from them rather than parsed a second time: a
    workbook's check and import read the rows its upload form read. `unpack_rows` gives them back,
    each value of the same type and value."""
    text = json.dumps(list(rows), default=_pack_value, ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8"), 1)


def unpack_rows(packed: bytes) -> list[tuple[int, list]]:
    """The rows `pack_rows` kept, as (line, cells)."""
    rows = json.loads(zlib.decompress(packed).decode("utf-8"), object_hook=_unpack_value)
    return [(line, cells) for line, cells in rows]


def spreadsheet_format(name: str, data: bytes, limits: Limits, *, expected: str, require_suffix: bool = False) -> str:
    """CSV or XLSX, from the content of a file already read (`read_upload`); the name, when it ends
    in .csv or .xlsx, must agree (and must, with `require_suffix`). `expected` says what should have
    been sent, for the messages. An archive's directory is checked here (`open_archive`)."""
    suffix = name.rpartition(".")[2].lower() if "." in name else ""
    if require_suffix and suffix not in FORMATS:
        raise UploadRefused("Upload a CSV file (.csv) or an Excel workbook (.xlsx).")
    kind, what = content_kind(data[:16])
    if kind == ZIP:
        file_format = XLSX
    elif kind == TEXT:
        file_format = CSV
    elif kind == OLE:
        raise UploadRefused(f"The file is {what}, not {expected}. Save it as an Excel workbook (.xlsx) or CSV.")
    else:
        raise UploadRefused(f"The file is {what}, not {expected}.")
    if suffix in FORMATS and suffix != file_format:
        holds = "an Excel workbook" if file_format == XLSX else "CSV text"
        raise UploadRefused(f"The file is named .{suffix} but holds {holds}: rename it to .{file_format}.")
    if file_format == XLSX:
        archive = open_archive(data, limits, what="workbook")
        if "xl/workbook.xml" not in archive.namelist():
            raise UploadRefused("The file is a ZIP archive but not an Excel workbook (.xlsx).")
    return file_format


# XLSX ---------------------------------------------------------------------------------------------

WORKBOOK = "xl/workbook.xml"
DATE, TIMEDELTA = 1, 2
# How many distinct numbers and dates a sheet's reader keeps to reuse (see _SheetTarget.values).
VALUES_KEPT = 10_000


def _local(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :]


class _NoTree:
    def close(self):
        return None


def _parser(handler) -> DefusedXMLParser:
    """defusedxml's parser (no DTD, no entities, no external references), with `handler`'s start,
    end and data called by expat directly: no tree is built, and no dict per element (a start gets
    the element's name, "namespace}name", and its attributes as a list of names and values)."""
    parser = DefusedXMLParser(target=_NoTree(), forbid_dtd=True)
    expat = parser.parser
    expat.StartElementHandler = handler.start
    expat.EndElementHandler = handler.end
    expat.CharacterDataHandler = handler.data
    return parser


def _attributes(attributes: list) -> dict:
    return dict(zip(attributes[::2], attributes[1::2], strict=True))


def _parse(stream: _Member, handler) -> None:
    """Feed a part to `_parser(handler)`, a chunk at a time; `handler` may stop it by raising _Stop."""
    parser = _parser(handler)
    try:
        while chunk := stream.read(READ_CHUNK):
            parser.feed(chunk)
        parser.close()
    except _Stop:
        return
    except DefusedXmlException:
        raise UploadRefused(
            f"The workbook holds XML this portal does not read (a DTD or entities, in {stream.name[:100]}). "
            "Save it again from Excel and upload it."
        ) from None
    except ParseError:
        raise UploadRefused(
            f"The workbook is damaged ({stream.name[:100]} is not well-formed XML). Save it again and upload it."
        ) from None


class _Stop(Exception):
    """A target has read all it needs of a part."""


def _resolve(base: str, target: str) -> str:
    """A relationship's target as a member name (relative to the folder of `base`, or absolute)."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


class _WorkbookTarget:
    """xl/workbook.xml: the date system and the ids of the first sheets, in order."""

    def __init__(self):
        self.date1904 = False
        self.sheet_ids: list[str] = []

    def start(self, tag, attributes):
        name = _local(tag)
        attrib = _attributes(attributes)
        if name == "workbookPr":
            self.date1904 = attrib.get("date1904", "").lower() in ("1", "true")
        elif name == "sheet" and len(self.sheet_ids) < XLSX_SHEETS_LOOKED_AT:
            rid = next((value for key, value in attrib.items() if _local(key) == "id" and key != "id"), None)
            if rid:
                self.sheet_ids.append(rid)

    def end(self, tag):
        if _local(tag) == "sheets":
            raise _Stop

    def data(self, text):
        pass

    def close(self):
        return None


class _RelsTarget:
    """A relationships part: the targets of the wanted ids and the first target of each wanted type."""

    def __init__(self, ids, types):
        self.ids = set(ids)
        self.types = types
        self.by_id: dict[str, tuple[str, str]] = {}
        self.by_type: dict[str, str] = {}

    def start(self, tag, attributes):
        if _local(tag) != "Relationship":
            return
        attrib = _attributes(attributes)
        kind = attrib.get("Type", "").rpartition("/")[2]
        target = attrib.get("Target", "")
        if attrib.get("TargetMode") == "External":
            return
        if attrib.get("Id") in self.ids:
            self.by_id[attrib["Id"]] = (kind, target)
        if kind in self.types:
            self.by_type.setdefault(kind, target)

    def end(self, tag):
        pass

    def data(self, text):
        pass

    def close(self):
        return None


class _StylesTarget:
    """xl/styles.xml: for each cell format (cellXfs), whether its number format is a date or a
    duration, as openpyxl decides it; a bytearray, one byte per format."""

    def __init__(self):
        self.custom: dict[int, str] = {}
        self.kinds = bytearray()
        self.in_cell_xfs = False
        self.depth_in_xf = 0

    def start(self, tag, attributes):
        name = _local(tag)
        attrib = _attributes(attributes) if attributes else {}
        if name == "numFmt":
            if len(self.custom) >= XLSX_MAX_CELL_FORMATS:
                raise UploadRefused("The workbook has more number formats than Excel allows. Save it as CSV.")
            with contextlib.suppress(ValueError):
                self.custom[int(attrib.get("numFmtId", ""))] = attrib.get("formatCode", "")[:255]
        elif name == "cellXfs":
            self.in_cell_xfs = True
        elif name == "xf" and self.in_cell_xfs:
            if len(self.kinds) >= XLSX_MAX_CELL_FORMATS:
                raise UploadRefused(
                    f"The workbook has more than {XLSX_MAX_CELL_FORMATS:,} cell formats, more than Excel allows. "
                    "Save it as CSV, or clear the formatting, and upload it again."
                )
            try:
                number_format = int(attrib.get("numFmtId", "0"))
            except ValueError:
                number_format = 0
            code = (
                self.custom.get(number_format) if number_format in self.custom else BUILTIN_FORMATS.get(number_format)
            )
            kind = 0
            if is_date_format(code):
                kind = TIMEDELTA if is_timedelta_format(code) else DATE
            self.kinds.append(kind)

    def end(self, tag):
        if _local(tag) == "cellXfs":
            raise _Stop

    def data(self, text):
        pass

    def close(self):
        return None


class _SharedStringsTarget:
    """xl/sharedStrings.xml: every string, as openpyxl reads it (the text runs of each, without
    phonetic guides). A string longer than the cell limit is kept only as its length, and refused
    when a cell uses it."""

    def __init__(self, limits: Limits):
        self.strings: list = []
        self.max_characters = limits.max_cell_characters
        self.parts: list[str] | None = None
        self.length = 0
        self.in_si = False
        self.phonetic = 0
        self.collecting = False

    def start(self, tag, attributes):
        name = _local(tag)
        if name == "si":
            self.in_si, self.parts, self.length = True, [], 0
        elif name == "rPh":
            self.phonetic += 1
        elif name == "t" and self.in_si and not self.phonetic:
            self.collecting = True

    def end(self, tag):
        name = _local(tag)
        if name == "si":
            if self.parts is None:
                self.strings.append(_TooLong(self.length))
            else:
                self.strings.append("".join(self.parts).replace("x005F_", ""))
            self.in_si, self.parts = False, None
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "t":
            self.collecting = False

    def data(self, text):
        if self.collecting and self.in_si:
            self.length += len(text)
            if self.parts is not None:
                if self.max_characters and self.length > self.max_characters:
                    self.parts = None
                else:
                    self.parts.append(text)

    def close(self):
        return None


@dataclass(frozen=True)
class _TooLong:
    """A shared string longer than the cell limit, of which only the length is kept."""

    length: int


_CELL, _VALUE, _INLINE, _TEXT, _ROW, _PHONETIC = "c", "v", "is", "t", "row", "rPh"


class _SheetTarget:
    """The first worksheet, a row at a time: each row's cells with a value, placed by their column;
    rows go to `ready` as they end (the caller takes them after each chunk is fed)."""

    def __init__(self, limits: Limits, strings: list, styles: bytearray, epoch):
        self.limits = limits
        self.strings = strings
        self.styles = styles
        self.epoch = epoch
        self.ready: list[tuple[int, list]] = []
        self.line = 0
        self.column = 0
        self.cells: list[tuple[int, object]] = []
        self.cell_type = None
        self.cell_style = None
        self.collecting = False
        self.in_inline = False
        self.phonetic = 0
        self.parts: list[str] = []
        self.length = 0
        self.has_text = False
        self.names: dict[str, str] = {}
        # Numbers and dates already read, by their text and format: a repeated value is one object.
        self.values: dict[tuple[str, int], object] = {}

    def _name(self, tag: str) -> str:
        name = self.names[tag] = _local(tag)
        return name

    def start(self, tag, attributes):
        name = self.names.get(tag) or self._name(tag)
        if name == _CELL:
            ref = cell_type = style = None
            for position in range(0, len(attributes), 2):
                key = attributes[position]
                if key == "r":
                    ref = attributes[position + 1]
                elif key == "t":
                    cell_type = attributes[position + 1]
                elif key == "s":
                    style = attributes[position + 1]
            self.column = _column_of(ref) if ref else self.column + 1
            self.cell_type, self.cell_style = cell_type, style
            self.parts, self.length, self.has_text = [], 0, False
        elif name == _VALUE and not self.in_inline:
            self.collecting, self.has_text = True, True
        elif name == _INLINE:
            self.in_inline, self.has_text = True, True
        elif name == _TEXT and self.in_inline and not self.phonetic:
            self.collecting = True
        elif name == _PHONETIC:
            self.phonetic += 1
        elif name == _ROW:
            ref = _attributes(attributes).get("r")
            try:
                self.line = int(ref) if ref else self.line + 1
            except ValueError:
                self.line += 1
            self.column = 0
            self.cells = []

    def end(self, tag):
        name = self.names.get(tag) or self._name(tag)
        if name == _CELL:
            if self.has_text:
                value = self._value()
                if not _is_empty(value):
                    if self.limits.max_cells and self.column > self.limits.max_cells:
                        raise UploadRefused(
                            f"Line {self.line} has a value in column {column_letter(self.column)}; at most "
                            f"{self.limits.max_cells:,} columns are read. Remove what is to the right of the last "
                            "column and upload the file again."
                        )
                    self.cells.append((self.column, value))
            self.collecting = False
        elif name == _ROW:
            if self.cells:
                row = [""] * max(column for column, _ in self.cells)
                for column, value in self.cells:
                    row[column - 1] = value
                self.ready.append((self.line, row))
            self.cells = []
        elif name in (_VALUE, _TEXT):
            self.collecting = False
        elif name == _INLINE:
            self.in_inline = False
        elif name == _PHONETIC:
            self.phonetic -= 1

    def data(self, text):
        if self.collecting:
            self.length += len(text)
            if self.limits.max_cell_characters and self.length > self.limits.max_cell_characters:
                raise UploadRefused(_too_long(self.line, self.column, None, self.limits))
            self.parts.append(text)

    def close(self):
        return None

    def _value(self):
        text = "".join(self.parts)
        kind = self.cell_type
        if kind == "inlineStr":
            return text
        if text == "":
            return None
        if kind == "s":
            try:
                value = self.strings[int(text)]
            except (ValueError, IndexError):
                raise UploadRefused(
                    f"The workbook is damaged: line {self.line}, column {column_letter(self.column)} refers to a "
                    "text the workbook does not hold. Save it again and upload it."
                ) from None
            if isinstance(value, _TooLong):
                raise UploadRefused(_too_long(self.line, self.column, value.length, self.limits))
            return value
        if kind in ("str", "e"):
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            try:
                return from_ISO8601(text)
            except ValueError:
                return text
        style = 0
        if self.cell_style and self.styles:
            try:
                style = self.styles[int(self.cell_style)]
            except (ValueError, IndexError):
                style = 0
        key = (text, style)
        value = self.values.get(key)
        if value is None:
            value = self._number(text, style)
            if len(self.values) >= VALUES_KEPT:
                self.values.clear()
            self.values[key] = value
        return value

    def _number(self, text: str, style: int):
        try:
            number = float(text) if "." in text or "E" in text or "e" in text else int(text)
        except ValueError:
            raise UploadRefused(
                f"The workbook is damaged: line {self.line}, column {column_letter(self.column)} holds "
                f"“{text[:50]}” as a number. Save it again and upload it."
            ) from None
        if style:
            try:
                return from_excel(number, self.epoch, timedelta=style == TIMEDELTA)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return number


@functools.lru_cache(maxsize=20_000)
def _column_number(letters: str) -> int:
    number = 0
    for character in letters.upper()[:3]:
        if not "A" <= character <= "Z":
            return 0
        number = number * 26 + ord(character) - 64
    return number


def _column_of(ref: str) -> int:
    """The column number of a cell reference such as "B7" (1 for A; 0 when it is no reference)."""
    return _column_number(ref.rstrip("0123456789").lstrip("$"))


def _xlsx_rows(data: bytes, limits: Limits) -> Iterator[tuple[int, list]]:
    archive = open_archive(data, limits, what="workbook")
    members = {member.filename: member for member in archive.infolist()}
    if WORKBOOK not in members:
        raise UploadRefused("The file is a ZIP archive but not an Excel workbook (.xlsx).")

    def part(name: str) -> _Member:
        return _Member(archive, members[name], what="workbook")

    workbook = _WorkbookTarget()
    with part(WORKBOOK) as stream:
        _parse(stream, workbook)
    rels_name = _rels_name(WORKBOOK)
    rels = _RelsTarget(workbook.sheet_ids, {"sharedStrings", "styles"})
    if rels_name in members:
        with part(rels_name) as stream:
            _parse(stream, rels)
    sheet = next(
        (
            _resolve(WORKBOOK, rels.by_id[rid][1])
            for rid in workbook.sheet_ids
            if rid in rels.by_id and rels.by_id[rid][0] == "worksheet"
        ),
        None,
    )
    if sheet is None or sheet not in members:
        raise UploadRefused("The workbook has no worksheet to read. Save it again from Excel and upload it.")

    styles = _StylesTarget()
    styles_name = _resolve(WORKBOOK, rels.by_type["styles"]) if "styles" in rels.by_type else ""
    if styles_name in members:
        with part(styles_name) as stream:
            _parse(stream, styles)
    strings = _SharedStringsTarget(limits)
    strings_name = _resolve(WORKBOOK, rels.by_type["sharedStrings"]) if "sharedStrings" in rels.by_type else ""
    if strings_name in members:
        with part(strings_name) as stream:
            _parse(stream, strings)

    first_sheet = workbook.sheet_ids[0] if workbook.sheet_ids else None
    if not any(styles.kinds) and first_sheet in rels.by_id:
        names = ["[Content_Types].xml", "_rels/.rels", WORKBOOK, rels_name, styles_name, strings_name, sheet]
        if _resolve(WORKBOOK, rels.by_id[first_sheet][1]) == sheet:
            read = _calamine_rows(archive, members, names, sheet, strings_name, strings.strings, limits)
            if read is not None:
                yield from read
                return

    epoch = CALENDAR_MAC_1904 if workbook.date1904 else CALENDAR_WINDOWS_1900
    target = _SheetTarget(limits, strings.strings, styles.kinds, epoch)
    parser = _parser(target)
    with part(sheet) as stream:
        try:
            while chunk := stream.read(READ_CHUNK):
                parser.feed(chunk)
                yield from target.ready
                target.ready.clear()
            parser.close()
        except DefusedXmlException:
            raise UploadRefused(
                "The workbook holds XML this portal does not read (a DTD or entities). Save it again from Excel."
            ) from None
        except ParseError:
            raise UploadRefused(
                f"The workbook is damaged (its sheet is not well-formed XML after line {target.line}). "
                "Save it again and upload it."
            ) from None
    yield from target.ready
    target.ready.clear()


# The fast reader (python-calamine) reads a workbook whose parts it needs unpack to no more than
# this, and whose sheet spans no more cells than this (it holds the sheet as a grid of its span).
CALAMINE_MAX_BYTES = 32 * 1024 * 1024
CALAMINE_MAX_CELLS = 2_000_000
# What the fast reader leaves to the streaming one: in any part, a DTD, comment or CDATA ("<!");
# in the sheet and the shared strings, an escaped character ("_x", which calamine unescapes and
# openpyxl does not), a phonetic guide, an error or ISO-date cell, and elements with a prefix.
_CALAMINE_LEAVES = (b"<!",)
_CALAMINE_LEAVES_IN_CELLS = (b"<!", b"_x", b"<rPh", b't="e"', b't="d"')
_PREFIXED_ELEMENT = re.compile(rb"<\w+:")
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"')
_ROW_REF = re.compile(rb'<row r="([0-9]{1,7})"')
_INT_EXACT = 2**53


class _NotCalamines(Exception):
    """The fast reader leaves this workbook to the streaming reader."""


def _calamine_rows(archive, members, names, sheet, strings_name, strings, limits) -> list[tuple[int, list]] | None:
    """The rows of the first worksheet as `_SheetTarget` reads them, read by python-calamine, about
    five times as fast; None when the streaming reader is to read them (and say what is wrong).

    calamine is given only what has already been proved: the parts it reads, each inflated here
    through `_Member` (so no larger than the archive's directory says, and all of them together
    no larger than CALAMINE_MAX_BYTES), stored in an archive of their own. It builds the sheet as
    a grid of the sheet's span, so the span is counted first from the cells' references (every
    cell and row must have one), within CALAMINE_MAX_CELLS. What it reads otherwise than openpyxl
    is left to the streaming reader (see _CALAMINE_LEAVES; a workbook with a date or time format,
    a shared string longer than the cell limit), and so is every row or cell beyond the limits, so
    that refusals keep their words. Whole numbers are given as int, as the streaming reader does."""
    names = [name for name in dict.fromkeys(names) if name in members]
    if sum(members[name].file_size for name in names) > CALAMINE_MAX_BYTES:
        return None
    if any(isinstance(value, _TooLong) for value in strings):
        return None
    parts = {}
    for name in names:
        try:
            with _Member(archive, members[name], what="workbook") as stream:
                chunks = []
                while chunk := stream.read(READ_CHUNK):
                    chunks.append(chunk)
        except UploadRefused:
            return None  # the streaming reader says what is wrong, if it reads that part
        parts[name] = b"".join(chunks)
        in_cells = name in (sheet, strings_name)
        if any(text in parts[name] for text in (_CALAMINE_LEAVES_IN_CELLS if in_cells else _CALAMINE_LEAVES)):
            return None
        if in_cells and _PREFIXED_ELEMENT.search(parts[name]):
            return None
    sheet_xml = parts[sheet]
    cells = _CELL_REF.findall(sheet_xml)
    rows = _ROW_REF.findall(sheet_xml)
    if len(cells) != sheet_xml.count(b"<c ") + sheet_xml.count(b"<c>") or len(rows) != sheet_xml.count(
        b"<row "
    ) + sheet_xml.count(b"<row>"):
        return None
    width = max((_column_number(letters.decode()) for letters in set(cells)), default=0)
    height = max((int(row) for row in rows), default=0)
    if width * height > CALAMINE_MAX_CELLS:
        return None
    proved = io.BytesIO()
    with zipfile.ZipFile(proved, "w", zipfile.ZIP_STORED) as copy_of:
        for name, content in parts.items():
            copy_of.writestr(name, content)
    del parts, sheet_xml, cells, rows
    try:
        proved.seek(0)
        book = python_calamine.CalamineWorkbook.from_filelike(proved)
        del proved  # calamine holds its own copy
        grid = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        read = _calamine_values(grid, limits)
    except (_NotCalamines, python_calamine.CalamineError, ValueError, IndexError):
        return None
    return read if read or not width else None  # cells calamine did not see are the streaming reader's


def _calamine_values(grid: list[list], limits: Limits) -> list[tuple[int, list]]:
    rows = []
    max_cells, max_characters = limits.max_cells, limits.max_cell_characters
    for line, cells in enumerate(grid, start=1):
        end = len(cells)
        while end and cells[end - 1] == "":
            end -= 1
        if not end:
            continue
        if (max_cells and end > max_cells) or (limits.max_rows and len(rows) >= limits.max_rows):
            raise _NotCalamines  # the streaming reader refuses it, in its words
        row = cells[:end]
        try:
            longest = max(map(len, row))  # a row of text, as nearly every row is
        except TypeError:
            longest = None
        if longest is not None:
            if max_characters and longest > max_characters:
                raise _NotCalamines
            rows.append((line, row))
            continue
        for position, value in enumerate(row):
            kind = type(value)
            if kind is str:
                if max_characters and len(value) > max_characters:
                    raise _NotCalamines
            elif kind is float:
                if value.is_integer() and abs(value) < _INT_EXACT:
                    row[position] = int(value)
            elif kind not in (int, bool):
                raise _NotCalamines  # a date or time: calamine decides those otherwise than openpyxl
        rows.append((line, row))
    return rows


def count_rows(data: bytes, file_format: str, limits: Limits, *, guess_encoding: bool = True) -> int:
    """How many rows with a value the file holds, counted as they are read (nothing kept)."""
    return sum(1 for _ in iter_rows(data, file_format, limits, guess_encoding=guess_encoding))
