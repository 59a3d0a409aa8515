"""Importing attendance in bulk: planning an import for a dry-run preview and committing it
all-or-nothing.

An import goes in two steps. The file is read into `Attendee`s (meetings.attendance_files);
`attendance_import_plan` matches them to people and sorts them into what the preview shows;
`attendance_import_commit` plans again inside a transaction and writes everything, or nothing when
any row is in error. Between the two steps the attendees travel in a signed form field
(`sign_attendees` / `unsign_attendees`), never the file itself.
"""

from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from msonet.reports import import_button_text
from networks.models import Membership
from officers.models import Person

from .attendance_files import Attendee, RowError, UploadError
from .models import Attendance, Meeting, UnmatchedAttendee

# A preview can be confirmed for this long.
PREVIEW_MAX_AGE_SECONDS = 60 * 60
# Unchanged since the import lived in the networks app, so that a preview made then still confirms.
SIGNING_SALT = "networks.attendance-import"


class ImportRefused(Exception):
    """An import that may not be committed; `errors` says why, row by row."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} rows in error")
        self.errors = errors


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

    @property
    def confirm_text(self) -> str:
        """The confirm button's words, as every import page says them: each attendance to record and
        each unmatched attendee to list is a new row."""
        return import_button_text(new=len(self.to_record) + len(self.unmatched), changed=0)

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
    attendance" offers (services.attendance_candidates): an address that is anyone else's matches
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
