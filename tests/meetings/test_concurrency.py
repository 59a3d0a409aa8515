"""Two people (or two beat runs) acting on one scheduled meeting at the same moment, on PostgreSQL:
one cancellation, one set of reminders, each email queued once, no error escaping."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from emails.models import OutboundEmail
from meetings.models import UK_TIME, Meeting
from meetings.services import meeting_cancel, meeting_save, meeting_send_reminders
from tests.factories import ScheduledMeetingFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises writers; the race needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]


def at_once(action, count=2):
    barrier = threading.Barrier(count)
    outcomes = []

    def run():
        try:
            barrier.wait(timeout=10)
            outcomes.append(action())
        except Exception as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_cancellations_at_once_cancel_once_and_send_one_set(world):
    meeting = meeting_save(meeting=ScheduledMeetingFactory.build(network=world.network_a), user=world.chair_a)
    outcomes = at_once(lambda: meeting_cancel(meeting=Meeting.objects.get(pk=meeting.pk), user=world.chair_a))
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert len(refused) == 1 and "already been cancelled" in refused[0].messages[0]
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception) and outcome not in refused]
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    assert OutboundEmail.objects.filter(template="meeting_cancelled").count() == 2  # the two London members


def test_two_reminder_runs_at_once_remind_each_person_once(world):
    day = timezone.localdate() + datetime.timedelta(days=1)
    ScheduledMeetingFactory(
        network=world.network_a,
        starts_at=datetime.datetime.combine(day, datetime.time(10), tzinfo=UK_TIME),
        ends_at=datetime.datetime.combine(day, datetime.time(11), tzinfo=UK_TIME),
        held_on=day,
    )
    outcomes = at_once(meeting_send_reminders)
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert sorted(report.sent for report in outcomes) == [0, 2]
    assert OutboundEmail.objects.filter(template="meeting_reminder").count() == 2
