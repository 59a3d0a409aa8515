"""Starting a handover tells the successor, the chairs of the organisation's regional network, the
national leads and, when the lead started it for them, the outgoing officer: one email each, sent when
the start commits, none when it is rolled back or refused."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from emails.models import OutboundEmail
from handovers.models import Handover
from handovers.services import handover_start
from officers.models import Appointment
from tests.factories import AppointmentFactory, PersonFactory, UserFactory

LEAVING = datetime.date(2027, 3, 3)


@pytest.fixture
def successor(world):
    user = UserFactory(email="priya.shah@nhs.net", name="Priya Shah")
    person = PersonFactory(user=user, work_email=user.email, first_name="Priya", last_name="Shah")
    return AppointmentFactory(
        person=person,
        organisation=world.org_a,
        role=Appointment.Role.MSO,
        status=Appointment.Status.PENDING,
        start_date=LEAVING,
    )


def start(world, user, successor=None):
    return handover_start(
        appointment_id=world.mso_appointment.pk,
        leaving_date=LEAVING,
        successor_id=successor.person_id if successor else None,
        started_by=user,
    )


def sent(mailoutbox) -> dict[str, list[str]]:
    """The messages delivered, as {recipient: [subjects]}."""
    delivered: dict[str, list[str]] = {}
    for message in mailoutbox:
        for address in message.to:
            delivered.setdefault(address, []).append(message.subject)
    return delivered


def test_starting_emails_the_successor_the_regional_chair_and_the_lead_once_each_on_commit(
    world, successor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(world, world.mso, successor)
        assert mailoutbox == []  # nothing leaves before the commit
    assert sent(mailoutbox) == {
        "priya.shah@nhs.net": [
            "Amina Okafor is handing the medication safety officer role at Royal Free London NHS Foundation Trust "
            "over to you"
        ],
        "chair.a@nhs.net": [
            "Amina Okafor is leaving the medication safety officer role at Royal Free London NHS Foundation Trust"
        ],
        "lead@england.nhs.uk": [
            "Handover started: medication safety officer at Royal Free London NHS Foundation Trust"
        ],
    }
    templates = sorted(OutboundEmail.objects.values_list("template", flat=True))
    assert templates == ["handover_started_chair", "handover_started_lead", "handover_started_successor"]


def test_the_start_emails_are_branded_with_html_and_text_and_link_the_handover(
    world, successor, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://mso.example.nhs.uk"
    with django_capture_on_commit_callbacks(execute=True):
        handover = start(world, world.mso, successor)
    url = f"https://mso.example.nhs.uk/handovers/{handover.pk}/"
    assert len(mailoutbox) == 3
    for message in mailoutbox:
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        assert "MSO Network – NHS England" in html  # the header of templates/emails/base.html
        assert url in html and url in message.body
        assert "3 March 2027" in message.body and "3 March 2027" in html
        assert "MSO Network – NHS England" in message.body
    to_chair = next(message for message in mailoutbox if message.to == ["chair.a@nhs.net"])
    assert "Dear Chloe Adeyemi" in to_chair.body
    assert "The successor is Priya Shah" in to_chair.body


def test_without_a_successor_the_chair_and_the_lead_are_told_that_none_is_named(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(world, world.mso)
    assert set(sent(mailoutbox)) == {"chair.a@nhs.net", "lead@england.nhs.uk"}
    assert all("No successor is named yet" in message.body for message in mailoutbox)


def test_the_lead_who_starts_it_is_not_emailed_and_the_other_leads_are(
    world, successor, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="deputy.lead@england.nhs.uk", is_national_lead=True)
    UserFactory(email="former.lead@england.nhs.uk", is_national_lead=True, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        start(world, world.lead, successor)
    assert set(sent(mailoutbox)) == {
        "mso.a@nhs.net",
        "priya.shah@nhs.net",
        "chair.a@nhs.net",
        "deputy.lead@england.nhs.uk",
    }


def test_the_outgoing_officer_is_told_when_the_lead_starts_their_handover(
    world, successor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(world, world.lead, successor)
    assert sent(mailoutbox)["mso.a@nhs.net"] == [
        "A handover of your medication safety officer role at Royal Free London NHS Foundation Trust has been started"
    ]
    to_outgoing = next(message for message in mailoutbox if message.to == ["mso.a@nhs.net"])
    assert "Dear Amina Okafor" in to_outgoing.body
    assert f"{world.lead.get_full_name()} has started the handover of your" in to_outgoing.body
    assert "Priya Shah is named as your successor" in to_outgoing.body
    assert "3 March 2027" in to_outgoing.alternatives[0][0]


def test_chairs_of_other_regions_and_the_outgoing_officer_who_starts_it_are_not_emailed(
    world, successor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(world, world.mso, successor)
    assert "chair.b@nhs.net" not in sent(mailoutbox)
    assert "mso.a@nhs.net" not in sent(mailoutbox)


def test_someone_in_two_of_the_roles_gets_one_email(world, mailoutbox, django_capture_on_commit_callbacks):
    """The chair of the region is named as the successor: told once, as the successor."""
    chair = world.chair_a.person
    with django_capture_on_commit_callbacks(execute=True):
        handover_start(
            appointment_id=world.mso_appointment.pk, leaving_date=LEAVING, successor_id=chair.pk, started_by=world.mso
        )
    assert sent(mailoutbox)["chair.a@nhs.net"] == [
        "Amina Okafor is handing the medication safety officer role at Royal Free London NHS Foundation Trust over "
        "to you"
    ]


def test_a_start_rolled_back_sends_nothing(world, successor, mailoutbox, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        start(world, world.mso, successor)
        assert OutboundEmail.objects.count() == 3  # queued in the transaction, waiting for its commit
        raise RuntimeError("something later in the same transaction failed")
    assert callbacks == []
    assert mailoutbox == []
    assert not OutboundEmail.objects.exists()
    assert not Handover.objects.exists()


def test_starting_twice_is_refused_and_sends_nothing_more(
    world, successor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start(world, world.mso, successor)
    assert len(mailoutbox) == 3
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError, match="already in progress"),
    ):
        start(world, world.lead, successor)
    assert len(mailoutbox) == 3
    assert OutboundEmail.objects.count() == 3
    assert Handover.objects.count() == 1
