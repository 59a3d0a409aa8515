"""Two approvals for the same organisation's named MSO at the same moment, on PostgreSQL."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from handovers.models import Handover
from officers.models import Appointment
from registrations.services import registration_approve
from tests.factories import OrganisationFactory, UserFactory
from tests.registrations.test_registration import make_request

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks and serialises writers; the race needs PostgreSQL",
)


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_the_same_moment_leave_exactly_one_active_named_mso(world):
    organisation = OrganisationFactory(ods_code="RRV", region=world.london)
    requests = [
        make_request(UserFactory(email="first@nhs.net"), organisation),
        make_request(UserFactory(email="second@nhs.net"), organisation),
    ]
    barrier = threading.Barrier(len(requests))
    outcomes: dict[int, object] = {}

    def approve(request_id):
        # Each thread has its own database connection.
        try:
            barrier.wait(timeout=10)
            outcomes[request_id] = registration_approve(request_id=request_id, reviewer=world.lead)
        except ValidationError as error:
            outcomes[request_id] = error
        except Exception as error:  # anything else escaping the service fails the test below
            outcomes[request_id] = ("escaped", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(request.pk,)) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 2
    assert not [outcome for outcome in outcomes.values() if isinstance(outcome, tuple)], outcomes
    active = Appointment.objects.current().filter(organisation=organisation, role=Appointment.Role.MSO)
    assert active.count() == 1
    winner = active.get()
    for outcome in outcomes.values():
        if isinstance(outcome, ValidationError):
            assert outcome.messages  # a clear message for the lead
        elif outcome.pk != winner.pk:
            # The later approval waits for the handover from the first.
            outcome.refresh_from_db()
            assert outcome.status == Appointment.Status.PENDING
            handover = Handover.objects.get(outgoing_appointment=winner)
            assert handover.incoming_appointment_id == outcome.pk
