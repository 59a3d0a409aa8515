"""A signed-in user downloads everything the portal holds about them, and nothing about anyone else."""

import datetime
import json

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from emails.services import RenderedEmail, email_queue_rendered
from handovers.services import handover_open
from meetings.models import Attendance
from officers.changes import change_details_submit
from officers.models import Appointment, Person
from tests.factories import (
    AppointmentFactory,
    MeetingFactory,
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    TOTPAuthenticatorFactory,
)

PAGE = reverse("audit:my-data")
DOWNLOAD = reverse("audit:my-data-download")


def person_values(person, **changes):
    fields = ["first_name", "last_name", "job_title", "profession", "registration_number", "work_email", "phone"]
    return {**{name: getattr(person, name) for name in fields}, **changes}


@pytest.fixture
def officer(world):
    """The London MSO with a bit of everything: a second role, a specialised network, a webinar attended,
    a change request, a handover, an email, an authenticator app and a contact view by their chair."""
    person = world.mso_person
    EmailAddress.objects.create(user=world.mso, email=world.mso.email, verified=True, primary=True)
    AppointmentFactory(person=person, organisation=OrganisationFactory(region=world.london), role="team_member")
    MembershipFactory(person=person, network=NetworkFactory(name="Mental health MSO network"))
    Attendance.objects.create(meeting=MeetingFactory(network=world.national), person=person, minutes_attended=50)
    change_details_submit(requested_by=world.mso, person_values=person_values(person, phone="020 7946 0001"))
    handover_open(outgoing=world.mso_appointment, leaving_date=datetime.date(2026, 12, 31), started_by=world.mso)
    email_queue_rendered(
        to=[world.mso.email],
        template="test_message",
        rendered=RenderedEmail(subject="Hello officer", body_text="A message for you", body_html=""),
    )
    email_queue_rendered(
        to=[world.other_mso.email],
        template="test_message",
        rendered=RenderedEmail(subject="Hello other officer", body_text="Not for you", body_html=""),
    )
    TOTPAuthenticatorFactory(user=world.mso)
    return world


def download(client, user) -> dict:
    client.force_login(user)
    response = client.get(DOWNLOAD)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="mso-network-my-data-')
    return json.loads(response.content)


def test_download_holds_the_account_person_roles_requests_history_emails_and_contact_views(client, officer):
    world = officer
    client.force_login(world.chair_a)
    client.get(reverse("directory:person", args=[world.mso_person.pk]))  # the chair sees the details

    data = download(client, world.mso)
    records = data["records"]

    assert data["account"]["email"] == "mso.a@nhs.net"
    assert [row["email"] for row in records["users.user"]] == ["mso.a@nhs.net"]
    assert [row["email"] for row in records["account.emailaddress"]] == ["mso.a@nhs.net"]
    assert [row["type"] for row in records["mfa.authenticator"]] == ["totp"]
    assert [row["work_email"] for row in records["officers.person"]] == ["mso.a@nhs.net"]
    assert len(records["officers.appointment"]) == 2
    assert len(records["networks.membership"]) == 3
    assert [row["minutes_attended"] for row in records["meetings.attendance"]] == [50]
    assert records["officers.changerequest"][0]["changes"]["phone"]["new"] == "020 7946 0001"
    assert len(data["handovers"]) == 1
    # History: of the user, the person and the records about them, with who and why.
    assert records["officers.historicalperson"]
    assert records["users.historicaluser"]
    assert {row["history_type"] for row in records["officers.historicalappointment"]} == {"+"}
    assert [row["history_user"] for row in records["officers.historicalchangerequest"]] == [world.mso.pk]
    assert [email["subject"] for email in data["emails_sent_to_you"]] == ["Hello officer"]
    assert [(view["viewer_email"], view["page"]) for view in data["contact_details_viewed_by"]] == [
        ("chair.a@nhs.net", reverse("directory:person", args=[world.mso_person.pk]))
    ]


def test_download_leaves_out_secrets_and_other_peoples_records(client, officer):
    world = officer
    data = download(client, world.mso)
    text = json.dumps(data)

    assert "password" not in records_fields(data, "users.user")
    assert "data" not in records_fields(data, "mfa.authenticator")
    assert "session_key" not in records_fields(data, "audit.usersession")
    assert world.mso.password not in text
    for other in ("mso.b@nhs.net", "chair.b@nhs.net", "lead@england.nhs.uk", "Hello other officer"):
        assert other not in text
    assert {row["id"] for row in data["records"]["officers.person"]} == {world.mso_person.pk}


def records_fields(data, label) -> set[str]:
    return {name for row in data["records"].get(label, []) for name in row}


def test_a_user_without_a_person_record_gets_their_account(client, world):
    data = download(client, world.no_role)
    assert [row["email"] for row in data["records"]["users.user"]] == ["no.role@nhs.net"]
    assert "officers.person" not in data["records"]
    assert data["handovers"] == []


def add_past_roles(person, count):
    for _ in range(count):
        ended = datetime.date(2025, 1, 1)
        AppointmentFactory(person=person, role="team_member", status=Appointment.Status.ENDED, end_date=ended)
        MembershipFactory(person=person, network=NetworkFactory(), left_on=ended)


def test_download_queries_do_not_grow_with_the_data(client, world, django_assert_max_num_queries):
    client.force_login(world.mso)
    add_past_roles(world.mso_person, 1)
    with CaptureQueriesContext(connection) as few:
        client.get(DOWNLOAD)
    # About one query per model with a key to a user or a person, whatever the number of rows.
    assert len(few) <= MAX_QUERIES
    add_past_roles(world.mso_person, 20)
    with django_assert_max_num_queries(len(few)):
        response = client.get(DOWNLOAD)
    assert len(json.loads(response.content)["records"]["officers.appointment"]) == 22


MAX_QUERIES = 60


def test_download_needs_signing_in(client, db):
    for url in (PAGE, DOWNLOAD):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_page_explains_the_download_in_the_account_layout(client, world):
    client.force_login(world.mso)
    content = client.get(PAGE).content.decode()
    assert "<h1>Download your data</h1>" in content
    assert f'href="{DOWNLOAD}"' in content
    assert 'id="account-nav-heading"' in content


def test_people_see_only_their_own_data(client, officer):
    world = officer
    data = download(client, world.other_mso)
    assert {row["id"] for row in data["records"]["officers.person"]} == {world.other_person.pk}
    assert "mso.a@nhs.net" not in json.dumps(data)
    assert Person.objects.count() > 1
