"""Reading and checking NHS Organisation Data Service (ODS) CSV files.

Two layouts are read:

- the standard 27-column ODS extract, with no header row: NHS trusts (``etr.csv``),
  sub-ICB locations (``eccg.csv``), community pharmacies (``edispensary.csv``), their
  head-office companies (``epharmacyhq.csv``) and GP practices (``epraccur.csv``);
- the ICB names file (``icb_names_codes_dec_2024.csv``), with a header row
  ``ICB24CD,ICB24CDH,ICB24NM,ObjectId``: ONS code, ODS code, name, object id.

Files are read as UTF-8 (a byte-order mark is allowed), or as UTF-16 when they start with
its byte-order mark (Excel's "Unicode text", tab-separated), and nothing else. ODS publishes
its extracts as plain ASCII text, so bytes that are not UTF-8 mean the file was damaged
or re-saved by another program; falling back to cp1252 would accept almost any bytes and
could store a wrongly decoded name without anyone noticing (UTF-16 is named by its mark, and
decodes nothing but text). Such a line is an error that names the line, like any other bad
row. The file is read through msonet.uploads, within the import limits (rows, cells per line,
characters per cell), like every upload.

The lead's import page also takes a workbook (.xlsx) with the same columns: `read_rows` reads
either, through msonet.uploads, into the rows of the portal's import report (msonet.reports.Row:
its line, its values, and why the line could not be read).

Nothing here touches the database. `read_csv` and `read_rows` turn the bytes into numbered rows;
`parse_rows` turns the rows into `OdsRecord`s, or into line-numbered errors (msonet.reports.RowError).
`organisations.services.ods_import` applies the records; the `import_ods` command, the lead's
import page and the admin's import screen all go through it.
"""

import codecs
import csv
import datetime
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath

from msonet import uploads
from msonet.columns import imported_text
from msonet.reports import Progress, Row, RowError

from .models import ODS_CODE_PATTERN, Organisation

COLUMN_COUNT = 27

# Zero-based positions of the columns the import reads in the 27-column layout.
CODE, NAME, REGION, ICB = 0, 1, 2, 3
ADDRESS = slice(4, 9)  # address lines 1 to 4, then town or county
POSTCODE, OPENED, CLOSED = 9, 10, 11
ROLE_CODES = 13  # ODS role codes, "|"-separated (eccg.csv)
PARENT = 14  # the parent organisation: a pharmacy's head-office company (edispensary.csv)
PHONE = 17

# Region codes that mean "no NHS England region": blank, or W00 for Wales.
NO_REGION_CODES = frozenset({"", "W00"})
NO_REGION_WARNING = "no region (Welsh or unassigned)"

ODS_CODE_RE = re.compile(ODS_CODE_PATTERN)
DATE_RE = re.compile(r"^\d{8}$")
ICB_CODE_HEADER_RE = re.compile(r"^ICB\d{2}CDH$")
ICB_NAME_HEADER_RE = re.compile(r"^ICB\d{2}NM$")


@dataclass(frozen=True)
class ImportKind:
    """What one kind of ODS file holds and how its columns are read."""

    name: str  # as given to `import_ods --kind`
    label: str
    organisation_kind: str
    file_prefix: str  # the start of the file's usual name, used to guess the kind
    columns: tuple[str, ...]  # the columns read, for help texts
    role_codes: bool = False  # column 14 holds ODS role codes
    parent: bool = False  # column 15 holds the parent organisation's ODS code
    header_row: bool = False  # the ICB names file; otherwise the 27-column extract
    # Organisations of the kind belong to a region, so a row with none is worth a warning. Pharmacy
    # companies are national: whether one is in England depends on its pharmacies, not its region.
    regional: bool = True


EXTRACT_COLUMNS = (
    "1 ODS code",
    "2 name",
    "3 region code",
    "4 ICB code",
    "5-9 address",
    "10 postcode",
    "11 open date",
    "12 close date",
)

