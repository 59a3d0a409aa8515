"""Handover reminders: a week before the due date and on the day, once per person each."""

import datetime

import pytest
import time_machine
from django.core.management import call_command

from emails.models import OutboundEmail
from handovers.models import Handover
from handovers.services import handover_open
from handovers.tasks import send_handover_reminders
from officers.models import Appointment
from tests.factories import AppointmentFactory, PersonFactory

DUE = datetime.date(2026, 4, 20)


def at(day: datetime.date):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(7, 30), tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def handover(world):
    incoming = AppointmentFactory(
        person=PersonFactory(work_email="priya.shah@nhs.net"),
        organisation=world.org_a,
        status=Appointment.Status.PENDING,
    )
    return handover_open(
        outgoing=world.mso_appointment,
        incoming=incoming,
        leaving_date=DUE - datetime.timedelta(days=28),
        due_date=DUE,
        started_by=world.mso,
    )


def reminders():
    return sorted(
        (email.to[0], email.dedupe_key) for email in OutboundEmail.objects.filter(template="handover_reminder")
    )


def test_nothing_is_sent_eight_days_before(world, handover):
    with at(DUE - datetime.timedelta(days=8)):
        call_command("send_handover_reminders")
    assert reminders() == []


def test_reminders_go_seven_days_before_and_on_the_day_once_each_even_run_twice(world, handover, mailoutbox, capsys):
    person_out = handover.outgoing_appointment.person_id
    person_in = handover.incoming_appointment.person_id
    with at(DUE - datetime.timedelta(days=7)):
        call_command("send_handover_reminders")
        call_command("send_handover_reminders")
        send_handover_reminders()
    assert "handovers=1 sent=2 already_sent=0" in capsys.readouterr().out
    assert reminders() == sorted(
        [
            ("mso.a@nhs.net", f"handover-{handover.pk}-due-in-7-{person_out}"),
            ("priya.shah@nhs.net", f"handover-{handover.pk}-due-in-7-{person_in}"),
        ]
    )
    with at(DUE - datetime.timedelta(days=3)):
        call_command("send_handover_reminders")
    assert len(reminders()) == 2
    with at(DUE):
        call_command("send_handover_reminders")
        call_command("send_handover_reminders")
    assert len(reminders()) == 4
    assert ("mso.a@nhs.net", f"handover-{handover.pk}-due-today-{person_out}") in reminders()
    email = OutboundEmail.objects.get(dedupe_key=f"handover-{handover.pk}-due-today-{person_out}")
    assert "due today" in email.subject
    assert f"/handovers/{handover.pk}/" in email.body_text
    with at(DUE + datetime.timedelta(days=1)):
        call_command("send_handover_reminders")
    assert len(reminders()) == 4


def test_no_reminder_for_a_completed_handover(world, handover):
    Handover.objects.filter(pk=handover.pk).update(
        status=Handover.Status.COMPLETED, completed_at=datetime.datetime.now(datetime.UTC)
    )
    for day in (DUE - datetime.timedelta(days=7), DUE):
        with at(day):
            call_command("send_handover_reminders")
    assert reminders() == []


def test_without_a_successor_only_the_outgoing_officer_is_reminded(world):
    handover_open(outgoing=world.other_appointment, leaving_date=DUE, due_date=DUE, started_by=world.lead)
    with at(DUE):
        send_handover_reminders()
    assert [to for to, _key in reminders()] == ["mso.b@nhs.net"]
