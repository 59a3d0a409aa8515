"""The organisation page: public profile for everyone signed in, key contacts only for those allowed."""

import datetime

import pytest
from django.urls import reverse

from committees.models import Committee
from networks.models import Membership
from officers.models import Appointment
from organisations.models import KeyContact
from tests.factories import (
    AppointmentFactory,
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    TOTPAuthenticatorFactory,
    UserFactory,
)


def organisation_page(client, user, organisation):
    client.force_login(user)
    response = client.get(reverse("directory:organisation", args=[organisation.ods_code]))
    assert response.status_code == 200
    return response


@pytest.fixture
def org_a_private(world):
    world.org_a.board_director_name = "Dr Board Director"
    world.org_a.board_director_email = "board.director@nhs.net"
    world.org_a.save()
    KeyContact.objects.create(
        organisation=world.org_a, role=KeyContact.Role.CHIEF_PHARMACIST, name="Chief Pharm", email="chief@nhs.net"
    )
    return world


def test_organisation_page_shows_the_public_profile(client, world):
    icb = OrganisationFactory(ods_code="QMJ", name="North Central London ICB", kind="icb", region=world.london)
    world.org_a.parent_icb = icb
    world.org_a.save()
    response = organisation_page(client, world.no_role, world.org_a)
    content = response.content.decode()
    assert "Royal Free London NHS Foundation Trust" in content
    assert "NHS trust" in content
    assert "London" in content
    assert icb.get_absolute_url() in content
    assert world.org_a.generic_mailbox in content
    assert "Open" in content


def test_organisation_page_finds_a_lower_case_ods_code(client, world):
    client.force_login(world.no_role)
    assert client.get(reverse("directory:organisation", args=["ral"])).status_code == 200


def test_organisation_page_shows_closed_date_and_successor(client, world):
    closed = OrganisationFactory(
        ods_code="RCL", name="Old Trust", closed_on=datetime.date(2024, 3, 31), successor=world.org_a
    )
    content = organisation_page(client, world.no_role, closed).content.decode()
    assert "Closed on 31 March 2024" in content
    assert "Succeeded by" in content
    assert world.org_a.get_absolute_url() in content


def test_organisation_page_shows_not_yet_open(client, world):
    future = OrganisationFactory(ods_code="RNY", opened_on=datetime.date.today() + datetime.timedelta(days=10))
    assert b"Not yet open" in organisation_page(client, world.no_role, future).content


def test_organisation_page_lists_active_officers_with_start_date_and_mhra_registration(client, world):
    world.mso_appointment.mhra_registered_on = datetime.date(2024, 2, 1)
    world.mso_appointment.save()
    deputy = AppointmentFactory(organisation=world.org_a, role=Appointment.Role.DEPUTY_MSO)
    ended = AppointmentFactory(
        organisation=world.org_a,
        role=Appointment.Role.TEAM_MEMBER,
        status=Appointment.Status.ENDED,
        end_date=datetime.date(2025, 1, 1),
    )
    response = organisation_page(client, world.mso, world.org_a)
    content = response.content.decode()
    assert [a.role for a in response.context["appointments"]] == ["mso", "deputy_mso"]
    assert world.mso_person.get_absolute_url() in content
    assert deputy.person.get_absolute_url() in content
    assert ended.person.get_absolute_url() not in content
    assert "8 January 2024" in content
    assert "Registered 1 February 2024" in content
    assert "no named MDSO" in content


def test_organisation_page_shows_the_committee_summary(client, world):
    Committee.objects.create(
        organisation=world.org_a, name="Medicines Safety Group", chair_name="Dr Chair", meeting_frequency="monthly"
    )
    content = organisation_page(client, world.mso, world.org_a).content.decode()
    assert "Medicines Safety Group" in content
    assert "Dr Chair" in content
    assert "Monthly" in content


def test_organisation_page_lists_the_regional_network_and_its_officers_networks(client, world):
    specialised = NetworkFactory(name="Mental health MSO network", slug="mental-health")
    MembershipFactory(person=world.mso_person, network=specialised)
    unrelated = NetworkFactory(name="Community pharmacy network", slug="community-pharmacy")
    response = organisation_page(client, world.no_role, world.org_a)
    slugs = {network.slug for network in response.context["networks"]}
    assert slugs == {"london", "national", "mental-health"}
    assert unrelated.get_absolute_url().encode() not in response.content


@pytest.mark.parametrize("role", ["lead", "mso", "chair_a"])
def test_key_contacts_and_board_director_shown_to_lead_own_officer_and_covering_chair(client, org_a_private, role):
    content = organisation_page(client, getattr(org_a_private, role), org_a_private.org_a).content.decode()
    assert "Dr Board Director" in content
    assert "board.director@nhs.net" in content
    assert "Chief Pharm" in content


@pytest.mark.parametrize("role", ["other_mso", "chair_b", "no_role"])
def test_key_contacts_and_board_director_hidden_from_outsiders(client, org_a_private, role):
    content = organisation_page(client, getattr(org_a_private, role), org_a_private.org_a).content.decode()
    assert "Dr Board Director" not in content
    assert "board.director@nhs.net" not in content
    assert "Chief Pharm" not in content
    assert "Key contacts" not in content


def test_key_contacts_shown_to_chair_of_a_network_an_officer_belongs_to(client, org_a_private):
    specialised = NetworkFactory(slug="mental-health")
    MembershipFactory(person=org_a_private.mso_person, network=specialised)
    chair = UserFactory()
    TOTPAuthenticatorFactory(user=chair)  # chairs must use two-factor authentication
    MembershipFactory(person__user=chair, network=specialised, role=Membership.Role.CHAIR)
    assert b"Chief Pharm" in organisation_page(client, chair, org_a_private.org_a).content


def test_officer_contact_details_on_organisation_page_follow_the_contact_rule(client, world):
    email = world.mso_person.work_email.encode()
    assert email in organisation_page(client, world.chair_a, world.org_a).content
    assert email not in organisation_page(client, world.other_mso, world.org_a).content
    assert world.mso_person.phone.encode() not in organisation_page(client, world.no_role, world.org_a).content


def test_everyone_signed_in_sees_a_link_to_the_history_in_the_portal_not_the_admin(client, world):
    history_url = reverse("directory:organisation-history", args=[world.org_a.ods_code])
    admin_history_url = reverse("admin:organisations_organisation_history", args=[world.org_a.pk])
    for user in (world.lead, world.mso, world.no_role):
        content = organisation_page(client, user, world.org_a).content
        assert history_url.encode() in content
        assert admin_history_url.encode() not in content
