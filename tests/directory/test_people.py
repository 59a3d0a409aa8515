"""Person pages and the one rule for contact details: `access.scopes.people_with_contact(user)`."""

import datetime

import pytest
from django.urls import reverse

from access import scopes
from networks.models import Membership, Network
from officers.models import Appointment, Person
from tests.factories import (
    AppointmentFactory,
    MembershipFactory,
    NetworkFactory,
    PersonFactory,
    TOTPAuthenticatorFactory,
    UserFactory,
)


def person_page(client, user, person):
    client.force_login(user)
    response = client.get(reverse("directory:person", args=[person.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def mso_person(world):
    world.mso_person.registration_number = "GPhC 2045678"
    world.mso_person.phone = "020 7794 0500"
    world.mso_person.save()
    return world.mso_person


def assert_contact_shown(content, person):
    assert person.work_email in content
    assert person.phone in content
    assert person.registration_number in content


def assert_contact_hidden(content, person):
    assert person.work_email not in content
    assert person.phone not in content
    assert person.registration_number not in content


def test_person_page_shows_name_roles_organisations_and_networks_to_everyone(client, world, mso_person):
    content = person_page(client, world.no_role, mso_person)
    assert mso_person.full_name in content
    assert "Medication safety officer" in content
    assert world.org_a.get_absolute_url() in content
    assert world.network_a.get_absolute_url() in content


# The owner / member / outsider trio.


def test_owner_sees_their_own_contact_details(client, world, mso_person):
    assert_contact_shown(person_page(client, world.mso, mso_person), mso_person)


def test_chair_of_the_persons_network_sees_contact_details(client, world, mso_person):
    assert_contact_shown(person_page(client, world.chair_a, mso_person), mso_person)


def test_outsiders_do_not_see_contact_details(client, world, mso_person):
    for outsider in (world.other_mso, world.chair_b, world.no_role):
        assert_contact_hidden(person_page(client, outsider, mso_person), mso_person)


def test_national_lead_sees_contact_details(client, world, mso_person):
    assert_contact_shown(person_page(client, world.lead, mso_person), mso_person)


def test_colleague_with_an_active_appointment_at_the_same_organisation_sees_contact_details(client, world, mso_person):
    colleague = UserFactory()
    AppointmentFactory(person=PersonFactory(user=colleague), organisation=world.org_a, role="deputy_mso")
    assert_contact_shown(person_page(client, colleague, mso_person), mso_person)


def test_former_colleague_does_not_see_contact_details(client, world, mso_person):
    former = UserFactory()
    AppointmentFactory(
        person=PersonFactory(user=former),
        organisation=world.org_a,
        role="deputy_mso",
        status=Appointment.Status.ENDED,
        end_date=datetime.date(2025, 1, 1),
    )
    assert_contact_hidden(person_page(client, former, mso_person), mso_person)


def test_former_chair_does_not_see_contact_details(client, world, mso_person):
    Membership.objects.filter(person__user=world.chair_a).update(left_on=datetime.date(2025, 6, 30))
    assert_contact_hidden(person_page(client, world.chair_a, mso_person), mso_person)


def test_chair_of_a_network_whose_region_covers_the_persons_organisation_sees_contact_details(
    client, world, mso_person
):
    local = NetworkFactory(kind=Network.Kind.LOCAL, region=world.london, slug="north-central-london")
    chair = UserFactory()
    TOTPAuthenticatorFactory(user=chair)  # chairs must use two-factor authentication
    MembershipFactory(person=PersonFactory(user=chair), network=local, role=Membership.Role.VICE_CHAIR)
    assert_contact_shown(person_page(client, chair, mso_person), mso_person)


def test_contact_visible_to_is_the_single_rule(world):
    visible = set(scopes.people_with_contact(world.chair_a))
    assert world.mso_person in visible
    assert world.other_person not in visible
    assert set(scopes.people_with_contact(world.lead)) == set(Person.objects.all())
    assert list(scopes.people_with_contact(world.no_role)) == []
    assert set(scopes.people_with_contact(world.other_mso)) == {world.other_person}


def test_contact_visible_to_anonymous_is_nobody(world):
    from django.contrib.auth.models import AnonymousUser

    assert not scopes.people_with_contact(AnonymousUser()).exists()


def test_own_person_page_is_marked_in_the_menu(client, world, mso_person):
    content = person_page(client, world.mso, mso_person)
    assert "nhsuk-header__navigation-item--current" in content
    assert "This is your page" in content
