"""Meetings and their attendance, one change at a time: recording or changing a meeting, marking and
removing attendance, matching an imported attendee to a person or dismissing them.

Every function is keyword-only and runs in one transaction, and each change keeps a history row
with who made it and why. Refusals are raised as ValidationError (a rule) or PermissionDenied (the
user may not manage this network's meetings), each with a message for the person using the page.
Bulk imports and exports are in meetings.attendance_import and meetings.attendance_export.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from access import scopes
from msonet.history import record_change
from networks.models import Membership
from officers.models import Person, by_surname

from .models import Attendance, Meeting, UnmatchedAttendee


def _check_manages(user, network_id: int) -> None:
    if not scopes.networks_with_membership(user).filter(pk=network_id).exists():
        raise PermissionDenied("Only the national lead and the network's chairs can manage its meetings.")


@transaction.atomic
def meeting_save(*, meeting: Meeting, user) -> Meeting:
    """Record a new meeting (or save changes to one) for a network the user manages. The model's
    rules apply (a national webinar is a meeting of the national network)."""
    _check_manages(user, meeting.network_id)
    creating = meeting.pk is None
    if creating:
        meeting.recorded_by = user
    meeting.full_clean()
    record_change(meeting, user=user, reason="Meeting recorded" if creating else "Meeting details changed")
    meeting.save()
    return meeting


def attendance_candidates(meeting: Meeting):
    """The people who may be marked as attending: the network's current members not yet recorded."""
    return Person.objects.filter(
        pk__in=Membership.objects.current().filter(network_id=meeting.network_id).values("person")
    ).exclude(pk__in=Attendance.objects.filter(meeting=meeting).values("person"))


@transaction.atomic
def attendance_mark(*, meeting: Meeting, people, user) -> int:
    """Mark `people` (current members of the meeting's network) as having attended; anyone already
    recorded is left as they are. Returns how many attendances were recorded."""
    _check_manages(user, meeting.network_id)
    list(Meeting.objects.select_for_update().filter(pk=meeting.pk).values_list("pk"))  # one marking at a time
    wanted = {person.pk for person in people}
    allowed = set(attendance_candidates(meeting).filter(pk__in=wanted).values_list("pk", flat=True))
    recorded = set(Attendance.objects.filter(meeting=meeting, person__in=wanted).values_list("person", flat=True))
    outsiders = wanted - allowed - recorded
    if outsiders:
        raise ValidationError("Only current members of the network can be marked as attending.")
    now = timezone.now()
    created = bulk_create_with_history(
        [
            Attendance(
                meeting=meeting, person_id=pk, source=Attendance.Source.MARKED, recorded_by=user, recorded_at=now
            )
            for pk in sorted(allowed)
        ],
        Attendance,
        default_user=user,
        default_change_reason="Marked as attending on the meeting page",
    )
    return len(created)


@transaction.atomic
def attendance_remove(*, attendance: Attendance, user) -> None:
    """Remove one attendance (recorded by mistake); its history keeps who removed it."""
    _check_manages(user, attendance.meeting.network_id)
    record_change(attendance, user=user, reason="Attendance removed on the meeting page")
    attendance.delete()


def _lock_open_row(row: UnmatchedAttendee) -> UnmatchedAttendee:
    locked = UnmatchedAttendee.objects.select_for_update().select_related("meeting").get(pk=row.pk)
    if locked.status != UnmatchedAttendee.Status.OPEN:
        raise ValidationError(f"This attendee has already been {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def unmatched_match(*, row: UnmatchedAttendee, person: Person, user) -> Attendance:
    """Match an imported attendee to `person`: their attendance is recorded (with the minutes from
    the file) unless it already was, and the row is kept as matched."""
    _check_manages(user, row.meeting.network_id)
    if not matchable_people(user=user, network_id=row.meeting.network_id).filter(pk=person.pk).exists():
        raise ValidationError("Only current members of the network can be matched to an attendee.")
    row = _lock_open_row(row)
    attendance = Attendance.objects.filter(meeting=row.meeting, person=person).first()
    if attendance is None:
        attendance = Attendance(
            meeting=row.meeting,
            person=person,
            minutes_attended=row.minutes_attended,
            source=Attendance.Source.MATCHED,
            recorded_by=user,
        )
        record_change(attendance, user=user, reason=f"Matched from imported attendee {row.name or row.email}")
        attendance.save()
    row.status = UnmatchedAttendee.Status.MATCHED
    row.person = person
    row.resolved_by = user
    row.resolved_at = timezone.now()
    record_change(row, user=user, reason=f"Matched to {person.full_name}")
    row.save()
    return attendance


@transaction.atomic
def unmatched_dismiss(*, row: UnmatchedAttendee, user) -> None:
    """Dismiss an imported attendee who is no one in the register (a guest, a test account). A later
    import of the same file does not list them again."""
    _check_manages(user, row.meeting.network_id)
    row = _lock_open_row(row)
    row.status = UnmatchedAttendee.Status.DISMISSED
    row.resolved_by = user
    row.resolved_at = timezone.now()
    record_change(row, user=user, reason="Dismissed: not a person in the register")
    row.save()


def matchable_people(*, user, network_id: int):
    """The people `user` may match an imported attendee of a meeting of the network to: anyone for
    the national lead; for a chair, only the network's current members (the people "Mark
    attendance" offers, and the attendance import matches:
    attendance_import.matchable_people_by_email), so that an address or name reveals no one outside
    the networks they chair."""
    if user.is_national_lead:
        return Person.objects.all()
    return Person.objects.filter(pk__in=Membership.objects.current().filter(network_id=network_id).values("person"))


def person_search(text: str, people=None):
    """People (of `people`, by default everyone) whose first name, surname, work email or sign-in
    email contain every word of `text` ("amina okafor", "okafor@"), by surname."""
    people = Person.objects.all() if people is None else people
    words = text.split()
    if not words:
        return people.none()
    for word in words[:5]:
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(work_email__icontains=word)
            | Q(user__email__icontains=word)
        )
    return people.order_by(*by_surname(), "pk")
