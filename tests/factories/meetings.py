"""Factories for the meetings app: meetings (national webinars as their own factory), attendance
and the attendees an import could not match to a person."""

import datetime

import factory

from meetings.models import Attendance, Meeting, UnmatchedAttendee

from .networks import NetworkFactory
from .officers import PersonFactory


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    network = factory.SubFactory(NetworkFactory)
    title = "National MSO webinar"
    held_on = datetime.date(2026, 10, 14)


class WebinarFactory(MeetingFactory):
    """A national webinar: pass the national network (the world's `national`)."""

    kind = Meeting.Kind.NATIONAL_WEBINAR
    title = factory.Sequence(lambda n: f"National MSO webinar {n}")
    held_on = datetime.date(2026, 10, 14)


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    meeting = factory.SubFactory(MeetingFactory)
    person = factory.SubFactory(PersonFactory)
    minutes_attended = 45


class UnmatchedAttendeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnmatchedAttendee

    meeting = factory.SubFactory(MeetingFactory)
    name = factory.Sequence(lambda n: f"Guest {n}")
    email = factory.Sequence(lambda n: f"guest{n}@example.org")
    key = factory.LazyAttribute(lambda row: UnmatchedAttendee.key_for(name=row.name, email=row.email))
    minutes_attended = 30
