"""Officers are asked once a year to confirm their details."""

import datetime

import pytest
import time_machine
from django.core.management import call_command

from emails.models import OutboundEmail
from officers.models import Appointment
from officers.reconfirmation import year_before
from officers.tasks import send_reconfirmation_reminders
from tests.factories import AppointmentFactory


def at(day: datetime.date):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(8), tzinfo=datetime.UTC), tick=False)


def asked():
    return sorted(
        (email.to[0], email.dedupe_key) for email in OutboundEmail.objects.filter(template="reconfirm_details")
    )


def confirm(person, day):
    person.details_confirmed_on = day
    person.save()


def test_officer_confirmed_a_year_ago_is_asked_once_that_year(world, capsys):
    confirm(world.mso_person, datetime.date(2025, 6, 1))
    confirm(world.other_person, datetime.date(2025, 6, 2))
    with at(datetime.date(2026, 5, 31)):
        call_command("send_reconfirmation_reminders")
    assert asked() == []
    with at(datetime.date(2026, 6, 1)):
        call_command("send_reconfirmation_reminders")
        call_command("send_reconfirmation_reminders")
        send_reconfirmation_reminders()
    assert asked() == [("mso.a@nhs.net", f"reconfirm-details-{world.mso_person.pk}-2026")]
    assert "due=1 sent=1 already_sent=0" in capsys.readouterr().out
    email = OutboundEmail.objects.get(template="reconfirm_details")
    assert world.mso_person.get_absolute_url() in email.body_text
    assert "1 June 2025" in email.body_text
    with at(datetime.date(2026, 9, 1)):
        call_command("send_reconfirmation_reminders")
    assert len(asked()) == 2  # the other officer now; the first not again


def test_never_confirmed_officer_is_asked_a_year_after_starting(world):
    # Both world officers started on 8 January 2024 and never confirmed.
    with at(datetime.date(2025, 1, 7)):
        send_reconfirmation_reminders()
    assert asked() == []
    with at(datetime.date(2025, 1, 8)):
        send_reconfirmation_reminders()
    assert {to for to, _key in asked()} == {"mso.a@nhs.net", "mso.b@nhs.net"}


def test_asked_again_the_next_year_if_still_not_confirmed(world):
    confirm(world.other_person, datetime.date(2026, 1, 1))
    with at(datetime.date(2025, 3, 1)):
        send_reconfirmation_reminders()
    with at(datetime.date(2026, 3, 1)):
        send_reconfirmation_reminders()
    assert [key for to, key in asked() if to == "mso.a@nhs.net"] == [
        f"reconfirm-details-{world.mso_person.pk}-2025",
        f"reconfirm-details-{world.mso_person.pk}-2026",
    ]


def test_recently_confirmed_and_ended_officers_are_not_asked(world):
    confirm(world.mso_person, datetime.date(2026, 2, 1))
    world.other_appointment.status = Appointment.Status.ENDED
    world.other_appointment.end_date = datetime.date(2025, 1, 1)
    world.other_appointment.save()
    with at(datetime.date(2026, 3, 1)):
        send_reconfirmation_reminders()
    assert asked() == []


def test_an_officer_with_two_roles_is_asked_once(world):
    AppointmentFactory(person=world.mso_person, organisation=world.org_b, role=Appointment.Role.DEPUTY_MSO)
    with at(datetime.date(2026, 3, 1)):
        send_reconfirmation_reminders()
    assert [to for to, _key in asked()].count("mso.a@nhs.net") == 1


@pytest.mark.parametrize(
    ("day", "expected"),
    [(datetime.date(2026, 3, 1), datetime.date(2025, 3, 1)), (datetime.date(2028, 2, 29), datetime.date(2027, 2, 28))],
)
def test_year_before(day, expected):
    assert year_before(day) == expected