KINDS = {
    kind.name: kind
    for kind in [
        ImportKind(
            "trusts",
            "NHS trusts (ODS etr.csv)",
            Organisation.Kind.NHS_TRUST,
            "etr",
            (*EXTRACT_COLUMNS, "14 role codes", "18 telephone"),
            role_codes=True,
        ),
        ImportKind(
            "icbs",
            "Integrated care boards (ICB names file, with a header row)",
            Organisation.Kind.ICB,
            "icb",
            ("ICBnnCDH ODS code", "ICBnnNM name"),
            header_row=True,
        ),
        ImportKind(
            "sub-icbs",
            "Sub-ICB locations (ODS eccg.csv)",
            Organisation.Kind.SUB_ICB,
            "eccg",
            (*EXTRACT_COLUMNS, "14 role codes", "18 telephone"),
            role_codes=True,
        ),
        ImportKind(
            "pharmacies",
            "Community pharmacies (ODS edispensary.csv)",
            Organisation.Kind.PHARMACY,
            "edispensary",
            (*EXTRACT_COLUMNS, "15 head-office company code", "18 telephone"),
            parent=True,
        ),
        ImportKind(
            "pharmacy-hqs",
            "Community pharmacy head offices (ODS epharmacyhq.csv)",
            Organisation.Kind.PHARMACY_COMPANY,
            "epharmacyhq",
            (*EXTRACT_COLUMNS, "18 telephone"),
            regional=False,
        ),
        ImportKind(
            "gp-practices",
            "GP practices (ODS epraccur.csv)",
            Organisation.Kind.GP_PRACTICE,
            "epraccur",
            (*EXTRACT_COLUMNS, "18 telephone"),
        ),
    ]
}


KIND_CHOICES = [(kind.name, kind.label) for kind in KINDS.values()]


def kind_for_file_name(file_name: str) -> ImportKind | None:
    """The kind of file, guessed from its usual ODS name (etr, eccg, edispensary, epharmacyhq, epraccur, icb...)."""
    name = PurePath(file_name).name.lower()
    for kind in KINDS.values():
        if name.startswith(kind.file_prefix):
            return kind
    return None


@dataclass(slots=True)
class OdsRecord:
    """One organisation as a file gives it.

    `values` holds the model fields this kind of file sets (a field it does not carry is
    left as it is). The codes are resolved to regions and organisations by the import
    service; None means the file has no such column.
    """

    line: int
    ods_code: str
    values: dict[str, object] = field(default_factory=dict)
    region_code: str | None = None
    icb_code: str | None = None
    parent_code: str | None = None


def check_ods_file(data: bytes) -> None:
    """Refuse (uploads.UploadRefused) a file that is not text, saying what it is: an ODS file is CSV."""
    kind, what = uploads.content_kind(data[:16])
    if kind == uploads.ZIP:
        raise uploads.UploadRefused(
            "The file is an Excel workbook or another ZIP archive, not an ODS CSV file. Save it as CSV, or "
            "import the workbook on the national lead's import page."
        )
    if kind != uploads.TEXT:
        raise uploads.UploadRefused(f"The file is {what}, not an ODS CSV file.")


def read_csv(data: bytes, limits: uploads.Limits | None = None) -> list[Row]:
    """Split a CSV file into numbered rows. Blank lines are skipped; a line that is not
    UTF-8 or not valid CSV keeps its number and carries the problem. Beyond the limits (too
    many lines, cells or characters in a cell) the file is refused: uploads.UploadRefused.

    A file that is UTF-8 throughout, one row to a line, is read in one pass of the csv module;
    any other file (UTF-16, a line that is not UTF-8, a quoted value running over a line end,
    within the limits or not) line by line, so that each line's problem names its line."""
    limits = limits or uploads.import_limits()
    rows = _read_utf8_csv(data, limits)
    if rows is not None:
        return rows
    rows = []
    delimiter = None
    for number, text, problem in uploads.text_lines(data, limits):
        if delimiter is None:
            delimiter = uploads.delimiter_of(text)
        try:
            values = tuple(next(csv.reader([text], delimiter=delimiter, strict=True)))
        except csv.Error as exc:
            values = ()
            problem = problem or f"the line is not valid CSV ({exc})"
        uploads.check_cells(number, uploads.trimmed(list(values)), limits)
        rows.append(Row(number, values, problem))
    return rows


