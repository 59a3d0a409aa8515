"""Meeting attendance in bulk: reading an uploaded attendance file (a Microsoft Teams attendance
report, or a plain file of meeting and email rows), planning the import for a dry-run preview,
committing it all-or-nothing, exporting a meeting's attendance, and who is an active member.

An import goes in two steps. `read_upload` checks the file's size and type and reads it into rows;
`parse_teams_report` or `parse_attendance_rows` turns the rows into `Attendee`s (or errors, each
naming its line and field); `attendance_import_plan` matches them to people and sorts them into
what the preview shows; `attendance_import_commit` plans again inside a transaction and writes
everything, or nothing when any row is in error. Between the two steps the attendees travel in a
signed form field (`sign_attendees` / `unsign_attendees`), never the file itself.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from msonet import uploads
from officers.models import Person

from . import exports
from .models import Attendance, ExportLog, Meeting, Membership, UnmatchedAttendee

# A preview can be confirmed for this long.
PREVIEW_MAX_AGE_SECONDS = 60 * 60
SIGNING_SALT = "networks.attendance-import"


class UploadError(Exception):
    """The uploaded file cannot be read at all (too large, not a CSV or XLSX file, malformed)."""


class ImportRefused(Exception):
    """An import that may not be committed; `errors` says why, row by row."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} rows in error")
        self.errors = errors


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
    if text.startswith("'") and text[1:].startswith(exports.FORMULA_PREFIXES):
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


# Planning and committing an import ---------------------------------------------------------------


@dataclass
class PlannedRow:
    attendee: Attendee
    meeting: Meeting
    person: Person | None = None
    lines: list[int] = field(default_factory=list)


@dataclass
class ImportPlan:
    """What an import would do: attendance to record, attendance already recorded, attendees no
    person matched (new ones, and ones already listed on the meeting for matching), and errors."""

    to_record: list[PlannedRow] = field(default_factory=list)
    already_recorded: list[PlannedRow] = field(default_factory=list)
    unmatched: list[PlannedRow] = field(default_factory=list)
    already_listed: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return bool(self.to_record or self.unmatched)

    def summary(self) -> str:
        return (
            f"{len(self.to_record)} attendance recorded, {len(self.unmatched)} unmatched attendees listed, "
            f"{len(self.already_recorded)} already recorded, {len(self.already_listed)} already listed"
        )


def people_by_email(emails) -> dict[str, Person]:
    """The people with these emails (lower case) as their work email or their login's email; a work
    email wins over another person's login email (one query)."""
    emails = {email for email in emails if email}
    if not emails:
        return {}
    return _by_email(_with_emails(Person.objects.all(), emails), emails)


def _with_emails(people, emails: set[str]) -> list[Person]:
    """Those of `people` with one of `emails` as their work or login email, the two annotated."""
    return list(
        people.annotate(work_email_lower=Lower("work_email"), user_email_lower=Lower("user__email"))
        .filter(Q(work_email_lower__in=emails) | Q(user_email_lower__in=emails))
        .order_by("pk")
    )


