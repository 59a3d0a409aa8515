"""Network list and network pages: chairs, members with their organisations, coverage and contact details."""

import datetime

from django.urls import reverse

from networks.models import Membership, Network
from officers.models import Appointment
from organisations.models import Organisation
from tests.factories import AppointmentFactory, MembershipFactory, NetworkFactory, OrganisationFactory, PersonFactory


def network_page(client, user, network, **params):
    client.force_login(user)
    response = client.get(reverse("directory:network", args=[network.slug]), params)
    assert response.status_code == 200
    return response


def test_network_list_shows_every_network_with_its_chair_and_member_count(client, world):
    client.force_login(world.no_role)
    response = client.get(reverse("directory:networks"))
    networks = {network.slug: network for network in response.context["networks"]}
    assert set(networks) == {"national", "london", "north-west"}
    assert networks["national"].member_count == 2
    assert networks["london"].member_count == 2
    chair_person = world.chair_a.person
    assert chair_person.get_absolute_url().encode() in response.content
    assert b"No chair" in response.content


def test_network_list_mine_shows_only_networks_the_user_chairs(client, world):
    client.force_login(world.chair_b)
    response = client.get(reverse("directory:networks"), {"mine": "1"})
    assert [network.slug for network in response.context["networks"]] == ["north-west"]


def test_network_page_shows_kind_region_parent_and_chair(client, world):
    content = network_page(client, world.no_role, world.network_a).content.decode()
    assert "Regional" in content
    assert "London" in content
    assert world.national.get_absolute_url() in content
    assert world.chair_a.person.full_name in content


def test_network_page_lists_members_with_their_organisations_and_roles(client, world):
    vice = PersonFactory()
    MembershipFactory(person=vice, network=world.network_a, role=Membership.Role.VICE_CHAIR)
    former = PersonFactory()
    MembershipFactory(person=former, network=world.network_a, left_on=datetime.date(2025, 1, 1))
    response = network_page(client, world.no_role, world.network_a)
    content = response.content.decode()
    assert {m.person for m in response.context["members"]} == {world.mso_person, world.chair_a.person, vice}
    assert world.org_a.get_absolute_url() in content
    assert "medication safety officer" in content
    assert "Vice-chair" in content
    assert former.get_absolute_url() not in content


def test_regional_network_page_counts_organisations_expected_to_name_an_mso_with_and_without_one(client, world):
    OrganisationFactory(region=world.london, kind=Organisation.Kind.SUB_ICB)  # never expected to name one
    OrganisationFactory(region=world.london)
    OrganisationFactory(region=world.london)
    OrganisationFactory(region=world.london, closed_on=datetime.date(2020, 1, 1))
    with_mso = OrganisationFactory(region=world.london)
    AppointmentFactory(organisation=with_mso, role=Appointment.Role.MSO)
    AppointmentFactory(organisation=OrganisationFactory(region=world.london), role=Appointment.Role.MDSO)
    response = network_page(client, world.no_role, world.network_a)
    assert response.context["coverage"] == {"expected": 5, "in_place": 2, "missing": 3}
    assert b"missing an MSO" in response.content


def test_national_network_page_has_no_regional_coverage(client, world):
    response = network_page(client, world.no_role, world.national)
    assert response.context["coverage"] is None
    assert b"without a named MSO" not in response.content


def test_network_members_are_paginated(client, world):
    for person in PersonFactory.create_batch(55):
        MembershipFactory(person=person, network=world.national)
    first = network_page(client, world.no_role, world.national)
    assert len(first.context["members"]) == 50
    assert b"nhsuk-pagination" in first.content
    second = network_page(client, world.no_role, world.national, page=2)
    assert len(second.context["members"]) == 7


def test_chair_sees_members_contact_details_on_their_network(client, world):
    content = network_page(client, world.chair_a, world.network_a).content.decode()
    assert world.mso_person.work_email in content
    assert world.mso_person.phone in content


def test_member_sees_only_their_own_contact_details_on_a_network_page(client, world):
    content = network_page(client, world.mso, world.national).content.decode()
    assert world.mso_person.work_email in content
    assert world.other_person.work_email not in content
    assert world.other_person.phone not in content


def test_outsider_sees_no_contact_details_on_a_network_page(client, world):
    content = network_page(client, world.no_role, world.network_a).content.decode()
    assert world.mso_person.work_email not in content
    assert world.mso_person.phone not in content
    assert world.chair_a.person.work_email not in content


def test_chair_of_another_network_sees_no_contact_details_there(client, world):
    content = network_page(client, world.chair_b, world.network_a).content.decode()
    assert world.mso_person.work_email not in content


def test_specialised_network_page_without_region(client, world):
    network = NetworkFactory(name="Mental health MSO network", slug="mental-health", kind=Network.Kind.SPECIALISED)
    MembershipFactory(person=world.other_person, network=network)
    content = network_page(client, world.no_role, network).content.decode()
    assert "Specialised" in content
    assert world.other_person.get_absolute_url() in content
