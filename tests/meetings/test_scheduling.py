"""Scheduled webinars and meetings: the lead schedules a national webinar and a network's chair their
network's meetings; each person in the audience gets an invitation with an `.ics`, an update when
the time or link changes, a cancellation when it is cancelled (the same UID, a higher SEQUENCE each
time), and a reminder the day before. Bad input is refused with a message, writing and sending
nothing."""

import datetime
import io

import icalendar
import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from emails.models import OutboundEmail
from meetings.models import UK_TIME, Meeting
from meetings.services import meeting_audience, meeting_cancel, meeting_save, meeting_send_reminders
from meetings.tasks import send_meeting_reminders
from tests.factories import (
    AppointmentFactory,
    MeetingFactory,
    MembershipFactory,
    PersonFactory,
    ScheduledMeetingFactory,
    ScheduledWebinarFactory,
)

LINK = "https://teams.microsoft.com/l/meetup-join/insulin"
PAST = "A meeting can only be scheduled to start in the future"


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def schedule_data(title, day, start="14:00", end="15:00", **extra):
    return {
        "title": title,
        "held_on_day": day.day,
        "held_on_month": day.month,
        "held_on_year": day.year,
        "start_time": start,
        "end_time": end,
        "joining_link": LINK,
        "agenda": "Insulin safety\nQuestions",
        **extra,
    }


def invitations(address=None):
    """The `.ics` of each email sent (to `address`, if given), parsed, with the email."""
    found = []
    for message in mail.outbox:
        if address and message.to != [address]:
            continue
        for _name, content, mimetype in message.attachments:
            assert mimetype.startswith("text/calendar; method=")
            found.append((message, icalendar.Calendar.from_ical(content)))
    return found


def only_event(calendar):
    (event,) = calendar.events
    return event


def attendees(event):
    value = event.get("ATTENDEE")
    values = value if isinstance(value, list) else [value]
    return [str(attendee) for attendee in values]


# Scheduling and the invitation


