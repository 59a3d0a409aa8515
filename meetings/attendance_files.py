"""Reading an uploaded attendance file: a Microsoft Teams attendance report, or a plain file of
meeting and email rows.

`read_upload` checks the file's size and type and reads it into rows (through msonet.uploads, as
every upload is); `parse_teams_report` or `parse_attendance_rows` turns the rows into `Attendee`s,
or errors each naming its line and field. Nothing here touches the database: matching the
attendees to people and writing them is meetings.attendance_import.
"""

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from msonet import uploads
from msonet.spreadsheets import FORMULA_PREFIXES

from .models import UnmatchedAttendee


class UploadError(Exception):
    """The uploaded file cannot be read at all (too large, not a CSV or XLSX file, malformed)."""


@dataclass(frozen=True)
class RowError:
    line: int | None
    field: str
    message: str

    def __str__(self):
        where = f"Line {self.line}" if self.line else "The file"
        return f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class Attendee:
    """One attendee read from a file: the first line they appear on, the meeting (plain files name
    it; a Teams report is for the meeting it is uploaded to), their name, email and minutes."""

    line: int
    meeting_id: int | None
    name: str
    email: str
    minutes: int | None

    def as_list(self) -> list:
        return [self.line, self.meeting_id, self.name, self.email, self.minutes]

    @classmethod
    def from_list(cls, values) -> "Attendee":
        line, meeting_id, name, email, minutes = values
        return cls(line=line, meeting_id=meeting_id, name=name, email=email, minutes=minutes)


# Reading the upload ------------------------------------------------------------------------------

EXPECTED = "a CSV file or an Excel workbook (.xlsx)"


def read_upload(uploaded_file) -> list[tuple[int, list[str]]]:
    """The rows of an uploaded CSV (comma or tab separated: UTF-8, UTF-16 or Windows-1252 text) or
    XLSX file, each as (line or sheet row number, cells as text), a run of blank lines kept as one
    empty row (a Teams report's sections end at one). Read through msonet.uploads, as every upload
    is: the size first, the type by the file's content, not its name, an archive's directory, then
    the rows within the import limits. Raises UploadError with a message for the person uploading."""
    limits = uploads.import_limits()
    try:
        content = uploads.read_upload(uploaded_file, limits.max_bytes)
        file_format = uploads.spreadsheet_format("", content, limits, expected=EXPECTED)  # its name says nothing
        return [
            (line, [_cell_text(value) for value in cells])
            for line, cells in uploads.iter_rows(content, file_format, limits, keep_blank=True)
        ]
    except uploads.UploadRefused as error:
        raise UploadError(str(error)) from None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return f"{int(value.total_seconds())}s"
    return str(value).strip()


def _listed(errors: list[RowError]) -> list[RowError]:
    """The first uploads.ERRORS_LISTED errors, and a last one saying how many more there are: a
    file wrong on every line is shown (and held in memory) as far as is useful, not 100,000 times."""
    if len(errors) <= uploads.ERRORS_LISTED:
        return errors
    return [*errors[: uploads.ERRORS_LISTED], RowError(None, "", uploads.more_errors(len(errors)))]


# Teams attendance reports -----------------------------------------------------------------------


