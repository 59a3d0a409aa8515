"""The applicant's home page through their registration: a request waiting for review (what, when,
who reviews it, the email to come, no second offer to register), the request approved (greeted by
name, what to do next) and rejected (the reason, and the offer to register again)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from officers.models import Appointment
from registrations.services import registration_approve, registration_reject, registration_withdraw
from registrations.status import RECENT_DECISION, registration_status
from tests.factories import OrganisationFactory, RegistrationRequestFactory, UserFactory
from tests.registrations.test_registration import make_request
from tests.workspace.test_pages import HOME_QUERIES

REGISTER = "Register as a medication safety officer"


def home(client, user) -> str:
    client.force_login(user)
    return re.sub(r"\s+", " ", client.get(reverse("directory:home")).content.decode())


@pytest.fixture
def applicant(world):
    """A signed-up user with no person record, no appointment and no name on the account."""
    return UserFactory(email="priya.shah@nhs.net", name="")


@pytest.fixture
def org_c(world):
    """A London trust with no named officers."""
    return OrganisationFactory(ods_code="RRV", name="University College London Hospitals", region=world.london)


def test_home_shows_a_waiting_request_and_does_not_offer_to_register_again(client, world, applicant, org_c):
    request = make_request(applicant, org_c)

    page = home(client, applicant)

    assert "Your registration request is waiting for review" in page
    assert "Medication safety officer at University College London Hospitals" in page
    assert f"{timezone.localdate():%-d %B %Y}" in page
    assert "The national MSO team at NHS England" in page
    assert 'We will email you at <span class="app-break-word">priya.shah@nhs.net</span>' in page
    assert reverse("registrations:detail", args=[request.pk]) in page
    assert REGISTER not in page
    assert "You do not have a role in the network yet" not in page


def test_home_lists_each_waiting_request(client, world, applicant, org_c):
    make_request(applicant, org_c)
    make_request(applicant, world.org_b, role=Appointment.Role.DEPUTY_MSO)

    page = home(client, applicant)

    assert "Your registration requests are waiting for review" in page
    assert "Medication safety officer at University College London Hospitals" in page
    assert "Deputy medication safety officer at Manchester University NHS Foundation Trust" in page


def test_home_tells_an_applicant_at_another_email_domain_the_team_may_check_first(client, world, org_c):
    applicant = UserFactory(email="priya@example.com")
    make_request(applicant, org_c)
    assert "Your email address is not at an NHS email domain" in home(client, applicant)


def test_home_offers_to_register_again_once_the_waiting_request_is_withdrawn(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    registration_withdraw(request_id=request.pk, user=applicant)

    page = home(client, applicant)

    assert "waiting for review" not in page
    assert REGISTER in page


def test_home_greets_the_approved_applicant_by_name_with_what_to_do_next(client, world, applicant, org_c):
    request = make_request(applicant, org_c, first_name="Priya", last_name="Shah")
    appointment = registration_approve(request_id=request.pk, reviewer=world.lead)

    page = home(client, applicant)

    assert "<h1>Welcome, Priya Shah</h1>" in page
    assert "Welcome to the MSO Network" not in page
    assert "Your registration is approved" in page
    assert "approved your request to be medication safety officer at" in page
    assert f'href="{appointment.person.get_absolute_url()}">Check your details as the network sees them' in page
    assert f'href="#getting-started-{appointment.pk}">Work through your getting-started checklist' in page
    assert f'id="getting-started-{appointment.pk}"' in page
    assert REGISTER not in page


def test_home_after_approval_does_not_point_to_a_checklist_for_someone_long_in_post(client, world, applicant, org_c):
    request = make_request(applicant, org_c, start_date=datetime.date(2019, 4, 1))
    registration_approve(request_id=request.pk, reviewer=world.lead)

    page = home(client, applicant)

    assert "Your registration is approved" in page
    assert "Check your details as the network sees them" in page
    assert "Work through your getting-started checklist" not in page


def test_home_says_an_approved_role_starts_once_the_handover_is_complete(client, world, applicant):
    request = make_request(applicant, world.org_a)  # Royal Free already has a named MSO
    appointment = registration_approve(request_id=request.pk, reviewer=world.lead)
    assert appointment.status == Appointment.Status.PENDING

    page = home(client, applicant)

    assert "Your role starts once the handover from the current holder is complete" in page
    assert REGISTER not in page


def test_the_approval_is_news_for_a_month(world, applicant, org_c):
    request = make_request(applicant, org_c)
    registration_approve(request_id=request.pk, reviewer=world.lead)
    later = timezone.now() + RECENT_DECISION + datetime.timedelta(minutes=1)

    assert registration_status(applicant, has_role=True).approved == request
    assert registration_status(applicant, has_role=True, now=later).approved is None


def test_home_says_a_request_was_rejected_with_the_reason_and_offers_to_register_again(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    registration_reject(request_id=request.pk, reviewer=world.lead, reason="The trust says you have not started yet.")

    page = home(client, applicant)

    assert "Your registration request was not approved" in page
    assert "to be medication safety officer at University College London Hospitals" in page
    assert "The trust says you have not started yet." in page
    assert f'href="{reverse("registrations:start")}"' in page
    assert "Register again" in page
    assert "waiting for review" not in page


def test_a_rejection_stays_on_the_home_page_of_someone_with_no_role(world, applicant, org_c):
    request = make_request(applicant, org_c)
    registration_reject(request_id=request.pk, reviewer=world.lead, reason="Not in post.")
    later = timezone.now() + RECENT_DECISION * 3

    assert registration_status(applicant, has_role=False, now=later).rejected == request
    assert registration_status(applicant, has_role=True, now=later).rejected is None


def test_a_new_request_after_a_rejection_shows_as_waiting(client, world, applicant, org_c):
    first = make_request(applicant, org_c)
    registration_reject(request_id=first.pk, reviewer=world.lead, reason="Wrong organisation.")
    make_request(applicant, world.org_b)

    page = home(client, applicant)

    assert "Your registration request is waiting for review" in page
    assert "Wrong organisation." not in page


def test_an_officer_asking_for_another_role_sees_it_waiting(client, world):
    make_request(world.mso, world.org_b, role=Appointment.Role.DEPUTY_MSO)
    page = home(client, world.mso)
    assert "Your registration request is waiting for review" in page
    assert "Deputy medication safety officer at Manchester University NHS Foundation Trust" in page


def test_home_shows_the_lead_no_registration_status(client, world):
    RegistrationRequestFactory(user=world.lead)
    assert "waiting for review" not in home(client, world.lead)


def test_home_queries_do_not_grow_with_the_requests(client, world, django_assert_max_num_queries):
    world.mso_appointment.start_date = timezone.localdate() - datetime.timedelta(days=30)  # with its checklist
    world.mso_appointment.save()
    client.force_login(world.mso)

    def add_requests(size):
        for _ in range(size):
            RegistrationRequestFactory(user=world.mso, role=Appointment.Role.DEPUTY_MSO)
            RegistrationRequestFactory(user=world.mso, status="rejected", review_reason="No.")

    add_requests(1)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("directory:home"))
    add_requests(5)
    with django_assert_max_num_queries(HOME_QUERIES):
        response = client.get(reverse("directory:home"))

    assert len(response.context["registration"].waiting) == 6
    assert response.context["checklists"]
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("directory:home"))
    assert len(many.captured_queries) == len(few.captured_queries)
