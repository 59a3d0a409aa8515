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


@dataclass
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
    many lines, cells or characters in a cell) the file is refused: uploads.UploadRefused."""
    limits = limits or uploads.import_limits()
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
    rows = []
    width = COLUMN_COUNT
    for count, (line, values) in enumerate(uploads.iter_rows(data, file_format, limits), start=1):
        cells = [_xlsx_text(value) for value in values]
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
    if kind.header_row:
        records, errors = _parse_icb_names(rows)
    else:
        records, errors = [], []
        for row in rows:
            record, messages = _parse_extract_row(row, kind)
            errors.extend(_error(row.line, message) for message in messages)
            if record is not None:
                records.append(record)
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
    parts = WORD_SPLIT_RE.split(text)  # words at the odd positions, what lies between them at the even
    for i in range(1, len(parts), 2):
        parts[i] = _word_case(parts[i], i == 1, parts[i - 1].endswith("'"))
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
