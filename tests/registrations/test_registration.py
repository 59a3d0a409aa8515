"""Registration as a named officer, the applicant's side: find the organisation, send the request,
see it and withdraw it. The helpers here are shared by the other test_registration_* modules."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from officers.models import Appointment, RequestStatus
from registrations.models import RegistrationRequest
from registrations.services import registration_submit, registration_withdraw
from tests.factories import OrganisationFactory, PersonFactory, UserFactory


def today() -> datetime.date:
    return timezone.localdate()


def date_parts(name: str, day: datetime.date | None) -> dict:
    """A date as the NHS.UK date input posts it."""
    if day is None:
        return {f"{name}_day": "", f"{name}_month": "", f"{name}_year": ""}
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


def form_data(**overrides) -> dict:
    """A valid step-2 form for an organisation with a generic mailbox; `overrides` replace answers
    (a date given as a datetime.date is split into its day, month and year boxes)."""
    data = {
        "role": "mso",
        "first_name": "Priya",
        "last_name": "Shah",
        "job_title": "Lead Medication Safety Pharmacist",
        "profession": "pharmacist",
        "registration_number": "2045678",
        "phone": "020 7794 0500",
        "mhra_registered": "yes",
        "has_mailbox_access": "yes",
        **date_parts("start_date", today() - datetime.timedelta(days=30)),
        **date_parts("mhra_registered_on", today() - datetime.timedelta(days=10)),
    }
    for key, value in overrides.items():
        if key in ("start_date", "mhra_registered_on"):
            data.update(date_parts(key, value))
        elif value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def submit(client, applicant, organisation, **overrides):
    client.force_login(applicant)
    return client.post(reverse("registrations:create", args=[organisation.ods_code]), form_data(**overrides))


def make_request(user, organisation, *, role="mso", start_date=None, **details) -> RegistrationRequest:
    """A waiting registration request made through the service."""
    values = {
        "role": role,
        "start_date": start_date or today() - datetime.timedelta(days=30),
        "first_name": "Priya",
        "last_name": "Shah",
        "job_title": "Lead Medication Safety Pharmacist",
        "profession": "pharmacist",
        "registration_number": "2045678",
        "phone": "020 7794 0500",
        "mhra_registered_on": today() - datetime.timedelta(days=10) if role in ("mso", "mdso") else None,
        "has_mailbox_access": True,
        **details,
    }
    return registration_submit(user=user, organisation=organisation, **values)


def error_messages(response) -> list[str]:
    return [str(error) for errors in response.context["form"].errors.values() for error in errors]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def applicant(world):
    """A signed-up user with no person record and no appointment."""
    return UserFactory(email="priya.shah@nhs.net", name="Priya Shah")


@pytest.fixture
def org_c(world):
    """A London trust with no named officers."""
    return OrganisationFactory(ods_code="RRV", name="University College London Hospitals", region=world.london)


# Step 1: finding the organisation.


def test_search_finds_open_organisations_by_name(client, world, applicant):
    client.force_login(applicant)
    response = client.get(reverse("registrations:start"), {"q": "royal free"})
    assert response.status_code == 200
    assert [o.ods_code for o in response.context["page_obj"]] == ["RAL"]
    assert reverse("registrations:create", args=["RAL"]).encode() in response.content


def test_search_finds_an_organisation_by_its_ods_code_first(client, world, applicant):
    OrganisationFactory(ods_code="R0B", name="Trust whose name mentions r0a")
    client.force_login(applicant)
    response = client.get(reverse("registrations:start"), {"q": "r0a"})
    assert [o.ods_code for o in response.context["page_obj"]] == ["R0A", "R0B"]


def test_search_leaves_out_closed_organisations(client, world, applicant):
    OrganisationFactory(ods_code="RXX", name="Royal Closed Hospital", closed_on=datetime.date(2020, 3, 31))
    client.force_login(applicant)
    response = client.get(reverse("registrations:start"), {"q": "royal"})
    assert [o.ods_code for o in response.context["page_obj"]] == ["RAL"]


def test_search_that_finds_nothing_says_so(client, world, applicant):
    client.force_login(applicant)
    response = client.get(reverse("registrations:start"), {"q": "no such trust"})
    assert response.context["page_obj"].paginator.count == 0
    assert b"No open organisations found" in response.content


def test_empty_search_asks_for_a_name_or_code(client, world, applicant):
    client.force_login(applicant)
    response = client.get(reverse("registrations:start"), {"q": "  "})
    assert "Enter the name or ODS code of your organisation" in error_messages(response)
    assert b"nhsuk-error-summary" in response.content


def test_start_page_works_without_javascript_and_loads_the_type_ahead_script(client, world, applicant):
    client.force_login(applicant)
    html = client.get(reverse("registrations:start")).content.decode()
    assert 'method="get"' in html
    assert 'name="q"' in html
    assert '<script type="module" src="/static/js/organisation-search.js"></script>' in html
    assert f'data-search-url="{reverse("directory:search-json")}"' in html
    assert "<script>" not in html


def test_search_json_returns_up_to_ten_open_organisations(client, world, applicant):
    for number in range(12):
        OrganisationFactory(name=f"Northern Care Alliance site {number}", region=world.north_west)
    OrganisationFactory(name="Northern Closed Trust", closed_on=datetime.date(2020, 3, 31))
    client.force_login(applicant)
    response = client.get(reverse("directory:search-json"), {"q": "northern"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 10
    assert set(results[0]) == {"ods_code", "name", "region"}
    assert results[0]["region"] == "North West"
    assert all("Closed" not in result["name"] for result in results)


def test_search_json_matches_the_ods_code(client, world, applicant):
    client.force_login(applicant)
    response = client.get(reverse("directory:search-json"), {"q": "ral"})
    assert response.json()["results"] == [
        {"ods_code": "RAL", "name": "Royal Free London NHS Foundation Trust", "region": "London"}
    ]


def test_search_json_ignores_a_single_character(client, world, applicant):
    client.force_login(applicant)
    assert client.get(reverse("directory:search-json"), {"q": "r"}).json() == {"results": []}


def test_search_json_needs_sign_in(client, world):
    response = client.get(reverse("directory:search-json"), {"q": "royal"})
    assert response.status_code == 401
    assert "results" not in response.json()


@pytest.mark.parametrize("size", [3, 30])
def test_search_json_runs_the_same_queries_whatever_the_matches(
    client, world, applicant, size, django_assert_max_num_queries
):
    for _ in range(size):
        OrganisationFactory(region=world.london)
    client.force_login(applicant)
    # Session, user, the two-factor check (chaired networks), then one search.
    with django_assert_max_num_queries(4):
        response = client.get(reverse("directory:search-json"), {"q": "test hospitals"})
    assert len(response.json()["results"]) == min(size, 10)


# Step 2: the form.


def test_form_is_prefilled_from_the_account_name(client, world, applicant):
    client.force_login(applicant)
    response = client.get(reverse("registrations:create", args=["RAL"]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["first_name"].value() == "Priya"
    assert form["last_name"].value() == "Shah"
    assert "has_mailbox_access" in form.fields
    assert world.org_a.generic_mailbox.encode() in response.content


def test_form_is_prefilled_from_the_person_record(client, world):
    client.force_login(world.mso)
    form = client.get(reverse("registrations:create", args=["R0A"])).context["form"]
    assert form["first_name"].value() == world.mso_person.first_name
    assert form["job_title"].value() == world.mso_person.job_title
    assert form["phone"].value() == world.mso_person.phone


def test_form_for_a_closed_organisation_is_not_found(client, world, applicant):
    OrganisationFactory(ods_code="RXX", closed_on=datetime.date(2020, 3, 31))
    client.force_login(applicant)
    assert client.get(reverse("registrations:create", args=["RXX"])).status_code == 404
    assert client.get(reverse("registrations:create", args=["ZZZ99"])).status_code == 404


def test_sending_the_form_creates_a_waiting_request_and_emails_the_applicant(
    client, world, applicant, org_c, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, applicant, org_c, registration_number="20 456 78")
    request = RegistrationRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registrations:submitted", args=[request.pk])
    assert request.user == applicant
    assert request.organisation == org_c
    assert request.role == Appointment.Role.MSO
    assert request.status == RequestStatus.SUBMITTED
    assert request.start_date == today() - datetime.timedelta(days=30)
    assert request.mhra_registered_on == today() - datetime.timedelta(days=10)
    assert request.registration_number == "2045678"
    assert request.has_mailbox_access is True
    assert request.email_domain_trusted is True
    assert [m.to for m in mail.outbox] == [["priya.shah@nhs.net"], ["lead@england.nhs.uk"]]
    assert "We have received your registration" in mail.outbox[0].subject
    assert "Registration to review" in mail.outbox[1].subject
    confirmation = client.get(response["Location"])
    assert b"Registration request sent" in confirmation.content


def test_request_from_an_untrusted_email_domain_is_flagged(client, world, org_c):
    user = UserFactory(email="priya@gmail.com")
    submit(client, user, org_c)
    assert RegistrationRequest.objects.get().email_domain_trusted is False


def test_request_from_an_nhs_subdomain_is_trusted(client, world, org_c):
    user = UserFactory(email="priya.shah@ucl.nhs.uk")
    submit(client, user, org_c)
    assert RegistrationRequest.objects.get().email_domain_trusted is True


def test_fields_the_applicant_may_not_set_are_ignored(client, world, applicant, org_c):
    submit(
        client,
        applicant,
        org_c,
        status="approved",
        reviewed_by=str(world.lead.pk),
        reviewed_at="2025-01-01 10:00",
        appointment=str(world.mso_appointment.pk),
        email_domain_trusted="False",
        user=str(world.lead.pk),
    )
    request = RegistrationRequest.objects.get()
    assert request.status == RequestStatus.SUBMITTED
    assert request.reviewed_by is None
    assert request.reviewed_at is None
    assert request.appointment is None
    assert request.user == applicant
    assert request.email_domain_trusted is True


def test_mhra_date_is_dropped_for_a_deputy(client, world, applicant, org_c):
    submit(client, applicant, org_c, role="deputy_mso")
    assert RegistrationRequest.objects.get().mhra_registered_on is None


def test_mhra_date_is_dropped_when_the_answer_is_no(client, world, applicant, org_c):
    submit(client, applicant, org_c, mhra_registered="no")
    assert RegistrationRequest.objects.get().mhra_registered_on is None


def test_deputy_need_not_answer_the_mhra_question(client, world, applicant, org_c):
    response = submit(client, applicant, org_c, role="team_member", mhra_registered=None, mhra_registered_on=None)
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"role": None}, "Select the role you are registering for"),
        ({"role": "chief_pharmacist"}, "Select a valid choice. chief_pharmacist is not one of the available choices."),
        ({"start_date": None}, "Enter the date you started in the role"),
        ({"start_date_month": ""}, "The date you started in the role must include a month"),
        ({"start_date_day": "31", "start_date_month": "2"}, "The date you started in the role must be a real date"),
        ({"start_date_year": "ab"}, "The date you started in the role must be a real date"),
        ({"start_date_year": "25"}, "The year of the date you started in the role must have 4 numbers"),
        (
            {"start_date": datetime.date.today() + datetime.timedelta(days=400)},
            "The date you started in the role must be within the next 12 months",
        ),
        ({"start_date": datetime.date(1980, 1, 1)}, "The date you started in the role must be after 1 January 1990"),
        ({"first_name": " "}, "Enter your first name"),
        ({"last_name": ""}, "Enter your last name"),
        ({"job_title": ""}, "Enter your job title"),
        ({"profession": ""}, "Select your profession"),
        ({"phone": ""}, "Enter your work telephone number"),
        ({"phone": "call me"}, "Enter a telephone number, like 020 7946 0000 or +44 20 7946 0000"),
        ({"mhra_registered": None}, "Select yes if you are registered with the MHRA as the named officer"),
        ({"mhra_registered_on": None}, "Enter the date you registered with the MHRA"),
        (
            {"mhra_registered_on": datetime.date.today() + datetime.timedelta(days=2)},
            "The date you registered with the MHRA must be today or in the past",
        ),
        ({"has_mailbox_access": None}, "Select yes if you have access to the generic MSO mailbox"),
    ],
)
def test_invalid_answers_are_shown_in_the_error_summary(client, world, applicant, org_c, overrides, message):
    response = submit(client, applicant, org_c, **overrides)
    assert response.status_code == 200
    assert message in error_messages(response)
    html = response.content.decode()
    assert "There is a problem" in html
    assert message.replace("'", "&#x27;") in html
    assert response.context["form"].errors
    assert not RegistrationRequest.objects.exists()


def test_error_summary_links_to_the_day_box_of_a_date(client, world, applicant, org_c):
    html = submit(client, applicant, org_c, start_date=None).content.decode()
    assert '<a href="#id_start_date_0">' in html
    assert 'id="id_start_date_0" name="start_date_day"' in html


def test_organisation_without_a_mailbox_asks_for_its_address(client, world, applicant):
    organisation = OrganisationFactory(ods_code="RKE", name="Whittington Health", generic_mailbox="")
    client.force_login(applicant)
    form = client.get(reverse("registrations:create", args=["RKE"])).context["form"]
    assert "proposed_mailbox" in form.fields
    assert "has_mailbox_access" not in form.fields
    response = submit(client, applicant, organisation, has_mailbox_access=None, proposed_mailbox="WH.MSO@nhs.net")
    assert response.status_code == 302
    request = RegistrationRequest.objects.get()
    assert request.proposed_mailbox == "wh.mso@nhs.net"
    assert request.has_mailbox_access is True


def test_proposed_mailbox_must_be_an_email_address_and_not_the_applicants_own(client, world, applicant):
    organisation = OrganisationFactory(generic_mailbox="")
    response = submit(client, applicant, organisation, proposed_mailbox="not an address")
    assert "Enter the mailbox address in the correct format, like mso@example.nhs.uk" in error_messages(response)
    response = submit(client, applicant, organisation, proposed_mailbox="Priya.Shah@nhs.net")
    assert "Enter the shared mailbox of your organisation, not your own email address" in error_messages(response)


def test_a_second_identical_waiting_request_is_refused(client, world, applicant, org_c):
    assert submit(client, applicant, org_c).status_code == 302
    response = submit(client, applicant, org_c)
    assert response.status_code == 200
    assert any(
        message.startswith("You have already asked to be the medication safety officer at")
        for message in error_messages(response)
    )
    assert RegistrationRequest.objects.count() == 1


def test_a_request_for_another_role_at_the_same_organisation_is_allowed(client, world, applicant, org_c):
    submit(client, applicant, org_c)
    assert submit(client, applicant, org_c, role="mdso").status_code == 302
    assert RegistrationRequest.objects.count() == 2


def test_the_database_refuses_a_second_waiting_request_when_the_form_is_bypassed(world, applicant, org_c):
    make_request(applicant, org_c)
    with pytest.raises(ValidationError) as error:
        make_request(applicant, org_c)
    assert "You have already asked to be the Medication safety officer" in error.value.messages[0]
    assert RegistrationRequest.objects.count() == 1


def test_a_new_request_is_allowed_once_the_first_is_withdrawn(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    registration_withdraw(request_id=request.pk, user=applicant)
    assert submit(client, applicant, org_c).status_code == 302
    assert RegistrationRequest.objects.waiting().count() == 1


def test_an_officer_cannot_ask_for_the_role_they_already_hold(client, world):
    response = submit(client, world.mso, world.org_a)
    assert "You are already the medication safety officer at Royal Free London NHS Foundation Trust" in error_messages(
        response
    )
    assert not RegistrationRequest.objects.exists()


def test_an_officer_can_ask_for_a_role_at_another_organisation(client, world):
    assert submit(client, world.mso, world.org_b, role="team_member").status_code == 302


# The applicant's requests.


def test_applicant_sees_their_requests_with_their_status(client, world, applicant, org_c):
    waiting = make_request(applicant, org_c)
    other = make_request(world.other_mso, world.org_a, role="deputy_mso")
    client.force_login(applicant)
    response = client.get(reverse("registrations:list"))
    assert list(response.context["registrations"]) == [waiting]
    assert b"Waiting for review" in response.content
    assert reverse("registrations:detail", args=[other.pk]).encode() not in response.content
    detail = client.get(reverse("registrations:detail", args=[waiting.pk]))
    assert detail.status_code == 200
    assert b"Withdraw this request" in detail.content


def test_applicant_withdraws_a_waiting_request(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    client.force_login(applicant)
    response = client.post(reverse("registrations:withdraw", args=[request.pk]), follow=True)
    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN
    assert request.reviewed_at is not None
    assert any("You withdrew your request" in message for message in messages_of(response))
    assert b"Withdraw this request" not in client.get(reverse("registrations:detail", args=[request.pk])).content


def test_withdrawing_a_request_already_decided_is_refused_with_a_message(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    RegistrationRequest.objects.filter(pk=request.pk).update(
        status=RequestStatus.REJECTED, reviewed_by=world.lead, reviewed_at=timezone.now(), review_reason="Unknown"
    )
    client.force_login(applicant)
    response = client.post(reverse("registrations:withdraw", args=[request.pk]), follow=True)
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert f"This request has already been rejected by {world.lead.get_full_name()}." in messages_of(response)


def test_withdraw_is_post_only(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    client.force_login(applicant)
    assert client.get(reverse("registrations:withdraw", args=[request.pk])).status_code == 405


# Ways in.


def test_home_offers_registration_to_a_user_without_an_appointment(client, world, applicant):
    client.force_login(applicant)
    html = client.get(reverse("directory:home")).content.decode()
    assert "Register as a medication safety officer" in html
    assert reverse("registrations:start") in html


def test_home_does_not_offer_registration_to_an_officer(client, world):
    client.force_login(world.mso)
    assert b"Register as a medication safety officer" not in client.get(reverse("directory:home")).content


def test_header_links_to_registration_for_every_signed_in_user(client, world):
    for user in (world.no_role, world.mso, world.chair_a):
        client.force_login(user)
        html = client.get(reverse("directory:home")).content.decode()
        menu = html[html.index('<nav class="nhsuk-header__navigation"') :]
        assert reverse("registrations:start") in menu[: menu.index("</nav>")]


def test_header_links_the_national_lead_to_the_registration_queue(client, world):
    client.force_login(world.lead)
    assert reverse("registrations:queue").encode() in client.get(reverse("directory:home")).content
    client.force_login(world.mso)
    assert reverse("registrations:queue").encode() not in client.get(reverse("directory:home")).content


def test_existing_person_record_is_prefilled_for_a_user_linked_to_one(client, world):
    user = UserFactory(email="linked@nhs.net")
    PersonFactory(user=user, work_email="linked@nhs.net", first_name="Ade", last_name="Okafor")
    client.force_login(user)
    form = client.get(reverse("registrations:create", args=["RAL"])).context["form"]
    assert (form["first_name"].value(), form["last_name"].value()) == ("Ade", "Okafor")


def test_a_new_registration_is_emailed_to_the_national_leads_with_a_link_to_review_it(
    world, django_capture_on_commit_callbacks
):
    applicant = UserFactory(email="priya.shah@nhs.net")
    organisation = OrganisationFactory(ods_code="RRV", name="University College London Hospitals", region=world.london)
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(applicant, organisation)
    [to_leads] = [message for message in mail.outbox if world.lead.email in message.to]
    assert to_leads.to == [world.lead.email]
    assert "Priya Shah" in to_leads.subject and "University College London Hospitals" in to_leads.subject
    assert f"/people/requests/registrations/{request.pk}/" in to_leads.body
