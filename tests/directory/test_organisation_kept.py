"""What the organisation page shows a user is read once, then kept (msonet.generations) until a
committed change to what it shows, or to who may see it, which shows at once. Each write commits at
once here (no test transaction), as in a running portal."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import ContactView
from handovers.services import handover_start
from networks.models import Membership, Network
from officers.models import Appointment, Person
from organisations.models import KeyContact
from tests.factories import (
    AppointmentFactory,
    CommitteeFactory,
    FlagFactory,
    MembershipFactory,
    NetworkFactory,
    PersonFactory,
    TeamProposalFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def page(client, user, ods_code="RAL") -> str:
    client.force_login(user)
    response = client.get(reverse("directory:organisation", args=[ods_code]))
    assert response.status_code == 200
    return response.content.decode()


def tables_read(queries) -> set[str]:
    return {table for query in queries for table in re.findall(r'(?:FROM|JOIN) "(\w+)"', query["sql"])}


def without_csrf_tokens(content: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", content)


def test_the_organisation_page_is_read_once_until_what_it_shows_changes(client, world):
    with CaptureQueriesContext(connection) as first:
        shown = page(client, world.lead)
    with CaptureQueriesContext(connection) as again:
        assert without_csrf_tokens(page(client, world.lead)) == without_csrf_tokens(shown)
    page_tables = {"organisations_organisation", "officers_appointment", "handovers_handover", "compliance_flag"}
    assert page_tables <= tables_read(first.captured_queries)
    assert not page_tables & tables_read(again.captured_queries)


CHANGES = {
    "a named officer's name": (
        lambda world: Person.objects.filter(pk=world.mso_person.pk).update(last_name="Renamed"),
        "Amina Renamed",
    ),
    "a new named officer": (
        lambda world: AppointmentFactory(
            organisation=world.org_a,
            role=Appointment.Role.MDSO,
            person=PersonFactory(first_name="Newly", last_name="Named"),
        ),
        "Newly Named",
    ),
    "the organisation's record": (
        lambda world: type(world.org_a).objects.filter(pk=world.org_a.pk).update(phone="020 7000 1234"),
        "020 7000 1234",
    ),
    "a key contact": (
        lambda world: KeyContact.objects.create(
            organisation=world.org_a, role=KeyContact.Role.CHIEF_PHARMACIST, name="Chief Pharm"
        ),
        "Chief Pharm",
    ),
    "an open flag": (lambda world: FlagFactory(organisation=world.org_a), "Open compliance flags"),
    "a handover started": (
        lambda world: handover_start(
            appointment_id=world.mso_appointment.pk,
            leaving_date=datetime.date(2027, 3, 3),
            successor_id=PersonFactory().pk,
            started_by=world.lead,
        ),
        "role in progress",
    ),
    "a network joined by its officer": (
        lambda world: MembershipFactory(
            person=world.mso_person, network=NetworkFactory(name="Riverside Local MSO network", kind=Network.Kind.LOCAL)
        ),
        "Riverside Local MSO network",
    ),
    "a team proposal waiting for approval": (
        lambda world: TeamProposalFactory(organisation=world.org_a, first_name="Proposed", last_name="Colleague"),
        "Proposed Colleague",
    ),
    "a committee recorded": (lambda world: CommitteeFactory(organisation=world.org_a), "See the committee's members"),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_committed_change_to_what_the_organisation_page_shows_shows_at_once(client, world, change):
    make, expected = change
    assert expected not in page(client, world.lead)
    assert expected not in page(client, world.lead)  # kept
    make(world)
    assert expected in page(client, world.lead)


def test_an_officer_appointed_at_the_organisation_sees_its_private_profile_at_once(client, world):
    assert "Medication safety team" not in page(client, world.no_role)
    assert "mso.a@nhs.net" not in page(client, world.no_role)
    AppointmentFactory(
        organisation=world.org_a, role=Appointment.Role.TEAM_MEMBER, person=PersonFactory(user=world.no_role)
    )
    content = page(client, world.no_role)
    assert "Medication safety team" in content
    assert "mso.a@nhs.net" in content


def test_a_new_chair_of_the_organisations_network_sees_its_private_profile_at_once(client, world):
    chair = Person.objects.get(user=world.chair_b)
    assert "Medication safety team" not in page(client, world.chair_b)
    MembershipFactory(person=chair, network=world.network_a, role=Membership.Role.VICE_CHAIR)
    assert "Medication safety team" in page(client, world.chair_b)


def test_what_the_organisation_page_shows_one_user_is_not_shown_to_another(client, world):
    assert "mso.a@nhs.net" in page(client, world.lead)
    assert "Medication safety team" in page(client, world.lead)
    content = page(client, world.no_role)
    assert "mso.a@nhs.net" not in content
    assert "Medication safety team" not in content


def test_each_view_of_a_kept_organisation_page_logs_the_contact_details_it_showed(client, world):
    page(client, world.lead)
    page(client, world.lead)
    assert list(ContactView.objects.values_list("viewer", "person")) == [(world.lead.pk, world.mso_person.pk)] * 2
