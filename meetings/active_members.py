"""Who is an active member of the national network: someone who attended at least one of the last
ACTIVE_MEMBER_WEBINARS (three) national webinars."""

import datetime

from django.db.models import Exists, OuterRef

from .models import Attendance, Meeting


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
