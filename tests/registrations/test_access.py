"""Who may use each registration page and action: the owner, another officer, a chair, the national
lead, a user with no role, and anonymous visitors."""

import pytest
from django.urls import reverse

from officers.models import Appointment, RequestStatus
from registrations.models import RegistrationRequest
from tests.factories import UserFactory
from tests.registrations.test_registration import form_data, make_request

SIGNED_IN = ["lead", "mso", "other_mso", "chair_a", "chair_b", "no_role"]
NOT_LEAD = ["mso", "other_mso", "chair_a", "chair_b", "no_role", "owner"]


@pytest.fixture
def owner(world):
    return UserFactory(email="priya.shah@nhs.net", name="Priya Shah")


@pytest.fixture
def registration(world, owner):
    """A waiting request from `owner` to be a deputy MSO at the London trust."""
    return make_request(owner, world.org_a, role="deputy_mso")


def user_for(world, owner, role):
    return owner if role == "owner" else getattr(world, role)


def assert_sent_to_sign_in(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


# Pages open to every signed-in user.


@pytest.mark.parametrize("role", SIGNED_IN)
def test_registration_pages_open_to_every_signed_in_user(client, world, role):
    client.force_login(getattr(world, role))
    assert client.get(reverse("registrations:start")).status_code == 200
    assert client.get(reverse("registrations:start"), {"q": "royal"}).status_code == 200
    assert client.get(reverse("registrations:create", args=["R0A"])).status_code == 200
    assert client.get(reverse("registrations:list")).status_code == 200
    assert client.get(reverse("directory:search-json"), {"q": "royal"}).status_code == 200


def test_anonymous_visitor_is_sent_to_sign_in_from_every_registration_page(client, world, registration):
    for url in (
        reverse("registrations:start"),
        reverse("registrations:create", args=["RAL"]),
        reverse("registrations:list"),
        reverse("registrations:detail", args=[registration.pk]),
        reverse("registrations:submitted", args=[registration.pk]),
        reverse("registrations:queue"),
        reverse("registrations:review", args=[registration.pk]),
    ):
        assert_sent_to_sign_in(client.get(url))


def test_anonymous_visitor_cannot_send_a_request(client, world):
    assert_sent_to_sign_in(client.post(reverse("registrations:create", args=["RAL"]), form_data()))
    assert not RegistrationRequest.objects.exists()


def test_anonymous_visitor_cannot_withdraw_approve_or_reject(client, world, registration):
    for name in ("withdraw", "approve", "reject"):
        assert_sent_to_sign_in(client.post(reverse(f"registrations:{name}", args=[registration.pk]), {"reason": "No"}))
    registration.refresh_from_db()
    assert registration.status == RequestStatus.SUBMITTED


# The applicant's own request.


@pytest.mark.parametrize("name", ["detail", "submitted"])
def test_owner_sees_their_request(client, world, owner, registration, name):
    client.force_login(owner)
    response = client.get(reverse(f"registrations:{name}", args=[registration.pk]))
    assert response.status_code == 200
    assert b"Royal Free London NHS Foundation Trust" in response.content


@pytest.mark.parametrize("name", ["detail", "submitted"])
def test_national_lead_sees_any_request(client, world, registration, name):
    client.force_login(world.lead)
    assert client.get(reverse(f"registrations:{name}", args=[registration.pk])).status_code == 200


@pytest.mark.parametrize("name", ["detail", "submitted"])
@pytest.mark.parametrize("role", ["mso", "other_mso", "chair_a", "chair_b", "no_role"])
def test_anyone_else_gets_not_found_for_a_request(client, world, registration, name, role):
    client.force_login(getattr(world, role))
    assert client.get(reverse(f"registrations:{name}", args=[registration.pk])).status_code == 404


@pytest.mark.parametrize("role", ["mso", "chair_a", "no_role"])
def test_another_users_requests_are_not_in_their_list(client, world, registration, role):
    client.force_login(getattr(world, role))
    response = client.get(reverse("registrations:list"))
    assert registration not in response.context["registrations"]
    assert reverse("registrations:detail", args=[registration.pk]).encode() not in response.content


@pytest.mark.parametrize("role", ["lead", "mso", "other_mso", "chair_a", "chair_b", "no_role"])
def test_only_the_owner_can_withdraw(client, world, registration, role):
    client.force_login(getattr(world, role))
    assert client.post(reverse("registrations:withdraw", args=[registration.pk])).status_code == 404
    registration.refresh_from_db()
    assert registration.status == RequestStatus.SUBMITTED


def test_owner_can_withdraw(client, world, owner, registration):
    client.force_login(owner)
    assert client.post(reverse("registrations:withdraw", args=[registration.pk])).status_code == 302
    registration.refresh_from_db()
    assert registration.status == RequestStatus.WITHDRAWN


# The national lead's queue and actions.


def test_national_lead_uses_the_queue_review_and_actions(client, world, owner, registration):
    other = make_request(owner, world.org_b, role="team_member")
    client.force_login(world.lead)
    assert client.get(reverse("registrations:queue")).status_code == 200
    assert client.get(reverse("registrations:review", args=[registration.pk])).status_code == 200
    assert client.post(reverse("registrations:approve", args=[registration.pk])).status_code == 302
    assert client.post(reverse("registrations:reject", args=[other.pk]), {"reason": "No"}).status_code == 302
    assert Appointment.objects.filter(person__user=owner, role="deputy_mso").exists()
    other.refresh_from_db()
    assert other.status == RequestStatus.REJECTED


@pytest.mark.parametrize("role", NOT_LEAD)
def test_anyone_but_the_national_lead_is_forbidden_the_queue_and_review(client, world, owner, registration, role):
    client.force_login(user_for(world, owner, role))
    assert client.get(reverse("registrations:queue")).status_code == 404
    assert client.get(reverse("registrations:review", args=[registration.pk])).status_code == 404


@pytest.mark.parametrize("role", NOT_LEAD)
def test_anyone_but_the_national_lead_is_forbidden_to_approve_or_reject(client, world, owner, registration, role):
    client.force_login(user_for(world, owner, role))
    reject_url = reverse("registrations:reject", args=[registration.pk])
    assert client.post(reverse("registrations:approve", args=[registration.pk])).status_code == 404
    assert client.post(reject_url, {"reason": "No"}).status_code == 404
    registration.refresh_from_db()
    assert registration.status == RequestStatus.SUBMITTED
    assert not Appointment.objects.filter(person__user=owner).exists()


def test_unknown_request_is_not_found_for_the_lead(client, world):
    client.force_login(world.lead)
    assert client.get(reverse("registrations:review", args=[999999])).status_code == 404
    assert client.get(reverse("registrations:detail", args=[999999])).status_code == 404