# The whitespace a bytes line's strip() removes: a line holding nothing else is blank.
_ASCII_WHITESPACE = " \t\n\r\x0b\x0c"


def _read_utf8_csv(data: bytes, limits: uploads.Limits) -> list[Row] | None:
    """`read_csv` in one pass, for a UTF-8 file whose every row is one line within the limits;
    None for any other file, to be read line by line."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    all_lines = text.split("\n")
    if "\r" in text:
        all_lines = [line.rstrip("\r") for line in all_lines]
    numbered = [(number, line) for number, line in enumerate(all_lines, start=1) if line.strip(_ASCII_WHITESPACE)]
    if not numbered or (limits.max_rows and len(numbered) > limits.max_rows):
        return None
    lines = [line for _, line in numbered]
    reader = csv.reader(lines, delimiter=uploads.delimiter_of(lines[0]), strict=True)
    rows = []
    max_cells, max_characters = limits.max_cells, limits.max_cell_characters
    try:
        for count, ((number, line), values) in enumerate(zip(numbered, reader, strict=False), start=1):
            # Each row must be exactly one line: a quoted value running into the next line, or a
            # carriage return splitting a line in two, is read line by line instead.
            if reader.line_num != count:
                return None
            # No cell is longer than its line.
            if (max_cells and len(values) > max_cells) or (max_characters and len(line) > max_characters):
                uploads.check_cells(number, uploads.trimmed(values), limits)
            rows.append(Row(number, tuple(values)))
    except csv.Error:
        return None
    if len(rows) != len(lines) or next(reader, None) is not None:
        return None
    return rows


def _xlsx_text(value) -> str:
    # ODS writes dates as YYYYMMDD; a workbook may hold them as dates.
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.strftime("%Y%m%d")
    return imported_text(value)


def read_rows(data: bytes, file_format: str, *, header_row: bool, progress: Progress | None = None) -> list[Row]:
    """The rows of an ODS file as CSV (`read_csv`) or of a workbook with the same columns, with their
    line numbers, read through msonet.uploads within the import limits (UploadRefused beyond them)."""
    limits = uploads.import_limits()
    if file_format == uploads.CSV:
        rows = read_csv(data, limits)
        if progress is not None:
            progress(len(rows))
        return rows
    return workbook_rows(uploads.iter_rows(data, file_format, limits), header_row=header_row, progress=progress)


def workbook_rows(
    cell_rows: Iterable[tuple[int, list]], *, header_row: bool, progress: Progress | None = None
) -> list[Row]:
    """`read_rows` of a workbook's rows already read (msonet.uploads.iter_rows, or unpack_rows of
    them): each value as the import's text, each row as wide as the columns."""
    rows = []
    width = COLUMN_COUNT
    for count, (line, values) in enumerate(cell_rows, start=1):
        # A row of text without a leading quote (nearly every row) is only stripped (_xlsx_text).
        try:
            joined = "\n".join(values)
        except TypeError:
            joined = "'"
        if joined.startswith("'") or "\n'" in joined:
            cells = [_xlsx_text(value) for value in values]
        else:
            cells = list(map(str.strip, values))
        if header_row and count == 1:
            width = len(cells)
        # A workbook's row ends at its last value; the columns after it are empty.
        cells += [""] * (width - len(cells))
        rows.append(Row(line, tuple(cells)))
        if progress is not None and count % uploads.PROGRESS_EVERY == 0:
            progress(count)
    if progress is not None:
        progress(len(rows))
    return rows


def _error(line: int | None, message: str) -> RowError:
    return RowError(line, "", message)