def test_lead_schedules_a_national_webinar_and_every_officer_gets_an_invitation(committing_client, world):
    committing_client.force_login(world.lead)
    day = in_days(10)
    response = committing_client.post(
        reverse("meetings:create", args=["national"]),
        schedule_data("Insulin safety", day, kind="national_webinar"),
    )
    webinar = Meeting.objects.get()
    assert response.status_code == 302
    assert webinar.kind == Meeting.Kind.NATIONAL_WEBINAR
    assert webinar.starts_uk == datetime.datetime.combine(day, datetime.time(14), tzinfo=UK_TIME)
    assert webinar.ends_at - webinar.starts_at == datetime.timedelta(hours=1)
    assert (webinar.joining_link, webinar.sequence, webinar.held_on) == (LINK, 0, day)
    assert webinar.history.first().history_change_reason == "Meeting scheduled: invitations sent"
    # Both officers on the register; the chairs hold no appointment and are not in the national network.
    assert sorted(message.to[0] for message in mail.outbox) == ["mso.a@nhs.net", "mso.b@nhs.net"]
    message, calendar = invitations("mso.a@nhs.net")[0]
    assert message.subject.startswith("Invitation: Insulin safety, ")
    assert LINK in message.body and "Insulin safety\nQuestions" in message.body
    event = only_event(calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == webinar.uid == f"meeting-{webinar.pk}@127.0.0.1"
    assert event["SEQUENCE"] == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.start == webinar.starts_at and event.end == webinar.ends_at
    assert attendees(event) == ["mailto:mso.a@nhs.net"]
    assert str(event["ORGANIZER"]) == "mailto:mso-network@england.nhs.uk"
    assert "mso.b@nhs.net" not in message.attachments[0][1]


def test_the_invitation_update_and_cancellation_share_the_uid_with_a_rising_sequence(committing_client, world):
    committing_client.force_login(world.chair_a)
    day = in_days(5)
    committing_client.post(reverse("meetings:create", args=["london"]), schedule_data("London meeting", day))
    meeting = Meeting.objects.get()
    committing_client.post(
        reverse("meetings:edit", args=[meeting.pk]), schedule_data("London meeting", day, start="15:00", end="16:30")
    )
    response = committing_client.post(reverse("meetings:cancel", args=[meeting.pk]))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.is_cancelled and meeting.sequence == 2
    sent = invitations("mso.a@nhs.net")
    assert [message.subject.split(":")[0] for message, _ in sent] == ["Invitation", "Updated", "Cancelled"]
    methods = [str(calendar["METHOD"]) for _, calendar in sent]
    events = [only_event(calendar) for _, calendar in sent]
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    assert {str(event["UID"]) for event in events} == {meeting.uid}
    assert [event["SEQUENCE"] for event in events] == [0, 1, 2]
    assert [str(event["STATUS"]) for event in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert events[1].start == datetime.datetime.combine(day, datetime.time(15), tzinfo=UK_TIME)
    assert [entry.history_change_reason for entry in meeting.history.order_by("history_id")] == [
        "Meeting scheduled: invitations sent",
        "Meeting rescheduled: updates sent",
        "Meeting cancelled: cancellations sent",
    ]
    # The network's members: the London MSO and the London chair, not the North West MSO.
    assert {message.to[0] for message in mail.outbox} == {"mso.a@nhs.net", "chair.a@nhs.net"}
    assert len(mail.outbox) == 6


def test_a_new_joining_link_sends_an_update(world):
    meeting = meeting_save(meeting=ScheduledMeetingFactory.build(network=world.network_a), user=world.chair_a)
    meeting.joining_link = "https://teams.microsoft.com/l/meetup-join/new"
    meeting_save(meeting=meeting, user=world.chair_a)
    keys = set(OutboundEmail.objects.values_list("dedupe_key", flat=True))
    assert keys == {
        f"meeting:{meeting.pk}:seq{sequence}:person{person.pk}"
        for sequence in (0, 1)
        for person in (world.mso_person, world.chair_a.person)
    }


def test_changing_only_the_title_or_agenda_sends_no_update(client, world):
    meeting = meeting_save(meeting=ScheduledMeetingFactory.build(network=world.network_a), user=world.chair_a)
    sent = OutboundEmail.objects.count()
    client.force_login(world.chair_a)
    data = schedule_data("A new title", meeting.held_on, joining_link=meeting.joining_link, agenda="New agenda")
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.agenda, meeting.sequence) == ("A new title", "New agenda", 0)
    assert OutboundEmail.objects.count() == sent


def test_a_record_of_a_meeting_held_sends_nothing(committing_client, world):
    committing_client.force_login(world.chair_a)
    day = in_days(-3)
    data = {"title": "Held last week", "held_on_day": day.day, "held_on_month": day.month, "held_on_year": day.year}
    assert committing_client.post(reverse("meetings:create", args=["london"]), data).status_code == 302
    assert not Meeting.objects.get().is_scheduled
    assert mail.outbox == [] and not OutboundEmail.objects.exists()


def test_the_audience_of_a_webinar_is_the_register_and_the_national_network(world):
    webinar = ScheduledWebinarFactory(network=world.national)
    national_only = PersonFactory()
    MembershipFactory(person=national_only, network=world.national)
    appointed_only = AppointmentFactory().person
    left = PersonFactory()
    MembershipFactory(person=left, network=world.national, left_on=in_days(-1))
    audience = set(meeting_audience(webinar))
    assert {world.mso_person, world.other_person, national_only, appointed_only} == audience


# Bad input: a clear message, nothing written, nothing sent


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"start": "15:00", "end": "14:00"}, "end_time", "The end time must be after the start time."),
        ({"start": "15:00", "end": "15:00"}, "end_time", "The end time must be after the start time."),
        ({"day": -1}, "held_on", PAST),
        ({"day": 0, "start": "00:01", "end": "00:30"}, "held_on", PAST),
        ({"joining_link": "ftp://files.example.org/webinar"}, "joining_link", "Enter a joining link starting https://"),
        ({"joining_link": "javascript:alert(1)"}, "joining_link", "Enter a joining link starting https://"),
        ({"start": "", "end": "15:00"}, "start_time", "Enter the start time"),
        ({"start": "2pm", "end": "15:00"}, "start_time", "Enter the start time as hours and minutes"),
    ],
)
def test_bad_schedules_are_refused_with_a_message_writing_and_sending_nothing(
    committing_client, world, change, field, message
):
    committing_client.force_login(world.lead)
    data = schedule_data(
        "Insulin safety",
        in_days(change.pop("day", 10)),
        start=change.pop("start", "14:00"),
        end=change.pop("end", "15:00"),
        kind="national_webinar",
        **change,
    )
    response = committing_client.post(reverse("meetings:create", args=["national"]), data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert message in content
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Meeting.objects.exists()
    assert not OutboundEmail.objects.exists() and mail.outbox == []


def test_moving_a_scheduled_meeting_into_the_past_is_refused(client, world):
    meeting = meeting_save(meeting=ScheduledMeetingFactory.build(network=world.network_a), user=world.chair_a)
    before = (meeting.starts_at, meeting.sequence, OutboundEmail.objects.count(), meeting.history.count())
    client.force_login(world.chair_a)
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), schedule_data("Moved", in_days(-2)))
    assert response.status_code == 200
    assert "A meeting can only be scheduled to start in the future" in response.content.decode()
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.sequence, OutboundEmail.objects.count(), meeting.history.count()) == before


