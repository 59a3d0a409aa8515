"""What an import reports, in one vocabulary from the file's reader to the lead's page and the admin.

A file is read as rows, each with its line in the file (a `Row`: its values, and why it could not be
read, if it could not). An import checks every row and returns an `ImportReport`: how many rows are
new, changed and unchanged; each new or changed row (a `Row` again, now saying what importing it
does: NEW or CHANGED, the record's key, a few words about it, and each field's label, value before
and value after); every error (`RowError`) with its line and column; warnings and notes. Every row
is checked in full, whatever errors other rows (or its other cells) have: the report lists every
error of every row at once, and counts (and lists) what the rows without an error would write beside
them. A report with any error means nothing was written.

Every import speaks it: the ODS import (organisations.services.ods_import), the people and
appointments import (officers.imports) and the network memberships import (networks.imports). The
import jobs store it (imports.services), the lead's pages show it, `import_ods` prints it and the
admin's import screens show it through msonet.import_export.result_from_report.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from msonet.history import change_reason

NEW, CHANGED = "new", "changed"

# Called with the number of rows read (or checked) so far, by an import that runs in the background.
Progress = Callable[[int], None]


@dataclass(frozen=True)
class RowError:
    """One problem: the file's line (None for the whole file), the column it is in ("" for the whole
    row) and what is wrong. A warning is one too; `kind` is what warnings of one kind have in common
    when each message names its own code (warning_lines counts them under it)."""

    line: int | None
    column: str
    message: str
    kind: str = ""

    def __str__(self):
        if self.line is None and not self.column:
            return self.message
        where = f"line {self.line}" if self.line else "the file"
        column = f", {self.column}" if self.column else ""
        return f"{where}{column}: {self.message}"


@dataclass(slots=True)
class Row:
    """A row of the file: its line, the values read from it (and why the line could not be read, if
    it could not); once checked, what importing it does (NEW or CHANGED), the record's key, a few
    words about it and each field's change (label, before, after)."""

    line: int | None
    values: tuple = ()
    problem: str = ""
    kind: str = ""
    key: str = ""
    description: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    def changes_text(self) -> str:
        return "; ".join(f"{label}: {before or '-'} → {after or '-'}" for label, before, after in self.changes)


@dataclass
class ImportReport:
    """What an import did, or would do (`dry_run`), or, with errors, why it did nothing.

    `rows` are the new and changed rows, in the file's order. `closed` counts the changed records
    the file closed (an ODS file's close dates), also counted in `changed`.
    """

    dataset: str
    file_name: str
    dry_run: bool = True
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    closed: int = 0
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def error_rows(self) -> int:
        """How many lines have an error (a problem with the whole file counts as one)."""
        return len({error.line for error in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def lines_with_errors(self) -> set[int | None]:
        return {error.line for error in self.errors}

    @property
    def confirm_text(self) -> str:
        return import_button_text(new=self.new, changed=self.changed)

    def refuse(self, message: str) -> "ImportReport":
        """The whole file is refused, for `message`: nothing was read or written."""
        self.errors.append(RowError(None, "", message))
        return self

    def count(self, row: Row) -> None:
        """Count a checked row without an error: new, changed (both listed in `rows`), or unchanged
        (a CHANGED row with no changes)."""
        if row.kind == NEW:
            self.new += 1
        elif row.changes:
            self.changed += 1
        else:
            self.unchanged += 1
            return
        self.rows.append(row)

    def warning_lines(self, limit: int = 20) -> list[str]:
        """The warnings, one a line; when there are more than `limit`, one line per kind of warning."""
        if len(self.warnings) <= limit:
            return [str(warning) for warning in self.warnings]
        lines_by_message: dict[str, list[int | None]] = defaultdict(list)
        for warning in self.warnings:
            lines_by_message[warning.kind or warning.message].append(warning.line)
        summary = []
        for message, lines in sorted(lines_by_message.items(), key=lambda item: -len(item[1]))[:limit]:
            shown = ", ".join(str(line) for line in lines[:5])
            more = f" and {len(lines) - 5} more" if len(lines) > 5 else ""
            summary.append(f"{message}: {len(lines)} rows (lines {shown}{more})")
        if len(lines_by_message) > limit:
            summary.append(f"... and {len(lines_by_message) - limit} more kinds of warning")
        return summary

    def messages(self) -> list[str]:
        """The notes, then the warnings: what the lead reads beside the rows."""
        return [*self.notes, *(f"Warning: {line}" for line in self.warning_lines())]


def import_button_text(*, new: int, changed: int) -> str:
    """The words of an import's confirm button, for every import page: "Import 1 new row", "Import 2
    new and 1 changed rows", "Import 3 changed rows" (a part that is zero left out); "" when the
    import would write nothing, so there is nothing to confirm."""
    parts = [f"{count:,} {what}" for count, what in ((new, "new"), (changed, "changed")) if count]
    if not parts:
        return ""
    return f"Import {' and '.join(parts)} {'row' if new + changed == 1 else 'rows'}"


def history_reason(file_name: str, what: str) -> str:
    """The change reason of every record an import writes."""
    return change_reason(f"Import of {what} from {file_name}".strip())