def _normal(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").strip().strip('"').lower().split())


TEAMS_COLUMNS = {
    "name": {"name", "full name", "participant", "participant name", "display name", "attendee", "attendee name"},
    "email": {"email", "email address", "e-mail", "e-mail address", "attendee email"},
    "upn": {"participant id (upn)", "upn", "user principal name", "participant id"},
    "join": {"first join", "first join time", "join time", "joined", "join", "joined at"},
    "leave": {"last leave", "last leave time", "leave time", "left", "leave", "left at"},
    "duration": {"in-meeting duration", "duration", "attendance duration", "time in meeting", "time attended"},
    "action": {"user action", "action"},
    "timestamp": {"timestamp", "time stamp"},
}
SECTION_HEADING = re.compile(r"^\d+\.\s")


def _teams_header(cells: list[str]) -> dict[str, int] | None:
    columns = {}
    for index, cell in enumerate(cells):
        header = _normal(cell)
        for key, names in TEAMS_COLUMNS.items():
            if header in names and key not in columns:
                columns[key] = index
    if "name" not in columns and "email" not in columns:
        return None
    if not ({"email", "join", "duration", "action", "upn"} & columns.keys()):
        return None
    if "action" in columns and "timestamp" not in columns:
        return None
    return columns


def _cell(cells: list[str], columns: dict[str, int], key: str) -> str:
    """The cell, without the quote an export puts before text a spreadsheet would read as a formula."""
    index = columns.get(key)
    if index is None or index >= len(cells):
        return ""
    text = cells[index].strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        text = text[1:]
    return text


DURATION_UNITS = re.compile(
    r"^(?:(?P<h>\d+)\s*h(?:ours?|rs?)?)?\s*(?:(?P<m>\d+)\s*m(?:in(?:ute)?s?)?)?\s*(?:(?P<s>\d+)\s*s(?:ec(?:ond)?s?)?)?$",
    re.IGNORECASE,
)
DURATION_CLOCK = re.compile(r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{1,2})$")


def parse_duration(text: str) -> int | None:
    """Minutes (rounded to the nearest) in a duration such as "1h 2m 3s", "45m", "30s", "1:02:03" or
    "62:03"; None when the text is not a duration."""
    text = text.strip()
    if not text:
        return None
    match = DURATION_UNITS.match(text) or DURATION_CLOCK.match(text)
    if not match or not any(match.groupdict().values()):
        return None
    parts = {key: int(value or 0) for key, value in match.groupdict().items()}
    seconds = parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
    return (seconds + 30) // 60


TIMESTAMP_FORMATS = [
    "%m/%d/%y, %I:%M:%S %p",
    "%m/%d/%Y, %I:%M:%S %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%y %I:%M:%S %p",
    "%d/%m/%Y, %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%y, %H:%M:%S",
    "%d/%m/%Y, %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y, %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
]


def parse_timestamp(text: str) -> datetime.datetime | None:
    """A Teams time stamp in one of the formats Teams has used (US and UK, 12- and 24-hour, ISO)."""
    text = " ".join(text.strip().replace("\u202f", " ").split())
    if not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    else:
        return value.replace(tzinfo=None) if value.tzinfo else value
    for time_format in TIMESTAMP_FORMATS:
        try:
            return datetime.datetime.strptime(text, time_format)
        except ValueError:
            continue
    return None


def _minutes_between(start: datetime.datetime, end: datetime.datetime) -> int:
    return (int((end - start).total_seconds()) + 30) // 60


def _email_or_error(text: str, line: int, header: str, errors: list) -> str:
    email = text.strip().lower()
    if email.startswith("mailto:"):
        email = email[len("mailto:") :]
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        errors.append(RowError(line, header, f"“{text}” is not an email address."))
        return ""
    return email


def parse_teams_report(rows: list[tuple[int, list[str]]], *, meeting_id: int) -> tuple[list[Attendee], list[RowError]]:
    """The attendees of a Teams attendance report: the participants section of a current report
    (Name, First Join, Last Leave, In-Meeting Duration, Email, Participant ID (UPN), Role), or an
    older one (Full Name, Join Time, Leave Time, Duration, Email) or the oldest log of
    Full Name, User Action (Joined, Left) and Timestamp. The first table with such a header is read,
    up to the next blank line or numbered section heading. Someone who appears more than once is
    one attendee, with their minutes added up."""
    errors: list[RowError] = []
    header_at = None
    columns: dict[str, int] = {}
    headers: list[str] = []
    for position, (_line, cells) in enumerate(rows):
        found = _teams_header(cells)
        if found:
            header_at, columns, headers = position, found, cells
            break
    if header_at is None:
        return [], [
            RowError(
                None,
                "",
                "No list of participants was found: the file needs a header row with Name (or Full Name) "
                "and Email, In-Meeting Duration or join and leave times, as in a Teams attendance report.",
            )
        ]

    def header(key):
        return headers[columns[key]].strip() if key in columns else key

    table = []
    header_line = rows[header_at][0]
    for line, cells in rows[header_at + 1 :]:
        if not any(cells):
            break
        if SECTION_HEADING.match(cells[0]) and not any(cells[1:]):
            break
        extra = uploads.extra_cells_message(line, cells, len(headers), header_line)
        if extra:
            errors.append(RowError(line, "", extra))
            continue
        table.append((line, cells))

    if "action" in columns:
        return _teams_action_log(table, columns, header, meeting_id, errors)

    attendees: dict[str, Attendee] = {}
    for line, cells in table:
        name = _cell(cells, columns, "name")
        email = _email_or_error(_cell(cells, columns, "email"), line, header("email"), errors)
        upn = _cell(cells, columns, "upn").lower()
        if not email and "@" in upn:
            email = _email_or_error(upn, line, header("upn"), errors)
        if not name and not email:
            errors.append(RowError(line, header("name"), "The row has neither a name nor an email address."))
            continue
        minutes = None
        duration_text = _cell(cells, columns, "duration")
        if duration_text:
            minutes = parse_duration(duration_text)
            if minutes is None:
                errors.append(
                    RowError(line, header("duration"), f"“{duration_text}” is not a duration such as 1h 2m 3s.")
                )
                continue
        else:
            join_text, leave_text = _cell(cells, columns, "join"), _cell(cells, columns, "leave")
            if join_text or leave_text:
                joined, left = parse_timestamp(join_text), parse_timestamp(leave_text)
                if join_text and joined is None:
                    errors.append(RowError(line, header("join"), f"“{join_text}” is not a date and time."))
                    continue
                if leave_text and left is None:
                    errors.append(RowError(line, header("leave"), f"“{leave_text}” is not a date and time."))
                    continue
                if joined and left:
                    if left < joined:
                        errors.append(RowError(line, header("leave"), "The leave time is before the join time."))
                        continue
                    minutes = _minutes_between(joined, left)
        _add_attendee(attendees, Attendee(line, meeting_id, name, email, minutes))
    return list(attendees.values()), _listed(errors)


def _teams_action_log(table, columns, header, meeting_id, errors) -> tuple[list[Attendee], list[RowError]]:
    """The oldest Teams report: one row per join or leave, paired up per person in time order."""
    attendees: dict[str, Attendee] = {}
    joined_at: dict[str, datetime.datetime] = {}
    for line, cells in table:
        name = _cell(cells, columns, "name")
        email = _email_or_error(_cell(cells, columns, "email"), line, header("email"), errors)
        action = _normal(_cell(cells, columns, "action"))
        stamp_text = _cell(cells, columns, "timestamp")
        if not name and not email:
            errors.append(RowError(line, header("name"), "The row has neither a name nor an email address."))
            continue
        if not action.startswith(("joined", "left")):
            errors.append(RowError(line, header("action"), f"“{action}” is not Joined or Left."))
            continue
        stamp = parse_timestamp(stamp_text)
        if stamp is None:
            errors.append(RowError(line, header("timestamp"), f"“{stamp_text}” is not a date and time."))
            continue
        key = UnmatchedAttendee.key_for(name=name, email=email)
        attendee = _add_attendee(attendees, Attendee(line, meeting_id, name, email, None))
        if action.startswith("joined"):
            joined_at.setdefault(key, stamp)
        elif key in joined_at:
            start = joined_at.pop(key)
            if stamp < start:
                errors.append(RowError(line, header("timestamp"), "The person left before they joined."))
                continue
            attendee.minutes = (attendee.minutes or 0) + _minutes_between(start, stamp)
    return list(attendees.values()), _listed(errors)


def _add_attendee(attendees: dict[str, Attendee], attendee: Attendee) -> Attendee:
    """Add to `attendees` (keyed by meeting and email, or name), merging a repeat into the first."""
    key = f"{attendee.meeting_id}:{UnmatchedAttendee.key_for(name=attendee.name, email=attendee.email)}"
    existing = attendees.get(key)
    if existing is None:
        attendees[key] = attendee
        return attendee
    if attendee.minutes is not None:
        existing.minutes = (existing.minutes or 0) + attendee.minutes
    existing.name = existing.name or attendee.name
    return existing


# Plain attendance files (meeting and email rows) ------------------------------------------------

PLAIN_COLUMNS = {
    "meeting": {"meeting id", "meeting"},
    "email": {"email", "email address", "work email"},
    "name": {"name", "full name"},
    "minutes": {"minutes attended", "minutes"},
}
PLAIN_HEADERS = ["Meeting ID", "Meeting", "Network", "Held on", "Name", "Email", "Minutes attended", "Recorded from"]


def parse_attendance_rows(rows: list[tuple[int, list[str]]]) -> tuple[list[Attendee], list[RowError]]:
    """Attendees from a plain attendance file: a header row (the first non-blank one) with Meeting ID
    and Email, optionally Name and Minutes attended; the other columns (as in the attendance
    export) are ignored. The meetings are checked when the import is planned."""
    errors: list[RowError] = []
    rows = [(line, cells) for line, cells in rows if any(cells)]
    if not rows:
        return [], [RowError(None, "", "The file has no rows.")]
    header_line, header_cells = rows[0]
    columns: dict[str, int] = {}
    for index, cell in enumerate(header_cells):
        for key, names in PLAIN_COLUMNS.items():
            if _normal(cell) in names and key not in columns:
                columns[key] = index
    missing = [label for key, label in (("meeting", "Meeting ID"), ("email", "Email")) if key not in columns]
    if missing:
        return [], [RowError(header_line, "", f"The header row needs a column {' and '.join(missing)}.")]
    attendees: dict[str, Attendee] = {}
    for line, cells in rows[1:]:
        extra = uploads.extra_cells_message(line, cells, len(header_cells), header_line)
        if extra:
            errors.append(RowError(line, "", extra))
            continue
        meeting_text = _cell(cells, columns, "meeting")
        email_text = _cell(cells, columns, "email")
        minutes_text = _cell(cells, columns, "minutes")
        row_errors = len(errors)
        meeting_id = None
        if not meeting_text:
            errors.append(RowError(line, "Meeting ID", "A meeting ID is needed."))
        elif not meeting_text.isdigit():
            errors.append(RowError(line, "Meeting ID", f"“{meeting_text}” is not a meeting ID (a whole number)."))
        else:
            meeting_id = int(meeting_text)
        email = _email_or_error(email_text, line, "Email", errors)
        if not email_text:
            errors.append(RowError(line, "Email", "An email address is needed."))
        minutes = None
        if minutes_text:
            if minutes_text.isdigit():
                minutes = int(minutes_text)
            else:
                errors.append(RowError(line, "Minutes attended", f"“{minutes_text}” is not a whole number."))
        if len(errors) == row_errors:
            _add_attendee(attendees, Attendee(line, meeting_id, _cell(cells, columns, "name"), email, minutes))
    return list(attendees.values()), _listed(errors)