def parse_rows(rows: Iterable[Row], kind: ImportKind) -> tuple[list[OdsRecord], list[RowError]]:
    """Check every row of a file; return its records and every error found, by line."""
    rows = list(rows)
    if not rows:
        return [], [_error(None, "The file has no rows.")]
    records, errors = _parse_icb_names(rows) if kind.header_row else _parse_extract_rows(rows, kind)
    first_line: dict[str, int] = {}
    for record in records:
        if record.ods_code in first_line:
            errors.append(
                _error(record.line, f"ODS code {record.ods_code} is also on line {first_line[record.ods_code]}")
            )
        else:
            first_line[record.ods_code] = record.line
    errors.sort(key=lambda error: error.line or 0)
    return records, errors


_NOT_READ = object()  # a value not yet in a cache of checked values


def _parse_extract_rows(rows: list[Row], kind: ImportKind) -> tuple[list[OdsRecord], list[RowError]]:
    """`_parse_extract_row` for every row, with the checks of the usual row made in one pass: the
    dates and the region, ICB and parent codes a file repeats are checked once each. A row that
    fails any check is read again by `_parse_extract_row`, which says every thing wrong with it."""
    records: list[OdsRecord] = []
    errors: list[RowError] = []
    dates: dict[str, datetime.date | None] = {"": None}  # text -> date; a bad date maps to _NOT_READ
    codes: dict[str, bool] = {"": True}  # region, ICB or parent code -> whether it is well formed
    match = ODS_CODE_RE.match
    organisation_kind, role_codes, parent = kind.organisation_kind, kind.role_codes, kind.parent
    longest = {name: MAX_LENGTHS[name][0] for name in ("name", "address", "postcode", "phone", "ods_role_codes")}
    longest_name, longest_address = longest["name"], longest["address"]
    longest_postcode, longest_phone, longest_roles = longest["postcode"], longest["phone"], longest["ods_role_codes"]
    for row in rows:
        record = None
        if not row.problem and len(row.values) == COLUMN_COUNT:
            # Only the columns read are stripped.
            values = row.values
            code, name = values[CODE].strip(), values[NAME].strip()
            region_code, icb_code = values[REGION].strip(), values[ICB].strip()
            opened_text, closed_text = values[OPENED].strip(), values[CLOSED].strip()
            opened, closed = dates.get(opened_text, _NOT_READ), dates.get(closed_text, _NOT_READ)
            if opened is _NOT_READ:
                opened = dates[opened_text] = _check_date(opened_text, "", []) or _NOT_READ
            if closed is _NOT_READ:
                closed = dates[closed_text] = _check_date(closed_text, "", []) or _NOT_READ
            region_ok = region_code in NO_REGION_CODES or codes.get(region_code)
            if region_ok is None:
                region_ok = codes[region_code] = bool(match(region_code))
            icb_ok = codes.get(icb_code)
            if icb_ok is None:
                icb_ok = codes[icb_code] = bool(match(icb_code))
            parent_code = values[PARENT].strip() if parent else None
            parent_ok = not parent or (match(parent_code) is not None and parent_code != code) or not parent_code
            if (
                code
                and match(code)
                and name
                and opened is not _NOT_READ
                and closed is not _NOT_READ
                and not (opened and closed and closed < opened)
                and region_ok
                and icb_ok
                and parent_ok
            ):
                postcode, phone = values[POSTCODE].strip(), values[PHONE].strip()
                record_values: dict[str, object] = {
                    "name": display_name(name),
                    "kind": organisation_kind,
                    "address": display_name(", ".join([part for part in map(str.strip, values[ADDRESS]) if part])),
                    "postcode": postcode,
                    "opened_on": opened,
                    "closed_on": closed,
                    "phone": phone,
                }
                if role_codes:
                    record_values["ods_role_codes"] = values[ROLE_CODES].strip()
                if (
                    len(record_values["name"]) <= longest_name
                    and len(record_values["address"]) <= longest_address
                    and len(postcode) <= longest_postcode
                    and len(phone) <= longest_phone
                    and (not role_codes or len(record_values["ods_role_codes"]) <= longest_roles)
                ):
                    record = OdsRecord(
                        row.line,
                        code,
                        record_values,
                        region_code=region_code,
                        icb_code=icb_code,
                        parent_code=parent_code,
                    )
        if record is None:
            record, messages = _parse_extract_row(row, kind)
            errors.extend(_error(row.line, message) for message in messages)
        if record is not None:
            records.append(record)
    return records, errors