def _by_email(people: list[Person], emails: set[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for person in people:
        if person.user_email_lower in emails:
            found.setdefault(person.user_email_lower, person)
    for person in people:
        if person.work_email_lower in emails:
            found[person.work_email_lower] = person
    return found


def matchable_people_by_email(*, user, meetings, emails) -> dict[int, dict[str, Person]]:
    """For each network of `meetings` (by its id), the people an import by `user` may match to the
    attendees of its meetings, by email as people_by_email finds them. The national lead may match
    anyone. A chair only the network's current members, the people the meeting page's "Mark
    attendance" offers (meetings.attendance_candidates): an address that is anyone else's matches
    nobody, so its row stays unmatched, showing only what the report said. Two queries at most."""
    network_ids = {meeting.network_id for meeting in meetings}
    emails = {email for email in emails if email}
    if user.is_national_lead:
        return dict.fromkeys(network_ids, people_by_email(emails))
    if not emails or not network_ids:
        return {network_id: {} for network_id in network_ids}
    members = Membership.objects.current().filter(network_id__in=network_ids)
    people = _with_emails(Person.objects.filter(pk__in=members.values("person")), emails)
    networks_of: dict[int, set[int]] = {}
    for network_id, person_id in members.filter(person__in=[p.pk for p in people]).values_list("network", "person"):
        networks_of.setdefault(person_id, set()).add(network_id)
    return {
        network_id: _by_email([p for p in people if network_id in networks_of.get(p.pk, ())], emails)
        for network_id in network_ids
    }


def attendance_import_plan(*, user, attendees: list[Attendee], errors: list[RowError] | None = None) -> ImportPlan:
    """Match `attendees` to people by email (case-insensitive: the work email, or the email the
    person signs in with) among the people the user may match (matchable_people_by_email: anyone
    for the national lead, the network's current members for a chair) and sort them for the
    preview. Each attendee's meeting must be one the user may manage (`Meeting.objects.visible_to`):
    any other is an error on its line. A person
    matched more than once for a meeting (two addresses, two rows) is recorded once, with the
    minutes added up. A fixed number of queries, whatever the file's size."""
    plan = ImportPlan(errors=list(errors or []))
    meeting_ids = {attendee.meeting_id for attendee in attendees if attendee.meeting_id is not None}
    meetings = Meeting.objects.visible_to(user).select_related("network").in_bulk(meeting_ids)
    matchable = matchable_people_by_email(
        user=user, meetings=meetings.values(), emails={attendee.email for attendee in attendees}
    )
    keys = {UnmatchedAttendee.key_for(name=a.name, email=a.email) for a in attendees}
    listed = set(
        UnmatchedAttendee.objects.filter(meeting__in=meetings.values(), key__in=keys).values_list("meeting", "key")
    )
    recorded = set(
        Attendance.objects.filter(
            meeting__in=meetings.values(),
            person__in={person.pk for people in matchable.values() for person in people.values()},
        ).values_list("meeting", "person")
    )
    matched: dict[tuple[int, int], PlannedRow] = {}
    for attendee in sorted(attendees, key=lambda a: a.line):
        meeting = meetings.get(attendee.meeting_id)
        if meeting is None:
            plan.errors.append(
                RowError(attendee.line, "Meeting ID", f"There is no meeting {attendee.meeting_id} that you manage.")
            )
            continue
        person = matchable[meeting.network_id].get(attendee.email)
        if person is None:
            row = PlannedRow(attendee, meeting, lines=[attendee.line])
            key = UnmatchedAttendee.key_for(name=attendee.name, email=attendee.email)
            (plan.already_listed if (meeting.pk, key) in listed else plan.unmatched).append(row)
            continue
        row = matched.get((meeting.pk, person.pk))
        if row is not None:
            row.lines.append(attendee.line)
            if attendee.minutes is not None:
                row.attendee.minutes = (row.attendee.minutes or 0) + attendee.minutes
            continue
        row = PlannedRow(
            Attendee(attendee.line, meeting.pk, attendee.name, attendee.email, attendee.minutes),
            meeting,
            person=person,
            lines=[attendee.line],
        )
        matched[(meeting.pk, person.pk)] = row
        (plan.already_recorded if (meeting.pk, person.pk) in recorded else plan.to_record).append(row)
    plan.errors.sort(key=lambda error: (error.line or 0, error.field))
    return plan


@transaction.atomic
def attendance_import_commit(
    *, user, attendees: list[Attendee], source: str, meeting_ids: set[int] | None = None
) -> ImportPlan:
    """Record the attendance that `attendance_import_plan` finds and list the unmatched attendees on
    their meetings, all in one transaction with a history row for each (who, and which import).
    Raises ImportRefused, writing nothing, when any row is in error; PermissionDenied when a
    meeting outside `meeting_ids` (the meeting the upload was for) is named. The meetings are
    locked first, so two imports into one meeting run one after the other."""
    ids = {attendee.meeting_id for attendee in attendees}
    if meeting_ids is not None and not ids <= meeting_ids:
        raise PermissionDenied("The file names a meeting other than this one.")
    list(Meeting.objects.visible_to(user).filter(pk__in=ids).select_for_update(of=("self",)).values_list("pk"))
    plan = attendance_import_plan(user=user, attendees=attendees)
    if plan.errors:
        raise ImportRefused(plan.errors)
    reason = {
        Attendance.Source.TEAMS: "Imported from a Teams attendance report",
        Attendance.Source.IMPORT: "Imported from an attendance file",
    }[source]
    now = timezone.now()
    bulk_create_with_history(
        [
            Attendance(
                meeting=row.meeting,
                person=row.person,
                minutes_attended=row.attendee.minutes,
                source=source,
                recorded_by=user,
                recorded_at=now,
            )
            for row in plan.to_record
        ],
        Attendance,
        default_user=user,
        default_change_reason=reason,
    )
    bulk_create_with_history(
        [
            UnmatchedAttendee(
                meeting=row.meeting,
                name=row.attendee.name[:200],
                email=row.attendee.email[:254],
                key=UnmatchedAttendee.key_for(name=row.attendee.name, email=row.attendee.email)[:254],
                minutes_attended=row.attendee.minutes,
                imported_by=user,
                imported_at=now,
            )
            for row in plan.unmatched
        ],
        UnmatchedAttendee,
        default_user=user,
        default_change_reason=reason,
    )
    return plan


def sign_attendees(*, user, attendees: list[Attendee], meeting_id: int | None) -> str:
    """The attendees read from a file, signed for the preview's confirm button."""
    return signing.dumps(
        {"user": user.pk, "meeting": meeting_id, "rows": [attendee.as_list() for attendee in attendees]},
        salt=SIGNING_SALT,
        compress=True,
    )


def unsign_attendees(token: str, *, user, meeting_id: int | None) -> list[Attendee]:
    """The attendees signed by `sign_attendees` for this user and meeting; UploadError when the
    preview has expired or was not made for them."""
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=PREVIEW_MAX_AGE_SECONDS)
    except signing.SignatureExpired as error:
        raise UploadError("The preview has expired. Upload the file again.") from error
    except signing.BadSignature as error:
        raise UploadError("The preview could not be read. Upload the file again.") from error
    if data.get("user") != user.pk or data.get("meeting") != meeting_id:
        raise UploadError("The preview was made for another import. Upload the file again.")
    return [Attendee.from_list(values) for values in data["rows"]]


# Export ------------------------------------------------------------------------------------------


def attendance_rows(meeting: Meeting) -> list[list]:
    """A meeting's attendance in the order of PLAIN_HEADERS, by surname (one query)."""
    attendances = meeting.attendances.select_related("person").order_by("person__last_name", "person__first_name", "pk")
    return [
        [
            meeting.pk,
            meeting.title,
            meeting.network.name,
            meeting.held_on,
            attendance.person.full_name,
            attendance.person.work_email,
            attendance.minutes_attended,
            attendance.get_source_display(),
        ]
        for attendance in attendances
    ]


@transaction.atomic
def attendance_export(*, user, meeting: Meeting, file_format: str) -> bytes:
    """A meeting's attendance as CSV or XLSX (cells a spreadsheet would read as a formula written as
    text; the same columns the plain attendance import reads back); logged."""
    from msonet.spreadsheets import write_table

    rows = attendance_rows(meeting)
    content = write_table(file_format, PLAIN_HEADERS, rows, title=f"Attendance {meeting.held_on:%Y-%m-%d}")
    ExportLog.objects.create(
        user=user,
        network=meeting.network,
        meeting=meeting,
        content=ExportLog.Content.ATTENDANCE,
        format=file_format,
        row_count=len(rows),
    )
    return content


# Active members ----------------------------------------------------------------------------------


def active_attendance(day: datetime.date | None = None):
    """Attendance at the last three national webinars held on or before `day` (today by default)."""
    return Attendance.objects.filter(meeting__in=Meeting.objects.last_national_webinars(day).values("pk"))


def active_member_ids(people, day: datetime.date | None = None) -> set[int]:
    """The ids, among `people` (Person objects or ids), of the active members of the national network:
    those who attended at least one of the last three national webinars held on or before `day`.
    One query, whatever the number of people."""
    ids = {getattr(person, "pk", person) for person in people}
    if not ids:
        return set()
    return set(active_attendance(day).filter(person__in=ids).values_list("person", flat=True).distinct())


def is_active_member(person_ref: str = "pk", day: datetime.date | None = None) -> Exists:
    """An expression for annotating a queryset whose `person_ref` is a person's id with whether that
    person is an active member, e.g. `Person.objects.annotate(is_active_member=is_active_member())`
    or `memberships.annotate(person_is_active=is_active_member("person_id"))`."""
    return Exists(active_attendance(day).filter(person=OuterRef(person_ref)))
