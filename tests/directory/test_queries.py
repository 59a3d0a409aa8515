"""The directory, organisation page and network page run the same number of queries whatever the data size."""

import pytest
from django.urls import reverse

from committees.models import Committee
from networks.models import Network
from officers.models import Appointment
from organisations.models import KeyContact
from tests.factories import AppointmentFactory, MembershipFactory, NetworkFactory, OrganisationFactory

# Session, user (with their person record and whether they have an authenticator app: users.backends),
# the header's chaired networks, then the page's own queries: the count, the regions of the filter, the
# page, its named officers and its rows' coverage (compliance.coverage.add_coverage).
DIRECTORY_QUERIES = 8
# One of them the open compliance flags, one the log of contact details seen, one its coverage
# (add_coverage), one its exceptions to what its type is expected to have
# (compliance.coverage.organisation_coverage).
ORGANISATION_QUERIES = 16
NETWORK_QUERIES = 14  # one of them the log of contact details seen
NETWORK_LIST_QUERIES = 7
PERSON_QUERIES = 10  # one of them the handovers in progress of their named roles


def populate(world, size):
    """`size` London organisations, each with a named MSO (also a team member at org_a) and every other one a
    named MDSO; the MSOs belong to the London and national networks and to one specialised network each."""
    Committee.objects.create(organisation=world.org_a, chair_name="Dr Chair")
    for role in KeyContact.Role:
        KeyContact.objects.create(organisation=world.org_a, role=role, name=f"Contact {role}")
    for index in range(size):
        organisation = OrganisationFactory(region=world.london)
        mso = AppointmentFactory(organisation=organisation, role=Appointment.Role.MSO)
        if index % 2:
            AppointmentFactory(organisation=organisation, role=Appointment.Role.MDSO)
        AppointmentFactory(person=mso.person, organisation=world.org_a, role=Appointment.Role.TEAM_MEMBER)
        MembershipFactory(person=mso.person, network=world.network_a)
        MembershipFactory(person=mso.person, network=world.national)
        MembershipFactory(person=mso.person, network=NetworkFactory(kind=Network.Kind.SPECIALISED))


@pytest.fixture(params=[5, 60], ids=["5-organisations", "60-organisations"])
def populated(request, world):
    populate(world, request.param)
    return world


@pytest.mark.parametrize("role", ["chair_a", "lead"])
def test_directory_queries_do_not_grow_with_the_data(client, populated, role, django_assert_max_num_queries):
    client.force_login(getattr(populated, role))
    with django_assert_max_num_queries(DIRECTORY_QUERIES):
        response = client.get(reverse("directory:organisations"))
    assert len(response.context["organisations"]) > 5
    assert b"No named MDSO" in response.content


@pytest.mark.parametrize("role", ["chair_a", "lead"])
def test_organisation_page_queries_do_not_grow_with_the_data(client, populated, role, django_assert_max_num_queries):
    client.force_login(getattr(populated, role))
    with django_assert_max_num_queries(ORGANISATION_QUERIES):
        response = client.get(reverse("directory:organisation", args=[populated.org_a.ods_code]))
    assert len(response.context["appointments"]) > 5
    assert b"Contact chief_pharmacist" in response.content


@pytest.mark.parametrize("role", ["chair_a", "lead"])
def test_network_page_queries_do_not_grow_with_the_data(client, populated, role, django_assert_max_num_queries):
    client.force_login(getattr(populated, role))
    with django_assert_max_num_queries(NETWORK_QUERIES):
        response = client.get(reverse("directory:network", args=[populated.network_a.slug]))
    assert len(response.context["members"]) > 5
    assert response.context["coverage"]["in_place"] > 5


def test_network_list_queries_do_not_grow_with_the_data(client, populated, django_assert_max_num_queries):
    client.force_login(populated.chair_a)
    with django_assert_max_num_queries(NETWORK_LIST_QUERIES):
        response = client.get(reverse("directory:networks"))
    assert len(response.context["networks"]) > 5


def test_person_page_queries_do_not_grow_with_the_data(client, populated, django_assert_max_num_queries):
    person = Appointment.objects.filter(role="team_member").first().person
    client.force_login(populated.chair_a)
    with django_assert_max_num_queries(PERSON_QUERIES):
        response = client.get(reverse("directory:person", args=[person.pk]))
    assert len(response.context["person"].current_appointments) == 2