def _parse_extract_row(row: Row, kind: ImportKind) -> tuple[OdsRecord | None, list[str]]:
    if row.problem:
        return None, [row.problem]
    if len(row.values) != COLUMN_COUNT:
        return None, [f"the line has {len(row.values)} columns; an ODS extract has {COLUMN_COUNT}"]
    values = [value.strip() for value in row.values]
    messages: list[str] = []
    code = _check_code(values[CODE], "ODS code", messages, required=True)
    name = values[NAME]
    if not name:
        messages.append("the name is empty")
    opened = _check_date(values[OPENED], "open date", messages)
    closed = _check_date(values[CLOSED], "close date", messages)
    if opened and closed and closed < opened:
        messages.append(f"the close date {closed:%Y%m%d} is before the open date {opened:%Y%m%d}")
    region_code = values[REGION]
    if region_code not in NO_REGION_CODES:
        _check_code(region_code, "region code", messages)
    icb_code = _check_code(values[ICB], "ICB code", messages)
    record_values: dict[str, object] = {
        "name": display_name(name),
        "kind": kind.organisation_kind,
        "address": display_name(", ".join(part for part in values[ADDRESS] if part)),
        "postcode": values[POSTCODE],
        "opened_on": opened,
        "closed_on": closed,
        "phone": values[PHONE],
    }
    if kind.role_codes:
        record_values["ods_role_codes"] = values[ROLE_CODES]
    parent_code = None
    if kind.parent:
        parent_code = _check_code(values[PARENT], "head-office company code", messages)
        if parent_code and parent_code == code:
            messages.append("the head-office company code is the organisation's own code")
    _check_lengths(record_values, messages)
    if messages:
        return None, messages
    return (
        OdsRecord(row.line, code, record_values, region_code=region_code, icb_code=icb_code, parent_code=parent_code),
        [],
    )


def _parse_icb_names(rows: list[Row]) -> tuple[list[OdsRecord], list[RowError]]:
    header, *body = rows
    names = [value.strip() for value in header.values]
    code_column = next((i for i, name in enumerate(names) if ICB_CODE_HEADER_RE.match(name)), None)
    name_column = next((i for i, name in enumerate(names) if ICB_NAME_HEADER_RE.match(name)), None)
    if header.problem or code_column is None or name_column is None:
        return [], [
            _error(
                header.line,
                header.problem
                or "the first line should be the header row, with the ICB's ODS code in an ICBnnCDH column "
                "and its name in an ICBnnNM column (such as ICB24CD,ICB24CDH,ICB24NM,ObjectId)",
            )
        ]
    if not body:
        return [], [_error(header.line, "the file has a header row but no ICBs")]
    records, errors = [], []
    for row in body:
        if row.problem:
            errors.append(_error(row.line, row.problem))
            continue
        if len(row.values) != len(names):
            errors.append(_error(row.line, f"the line has {len(row.values)} columns; the header has {len(names)}"))
            continue
        messages: list[str] = []
        code = _check_code(row.values[code_column].strip(), "ODS code", messages, required=True)
        name = row.values[name_column].strip()
        if not name:
            messages.append("the name is empty")
        record_values: dict[str, object] = {"name": display_name(name), "kind": Organisation.Kind.ICB}
        _check_lengths(record_values, messages)
        errors.extend(_error(row.line, message) for message in messages)
        if not messages:
            records.append(OdsRecord(row.line, code, record_values))
    return records, errors


def _check_code(value: str, label: str, messages: list[str], *, required: bool = False) -> str:
    if not value:
        if required:
            messages.append(f"the {label} is empty")
        return ""
    if not ODS_CODE_RE.match(value):
        messages.append(f"the {label} {value!r} is not valid: it should be 3 to 9 capital letters and digits")
    return value


