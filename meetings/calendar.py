"""Meetings as iCalendar (RFC 5545): the invitation, update and cancellation each invited person
receives, and a user's calendar feed.

Times are written in UTC (every calendar program shows them in its own time zone). A meeting's UID
is the same everywhere (`Meeting.uid`); its SEQUENCE rises with each update or cancellation, so a
calendar replaces the event it holds. The feed names no one: no organiser, no attendees.
"""

import datetime
from email.utils import parseaddr

import icalendar
from django.conf import settings
from django.utils import timezone

from .models import Meeting

PRODID = "-//NHS England//MSO Network portal//EN"
FEED_NAME = "MSO Network webinars and meetings"

# What a calendar program is told, by the email it comes in.
METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"


def _calendar(*, method: str | None = None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def _description(meeting: Meeting) -> str:
    parts = [f"{meeting.get_kind_display()} of {meeting.network.name}."]
    if meeting.joining_link:
        parts.append(f"Join: {meeting.joining_link}")
    if meeting.agenda:
        parts.append(f"Agenda:\n{meeting.agenda}")
    return "\n\n".join(parts)


def _event(meeting: Meeting, *, stamp: datetime.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", meeting.uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", meeting.starts_at.astimezone(datetime.UTC))
    event.add("dtend", meeting.ends_at.astimezone(datetime.UTC))
    event.add("sequence", meeting.sequence)
    event.add("summary", meeting.title)
    event.add("description", _description(meeting))
    if meeting.joining_link:
        event.add("location", meeting.joining_link)
        event.add("url", meeting.joining_link)
    event.add("status", "CANCELLED" if meeting.is_cancelled else "CONFIRMED")
    event.add("last-modified", meeting.updated_at.astimezone(datetime.UTC))
    return event


def organiser() -> icalendar.vCalAddress:
    """The portal's team address (DEFAULT_FROM_EMAIL), the organiser of every meeting."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = icalendar.vCalAddress(f"mailto:{address}")
    if name:
        organizer.params["CN"] = name
    return organizer


def invitation_ics(meeting: Meeting, *, email: str, stamp: datetime.datetime | None = None) -> str:
    """The `.ics` of one person's email about `meeting`: METHOD:REQUEST for an invitation or an
    update, METHOD:CANCEL (STATUS:CANCELLED) once the meeting is cancelled. The person is the only
    attendee."""
    cancelled = meeting.is_cancelled
    calendar = _calendar(method=METHOD_CANCEL if cancelled else METHOD_REQUEST)
    event = _event(meeting, stamp=stamp or timezone.now())
    event.add("organizer", organiser())
    attendee = icalendar.vCalAddress(f"mailto:{email}")
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "NEEDS-ACTION"
    attendee.params["RSVP"] = "FALSE"
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical().decode()


def feed_ics(meetings) -> bytes:
    """A calendar feed of `meetings` (cancelled ones as STATUS:CANCELLED), with no one's name or address."""
    calendar = _calendar()
    calendar.add("x-wr-calname", FEED_NAME)
    calendar.add("x-published-ttl", "PT1H")
    calendar.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    stamp = timezone.now()
    for meeting in meetings:
        calendar.add_component(_event(meeting, stamp=stamp))
    return calendar.to_ical()