def test_the_times_of_a_scheduled_meeting_cannot_be_taken_off(client, world):
    meeting = meeting_save(meeting=ScheduledMeetingFactory.build(network=world.network_a), user=world.chair_a)
    client.force_login(world.chair_a)
    day = meeting.held_on
    data = {"title": "No times", "held_on_day": day.day, "held_on_month": day.month, "held_on_year": day.year}
    response = client.post(reverse("meetings:edit", args=[meeting.pk]), data)
    assert response.status_code == 200
    assert "To call it off, cancel it" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.is_scheduled and meeting.title != "No times"


def test_the_database_refuses_a_meeting_ending_before_it_starts_or_a_link_that_is_not_a_web_address(world):
    starts = timezone.now() + datetime.timedelta(days=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingFactory(network=world.network_a, starts_at=starts, ends_at=starts - datetime.timedelta(minutes=5))
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingFactory(network=world.network_a, starts_at=starts, ends_at=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduledMeetingFactory(network=world.network_a, joining_link="javascript:alert(1)")
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingFactory(network=world.network_a, cancelled_at=timezone.now())


# Cancelling


def test_cancelling_asks_first_and_a_cancelled_meeting_cannot_be_cancelled_or_moved_again(client, world):
    meeting = meeting_save(meeting=ScheduledMeetingFactory.build(network=world.network_a), user=world.chair_a)
    client.force_login(world.chair_a)
    page = client.get(reverse("meetings:cancel", args=[meeting.pk]))
    assert page.status_code == 200 and "Cancel the meeting" in page.content.decode()
    assert not Meeting.objects.get(pk=meeting.pk).is_cancelled
    client.post(reverse("meetings:cancel", args=[meeting.pk]))
    sent = OutboundEmail.objects.count()
    response = client.post(reverse("meetings:cancel", args=[meeting.pk]), follow=True)
    assert "This meeting has already been cancelled." in response.content.decode()
    meeting.refresh_from_db()
    response = client.post(
        reverse("meetings:edit", args=[meeting.pk]), schedule_data("Moved", meeting.held_on, start="16:00", end="17:00")
    )
    assert "This meeting has been cancelled" in response.content.decode()
    meeting.refresh_from_db()
    assert (meeting.sequence, OutboundEmail.objects.count()) == (1, sent)


def test_a_meeting_already_held_or_never_scheduled_cannot_be_cancelled(world):
    held = MeetingFactory(network=world.network_a)
    with pytest.raises(Exception, match="Only a scheduled meeting can be cancelled"):
        meeting_cancel(meeting=held, user=world.chair_a)
    past = ScheduledMeetingFactory(
        network=world.network_a,
        starts_at=timezone.now() - datetime.timedelta(hours=3),
        ends_at=timezone.now() - datetime.timedelta(hours=2),
    )
    with pytest.raises(Exception, match="already taken place"):
        meeting_cancel(meeting=past, user=world.chair_a)
    assert not Meeting.objects.filter(cancelled_at__isnull=False).exists()


@pytest.mark.parametrize("role", ["chair_b", "mso", "no_role"])
def test_only_those_who_manage_a_meeting_can_cancel_it(client, world, role):
    meeting = meeting_save(meeting=ScheduledMeetingFactory.build(network=world.network_a), user=world.chair_a)
    sent = OutboundEmail.objects.count()
    client.force_login(getattr(world, role))
    assert client.get(reverse("meetings:cancel", args=[meeting.pk])).status_code == 404
    assert client.post(reverse("meetings:cancel", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("meetings:edit", args=[meeting.pk])).status_code == 404
    meeting.refresh_from_db()
    assert not meeting.is_cancelled and OutboundEmail.objects.count() == sent


# The reminder the day before


def test_the_reminder_goes_the_day_before_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the invitations go first
        tomorrow = meeting_save(
            meeting=ScheduledMeetingFactory.build(
                network=world.network_a,
                starts_at=datetime.datetime.combine(in_days(1), datetime.time(10), tzinfo=UK_TIME),
                ends_at=datetime.datetime.combine(in_days(1), datetime.time(11), tzinfo=UK_TIME),
                held_on=in_days(1),
            ),
            user=world.chair_a,
        )
    cancelled = ScheduledMeetingFactory(
        network=world.network_a,
        starts_at=tomorrow.starts_at,
        ends_at=tomorrow.ends_at,
        held_on=in_days(1),
        cancelled_at=timezone.now(),
    )
    ScheduledMeetingFactory(network=world.network_a)  # in two weeks
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = meeting_send_reminders()
    assert (report.meetings, report.sent) == ([tomorrow.pk], 2)
    assert sorted(message.to[0] for message in mail.outbox) == ["chair.a@nhs.net", "mso.a@nhs.net"]
    assert all(message.subject.startswith(f"Tomorrow: {tomorrow.title}") for message in mail.outbox)
    assert cancelled.title not in "".join(message.subject for message in mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert meeting_send_reminders().sent == 0
    output = io.StringIO()
    call_command("send_meeting_reminders", stdout=output)
    assert output.getvalue().strip() == "meetings=1 sent=0"
    assert len(mail.outbox) == 2
    assert OutboundEmail.objects.filter(template="meeting_reminder").count() == 2


def test_the_reminder_task_is_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-meeting-reminders"]
    assert entry["task"] == "meetings.tasks.send_meeting_reminders"
    assert send_meeting_reminders.name == entry["task"]


def test_the_meeting_pages_show_the_schedule_and_the_cancellation(client, world):
    meeting = meeting_save(meeting=ScheduledMeetingFactory.build(network=world.network_a), user=world.chair_a)
    client.force_login(world.chair_a)
    detail = client.get(meeting.get_absolute_url()).content.decode()
    assert "14:00 to 15:00" in detail and meeting.joining_link in detail and "Incidents this month" in detail
    assert reverse("meetings:cancel", args=[meeting.pk]) in detail
    meeting_cancel(meeting=meeting, user=world.chair_a)
    detail = client.get(meeting.get_absolute_url()).content.decode()
    assert "Cancelled" in detail and reverse("meetings:cancel", args=[meeting.pk]) not in detail
    listing = client.get(reverse("meetings:list", args=["london"])).content.decode()
    assert "Cancelled" in listing and "14:00" in listing


@pytest.mark.parametrize("size", [3, 60])
def test_scheduling_a_webinar_queues_its_invitations_in_a_fixed_number_of_queries(
    world, size, django_assert_max_num_queries
):
    for _ in range(size):
        AppointmentFactory()
    # The same 19 or so for 5 officers or 62: the rights, the checks, the row, its history, the audience,
    # the keys already queued and one INSERT of the emails.
    with django_assert_max_num_queries(20):
        meeting_save(meeting=ScheduledWebinarFactory.build(network=world.national), user=world.lead)
    assert OutboundEmail.objects.filter(template="meeting_invitation", bulk=True).count() == size + 2
