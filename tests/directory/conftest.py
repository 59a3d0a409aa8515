"""The directory's tests' fixtures."""

import datetime

import pytest

from handovers.services import handover_start
from tests.factories import PersonFactory, UserFactory

LEAVING = datetime.date(2027, 3, 3)


@pytest.fixture
def handover(world):
    """The London MSO, Amina Okafor, leaving on 3 March 2027, handing over to Priya Shah."""
    user = UserFactory(email="priya.shah@nhs.net", name="Priya Shah")
    successor = PersonFactory(user=user, work_email=user.email, first_name="Priya", last_name="Shah")
    return handover_start(
        appointment_id=world.mso_appointment.pk, leaving_date=LEAVING, successor_id=successor.pk, started_by=world.mso
    )
