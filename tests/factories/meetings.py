"""Factories for the meetings app: meetings (national webinars as their own factory, and scheduled
ones), attendance, the attendees an import could not match to a person, and calendar feeds."""

import datetime

import factory
from django.utils import timezone

from meetings.models import UK_TIME, Attendance, CalendarFeed, Meeting, UnmatchedAttendee

from .networks import NetworkFactory
from .officers import PersonFactory
from .users import UserFactory


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


def _in_days(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=UK_TIME)


class ScheduledMeetingFactory(MeetingFactory):
    """A scheduled network meeting, two weeks ahead, 14:00 to 15:00 UK time (its invitations not sent:
    schedule one through meetings.services.meeting_save to send them)."""

    title = factory.Sequence(lambda n: f"Network meeting {n}")
    starts_at = factory.LazyFunction(lambda: _in_days(14, 14))
    ends_at = factory.LazyAttribute(lambda meeting: meeting.starts_at + datetime.timedelta(hours=1))
    held_on = factory.LazyAttribute(lambda meeting: meeting.starts_at.astimezone(UK_TIME).date())
    joining_link = "https://teams.microsoft.com/l/meetup-join/network"
    agenda = "Introductions\nIncidents this month"


class ScheduledWebinarFactory(ScheduledMeetingFactory):
    """A scheduled national webinar: pass the national network (the world's `national`)."""

    kind = Meeting.Kind.NATIONAL_WEBINAR
    title = factory.Sequence(lambda n: f"National MSO webinar {n}")
    joining_link = "https://teams.microsoft.com/l/meetup-join/webinar"


class CalendarFeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarFeed

    user = factory.SubFactory(UserFactory)
    token = factory.LazyFunction(CalendarFeed.new_token)
