"""Faults on PostgreSQL: two national leads approve two different people as the named MSO of one
organisation at the same moment, each through the approve button of their own browser session."""

import html
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from handovers.models import Handover
from officers.models import Appointment, RequestStatus
from registrations.models import RegistrationRequest
from registrations.services import RACE_MESSAGE
from tests.factories import OrganisationFactory, TOTPAuthenticatorFactory, UserFactory
from tests.figures import figures
from tests.registrations.test_registration import make_request

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has no row locks and serialises writers; the race needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]


def lead(email: str):
    user = UserFactory(email=email, is_national_lead=True, is_staff=True)
    TOTPAuthenticatorFactory(user=user)
    return user


def page_text(response) -> str:
    """The page as text, entities decoded. (Not response.context: the test client collects the
    templates rendered by every thread, so the context of concurrent requests is mixed up.)"""
    return html.unescape(response.content.decode())


def post_together(posts):
    """Send each (client, url) POST in its own thread, with its own database connection, all
    released at the same moment; returns the final responses (redirects followed) or exceptions."""
    barrier = threading.Barrier(len(posts))
    results = [None] * len(posts)

    def run(index, client, url):
        try:
            barrier.wait(timeout=10)
            results[index] = client.post(url, follow=True)
        except Exception as error:  # anything escaping the view fails the test below
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_two_leads_approving_two_people_as_named_mso_of_one_organisation_at_once_leave_one_active(world):
    organisation = OrganisationFactory(
        ods_code="RRV", name="University College London Hospitals NHS Foundation Trust", region=world.london
    )
    requests = [
        make_request(UserFactory(email="priya.shah@nhs.net"), organisation, first_name="Priya", last_name="Shah"),
        make_request(UserFactory(email="tom.reid@nhs.net"), organisation, first_name="Tom", last_name="Reid"),
    ]
    leads = [world.lead, lead("deputy.lead@england.nhs.uk")]
    clients = []
    for user, request in zip(leads, requests, strict=True):
        client = Client()
        client.force_login(user)
        # Each lead opens the request: nobody holds the role yet.
        review = client.get(reverse("registrations:review", args=[request.pk]))
        assert review.status_code == 200
        clients.append(client)

    responses = post_together(
        [
            (client, reverse("registrations:approve", args=[request.pk]))
            for client, request in zip(clients, requests, strict=True)
        ]
    )

    assert all(not isinstance(response, Exception) for response in responses), responses
    assert [response.status_code for response in responses] == [200, 200]
    # The database holds one active named MSO.
    active = Appointment.objects.filter(
        organisation=organisation, role=Appointment.Role.MSO, status=Appointment.Status.ACTIVE
    )
    assert active.count() == 1
    winner = active.select_related("person").get()
    won = [i for i, request in enumerate(requests) if request.first_name == winner.person.first_name]
    assert len(won) == 1
    winner_index = won[0]
    loser_index = 1 - winner_index
    winner_page = page_text(responses[winner_index])
    loser_page = page_text(responses[loser_index])
    loser_request = RegistrationRequest.objects.get(pk=requests[loser_index].pk)
    loser_name = f"{loser_request.first_name} {loser_request.last_name}"
    role = Appointment.Role.MSO.label.lower()

    assert f"Registration approved: {winner.person.full_name} is now the {role} at {organisation.name}." in winner_page
    assert f"is now the {role}" not in loser_page
    if loser_request.status == RequestStatus.APPROVED:
        # Approved second, it found the first officer in post: the new officer waits for the
        # handover from them, and the lead is told so rather than that they are now the MSO.
        assert (
            f"Registration approved: {loser_name} will be the {role} at {organisation.name} once the handover "
            "from the current holder is complete." in loser_page
        )
        pending = loser_request.appointment
        assert pending.status == Appointment.Status.PENDING
        handover = Handover.objects.get(outgoing_appointment=winner)
        assert handover.incoming_appointment_id == pending.pk
        assert handover.status == Handover.Status.OPEN
    else:
        # Refused by the database: the request still waits and the lead is told why.
        assert loser_request.status == RequestStatus.SUBMITTED
        assert RACE_MESSAGE in loser_page
        assert loser_request.appointment_id is None
    assert Appointment.objects.current().filter(organisation=organisation, role=Appointment.Role.MSO).count() == 1
    figures.add("fault_scenarios")
