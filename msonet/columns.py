"""Reading an imported table (msonet.uploads.Table) row by row, by column: the checks of single cells
that the people and the memberships imports share.

`map_columns` finds each column by its header (or an alias, in any case), reporting a missing or
repeated column on the header line; a `RowReader` reads one row's cells by column key, each checked
by the model field's own validation, a choice by its value or label, a date in either of the forms
the portal accepts, and collects that row's errors against the column headers.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models

from msonet.reports import ImportReport, RowError
from msonet.spreadsheets import FORMULA_PREFIXES
from msonet.uploads import Table


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


@dataclass(frozen=True)
class Column:
    """A column a dataset reads (or only writes, when `imported` is False)."""

    key: str
    header: str
    required: bool = False
    imported: bool = True
    aliases: tuple[str, ...] = ()


def normalise_header(text) -> str:
    return " ".join(str(text).lower().replace("_", " ").replace("-", " ").split())


@dataclass
class RowReader:
    """Reads one row's cells by column key; collects that row's errors against the column headers."""

    line: int
    values: list
    positions: dict[str, int]
    headers: dict[str, str]
    errors: list[RowError] = field(default_factory=list)

    def has(self, key: str) -> bool:
        return key in self.positions

    def text(self, key: str) -> str:
        position = self.positions.get(key)
        if position is None or position >= len(self.values):
            return ""
        return imported_text(self.values[position])

    def raw(self, key: str):
        position = self.positions.get(key)
        if position is None or position >= len(self.values):
            return None
        return self.values[position]

    def error(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.line, self.headers.get(key, key), message))

    def model_value(self, key: str, model_field: models.Field, *, required: bool = False):
        """The cell checked by the model field's own validation (length, choices, email...)."""
        value = self.text(key)
        if not value:
            if required:
                self.error(key, "is empty")
            return "" if not model_field.null else None
        try:
            return model_field.clean(value, None)
        except ValidationError as exc:
            self.error(key, " ".join(exc.messages))
            return value

    def choice(self, key: str, choices: type[models.TextChoices], *, required: bool = False) -> str:
        """A choice given by its value or its label, in any case ("mso", "MSO", "Medication safety officer")."""
        value = self.text(key)
        if not value:
            if required:
                self.error(key, "is empty")
            return ""
        found = choice_lookup(choices).get(normalise_header(value))
        if found is None:
            allowed = ", ".join(str(label) for label in choices.labels)
            self.error(key, f"{value!r} is not one of: {allowed}")
            return ""
        return found

    def date(self, key: str, *, required: bool = False) -> datetime.date | None:
        raw = self.raw(key)
        if isinstance(raw, datetime.datetime):
            return raw.date()
        if isinstance(raw, datetime.date):
            return raw
        value = self.text(key)
        if not value:
            if required:
                self.error(key, "is empty")
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.error(key, f"{value!r} is not a date: write it as YYYY-MM-DD (or DD/MM/YYYY)")
        return parsed


_choice_lookups: dict[type, dict[str, str]] = {}


def choice_lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    lookup = _choice_lookups.get(choices)
    if lookup is None:
        lookup = {}
        for value, label in choices.choices:
            lookup[normalise_header(value)] = value
            lookup[normalise_header(label)] = value
        _choice_lookups[choices] = lookup
    return lookup


ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
UK_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_date(text: str) -> datetime.date | None:
    text = text.strip()
    if match := ISO_DATE_RE.match(text):
        year, month, day = match.groups()
    elif match := UK_DATE_RE.match(text):
        day, month, year = match.groups()
    else:
        return None
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


def map_columns(table: Table, columns: tuple[Column, ...], report: ImportReport) -> dict[str, int] | None:
    """Each imported column's position in the table, by key; None (with the errors reported) when a
    required column is missing or a column appears twice. Columns the dataset does not read are noted."""
    by_name = {}
    for column in columns:
        for name in (column.header, column.key, *column.aliases):
            by_name[normalise_header(name)] = column
    positions: dict[str, int] = {}
    ignored = []
    for position, header in enumerate(table.headers):
        column = by_name.get(normalise_header(header))
        if column is None or not column.imported:
            if header:
                ignored.append(header)
            continue
        if column.key in positions:
            report.errors.append(
                RowError(table.header_line, header, f"the column {column.header!r} appears twice in the header row")
            )
            continue
        positions[column.key] = position
    missing = [column.header for column in columns if column.required and column.key not in positions]
    if missing:
        expected = ", ".join(column.header for column in columns if column.imported)
        report.errors.append(
            RowError(
                table.header_line,
                "",
                f"the header row has no {', '.join(repr(name) for name in missing)} column. "
                f"The first row must name the columns: {expected}",
            )
        )
    if ignored:
        report.notes.append(f"These columns are not imported and were ignored: {', '.join(ignored)}.")
    if report.errors:
        return None
    if not table.rows:
        report.errors.append(RowError(None, "", "The file has a header row but no data rows."))
        return None
    return positions


def display(value) -> str:
    """A value as the preview shows it."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def choice_display(choices: type[models.TextChoices], value) -> str:
    if not value:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def chunked(items: list, size: int = 5000):
    for start in range(0, len(items), size):
        yield items[start : start + size]