def _check_date(value: str, label: str, messages: list[str]) -> datetime.date | None:
    if not value:
        return None
    if DATE_RE.match(value):
        try:
            return datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
    messages.append(f"the {label} {value!r} is not a date in the form YYYYMMDD")
    return None


MAX_LENGTHS = {
    model_field.name: (model_field.max_length, model_field.verbose_name)
    for model_field in Organisation._meta.concrete_fields
    if model_field.max_length
}


def _check_lengths(values: dict[str, object], messages: list[str]) -> None:
    for name, value in values.items():
        max_length, label = MAX_LENGTHS.get(name, (None, name))
        if max_length and isinstance(value, str) and len(value) > max_length:
            messages.append(f"the {label} is {len(value)} characters long; the most is {max_length}")


# Words kept in capitals, and short words kept in lower case unless they start the name.
ACRONYMS = frozenset({"CCG", "CIC", "GP", "HMP", "HQ", "ICB", "LLP", "NHS", "PCN", "PCT", "PLC", "UK"})
SMALL_WORDS = frozenset({"and", "at", "by", "for", "in", "of", "on", "the", "upon", "with"})
ORDINAL_RE = re.compile(r"^\d+(ST|ND|RD|TH)$")
WORD_SPLIT_RE = re.compile(r"([A-Za-z0-9]+)")


def display_name(text: str) -> str:
    """A readable form of a name ODS gives in capitals.

    "MANCHESTER UNIVERSITY NHS FOUNDATION TRUST" becomes "Manchester University NHS
    Foundation Trust": words are capitalised, NHS/ICB/CCG and other acronyms stay in
    capitals, joining words (and, of, the, upon...) are lower case unless they start the
    name, codes with digits (00L) stay as they are, "GUY'S" becomes "Guy's". A name that
    is already in mixed case (the ICB names file) is returned unchanged.
    """
    if text != text.upper():
        return text
    # Each word's case depends only on the word, on whether it is the name's first and on whether
    # an apostrophe comes just before it, so the words between two spaces are cased together, once
    # for each such piece a file repeats ("HIGH", "STREET,", "SURGERY").
    pieces = text.split(" ")
    piece = pieces[0]
    if not piece.isdigit():
        cased = _FIRST_PIECES.get(piece)
        if cased is None:
            if not _HAS_WORD(piece):  # the first word is further on
                return _case_words(text, first=True)
            if len(_FIRST_PIECES) >= 50_000:
                _FIRST_PIECES.clear()
            cased = _FIRST_PIECES[piece] = _case_words(piece, first=True)
        pieces[0] = cased
    cache = _PIECES
    for i in range(1, len(pieces)):
        piece = pieces[i]
        if piece.isdigit():  # a number stays as it is
            continue
        cased = cache.get(piece)
        if cased is None:
            if len(cache) >= 50_000:
                cache.clear()
            cased = cache[piece] = _case_words(piece, first=False)
        pieces[i] = cased
    return " ".join(pieces)


# A piece of a name between spaces -> its case, as the first piece and as any other.
_FIRST_PIECES: dict[str, str] = {}
_PIECES: dict[str, str] = {}
_HAS_WORD = re.compile(r"[A-Za-z0-9]").search


def _case_words(text: str, *, first: bool) -> str:
    """`display_name` of an upper-case text: its first word is the name's first if `first`."""
    parts = WORD_SPLIT_RE.split(text)  # words at the odd positions, what lies between them at the even
    for i in range(1, len(parts), 2):
        parts[i] = _word_case(parts[i], first and i == 1, parts[i - 1].endswith("'"))
    return "".join(parts)


@functools.lru_cache(maxsize=50_000)
def _word_case(word: str, first: bool, after_apostrophe: bool) -> str:
    if word in ACRONYMS:
        return word
    if ORDINAL_RE.match(word):
        return word.lower()
    if any(character.isdigit() for character in word):
        return word
    if after_apostrophe and len(word) == 1:
        return word.lower()
    if not first and word.lower() in SMALL_WORDS:
        return word.lower()
    return word.capitalize()
