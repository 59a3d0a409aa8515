"""Registration as a named officer, the national lead's side: the queue, approving and rejecting."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from emails.models import OutboundEmail
from handovers.models import Handover
from networks.models import Membership
from officers.models import Appointment, Person, RequestStatus
from registrations import services
from registrations.models import RegistrationRequest
from registrations.services import registration_approve
from tests.factories import AppointmentFactory, MembershipFactory, OrganisationFactory, PersonFactory, UserFactory
from tests.registrations.test_registration import make_request, messages_of, today

# Session, user, the two-factor check and the header's navigation (five), then the page: the count,
# the page of requests (with user, organisation and region), the organisations' current appointments.
QUEUE_QUERIES = 8


@pytest.fixture
def applicant(world):
    return UserFactory(email="priya.shah@nhs.net", name="Priya Shah")


@pytest.fixture
def org_c(world):
    """A London trust with no named officers and no generic mailbox."""
    return OrganisationFactory(
        ods_code="RRV", name="University College London Hospitals", region=world.london, generic_mailbox=""
    )


def approve(client, world, request):
    client.force_login(world.lead)
    return client.post(reverse("registrations:approve", args=[request.pk]), follow=True)


def reject(client, world, request, reason):
    client.force_login(world.lead)
    return client.post(reverse("registrations:reject", args=[request.pk]), {"reason": reason}, follow=True)


def snapshot():
    """Everything approving may change, to show that a refused approval changed nothing."""
    return {
        "appointments": sorted(Appointment.objects.values_list("pk", "status")),
        "people": sorted(Person.objects.values_list("pk", "user_id")),
        "memberships": Membership.objects.count(),
        "handovers": sorted(Handover.objects.values_list("pk", "incoming_appointment_id")),
        "requests": sorted(RegistrationRequest.objects.values_list("pk", "status", "reviewed_by_id")),
        "emails": OutboundEmail.objects.count(),
    }


# The queue.


def test_queue_lists_waiting_requests_oldest_first_with_who_holds_the_role(client, world, applicant, org_c):
    first = make_request(UserFactory(), world.org_a)  # org_a has a named MSO
    second = make_request(applicant, org_c)
    decided = make_request(UserFactory(), org_c, role="mdso")
    RegistrationRequest.objects.filter(pk=decided.pk).update(
        status=RequestStatus.REJECTED, reviewed_at=timezone.now(), review_reason="Duplicate"
    )
    client.force_login(world.lead)
    response = client.get(reverse("registrations:queue"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [registration for registration, _ in rows] == [first, second]
    assert rows[0][1] == [world.mso_appointment]
    assert rows[1][1] == []
    html = response.content.decode()
    assert world.mso_person.full_name in html
    assert "Approving opens a handover" in html
    assert "No one" in html
    assert "2 requests waiting for review" in html


def test_queue_flags_a_request_from_an_untrusted_email_domain(client, world, org_c):
    make_request(UserFactory(email="priya@gmail.com"), org_c)
    make_request(UserFactory(email="ade@nhs.net"), world.org_b, role="team_member")
    client.force_login(world.lead)
    response = client.get(reverse("registrations:queue"))
    assert response.content.decode().count("Email domain needs extra checking") == 1
    assert [r.email_domain_trusted for r, _ in response.context["rows"]] == [False, True]


def test_queue_is_paginated(client, world, org_c):
    for _ in range(27):
        make_request(UserFactory(), org_c)
    client.force_login(world.lead)
    response = client.get(reverse("registrations:queue"))
    assert len(response.context["rows"]) == 25
    assert len(client.get(reverse("registrations:queue"), {"page": 2}).context["rows"]) == 2


@pytest.mark.parametrize("size", [5, 40])
def test_queue_queries_do_not_grow_with_the_requests(client, world, size, django_assert_max_num_queries):
    for _ in range(size):
        organisation = OrganisationFactory(region=world.london)
        AppointmentFactory(organisation=organisation, role=Appointment.Role.MSO)
        AppointmentFactory(organisation=organisation, role=Appointment.Role.TEAM_MEMBER)
        make_request(UserFactory(), organisation)
    client.force_login(world.lead)
    with django_assert_max_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("registrations:queue"))
    assert len(response.context["rows"]) == min(size, 25)
    assert all(len(holders) == 1 for _, holders in response.context["rows"])


def test_review_page_shows_every_detail_and_the_handover_to_come(client, world, applicant):
    request = make_request(applicant, world.org_a, phone="020 7794 0500")
    client.force_login(world.lead)
    response = client.get(reverse("registrations:review", args=[request.pk]))
    html = response.content.decode()
    for text in ("Priya Shah", "priya.shah@nhs.net", "Lead Medication Safety Pharmacist", "2045678", "020 7794 0500"):
        assert text in html
    assert "Approving opens a handover from them" in html
    assert "Approve registration" in html
    assert "Reject registration" in html
    assert response.context["named_holder"] == world.mso_appointment


def test_review_page_of_a_decided_request_has_no_buttons(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    registration_approve(request_id=request.pk, reviewer=world.lead)
    client.force_login(world.lead)
    html = client.get(reverse("registrations:review", args=[request.pk])).content.decode()
    assert "Approve registration" not in html
    assert f"by {escape(world.lead.get_full_name())}" in html


# Approving.


def test_approving_makes_the_appointment_active_with_the_mhra_date(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    response = approve(client, world, request)
    assert response.redirect_chain[-1][0] == reverse("registrations:queue")
    appointment = Appointment.objects.get(organisation=org_c)
    assert appointment.status == Appointment.Status.ACTIVE
    assert appointment.role == Appointment.Role.MSO
    assert appointment.start_date == request.start_date
    assert appointment.mhra_registered_on == request.mhra_registered_on
    assert appointment.person.user == applicant
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.reviewed_by == world.lead
    assert request.reviewed_at is not None
    assert request.appointment == appointment
    assert org_c.named_mso == appointment
    assert any("is now the medication safety officer at University College" in m for m in messages_of(response))


def test_approving_creates_the_person_from_the_request(world, applicant, org_c):
    request = make_request(applicant, org_c, first_name="Priya", last_name="Shah", phone="020 7794 0500")
    person = registration_approve(request_id=request.pk, reviewer=world.lead).person
    assert (person.first_name, person.last_name, person.work_email) == ("Priya", "Shah", "priya.shah@nhs.net")
    assert (person.job_title, person.profession, person.registration_number, person.phone) == (
        "Lead Medication Safety Pharmacist",
        "pharmacist",
        "2045678",
        "020 7794 0500",
    )
    assert person.user == applicant


def test_approving_links_an_unlinked_person_with_the_same_work_email(world, applicant, org_c):
    existing = PersonFactory(work_email="Priya.Shah@nhs.net", first_name="Priya", last_name="Shah", phone="")
    request = make_request(applicant, org_c, phone="020 7794 0500")
    appointment = registration_approve(request_id=request.pk, reviewer=world.lead)
    assert appointment.person == existing
    existing.refresh_from_db()
    assert existing.user == applicant
    assert existing.phone == "020 7794 0500"  # blank details are filled from the request
    assert Person.objects.count() == 5  # the world's four, and no new one


def test_approving_uses_the_users_person_record_and_keeps_its_details(world, org_c):
    request = make_request(world.mso, org_c, role="team_member", job_title="Something else", registration_number="")
    versions = world.mso_person.history.count()
    appointment = registration_approve(request_id=request.pk, reviewer=world.lead)
    assert appointment.person == world.mso_person
    world.mso_person.refresh_from_db()
    assert world.mso_person.job_title == "Medication Safety Officer"
    assert world.mso_person.history.count() == versions  # nothing about the person changed


def test_approving_is_refused_when_the_email_belongs_to_another_accounts_person(client, world, applicant, org_c):
    PersonFactory(user=UserFactory(), work_email="priya.shah@nhs.net")
    request = make_request(applicant, org_c)
    before = snapshot()
    response = approve(client, world, request)
    assert any("belongs to another account" in m for m in messages_of(response))
    assert snapshot() == before


def test_approving_adds_the_person_to_the_national_and_regional_networks(world, applicant, org_c):
    appointment = registration_approve(request_id=make_request(applicant, org_c).pk, reviewer=world.lead)
    networks = set(
        Membership.objects.current().filter(person=appointment.person).values_list("network__slug", flat=True)
    )
    assert networks == {"national", "london"}
    assert set(Membership.objects.filter(person=appointment.person).values_list("role", flat=True)) == {"member"}


def test_approving_keeps_existing_memberships(world, org_c):
    # The North West MSO is already in the national network; they become a London team member.
    request = make_request(world.other_mso, org_c, role="team_member")
    registration_approve(request_id=request.pk, reviewer=world.lead)
    memberships = Membership.objects.current().filter(person=world.other_person)
    assert sorted(memberships.values_list("network__slug", flat=True)) == ["london", "national", "north-west"]


def test_approving_emails_the_applicant_and_the_regional_chairs_after_commit(
    world, applicant, org_c, django_capture_on_commit_callbacks
):
    vice_chair = PersonFactory(work_email="vice.chair.a@nhs.net")
    MembershipFactory(person=vice_chair, network=world.network_a, role=Membership.Role.VICE_CHAIR)
    request = make_request(applicant, org_c)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        registration_approve(request_id=request.pk, reviewer=world.lead)
    assert mail.outbox == []  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["chair.a@nhs.net", "priya.shah@nhs.net", "vice.chair.a@nhs.net"]
    to_applicant = next(m for m in mail.outbox if m.to == ["priya.shah@nhs.net"])
    assert "You are now registered as medication safety officer at University College" in to_applicant.subject
    to_chair = next(m for m in mail.outbox if m.to == ["chair.a@nhs.net"])
    assert "has joined the London MSO network" in to_chair.subject
    assert "Priya Shah" in to_chair.body
    assert "chair.b@nhs.net" not in recipients


def test_the_approval_email_links_the_applicant_to_their_record(
    world, applicant, org_c, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://mso.example.nhs.uk"
    request = make_request(applicant, org_c)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        appointment = registration_approve(request_id=request.pk, reviewer=world.lead)
    to_applicant = next(m for m in mail.outbox if m.to == ["priya.shah@nhs.net"])
    url = f"https://mso.example.nhs.uk{appointment.person.get_absolute_url()}"
    assert f"See your details: {url}" in to_applicant.body
    assert f'<a href="{url}">See your details</a>' in to_applicant.alternatives[0][0]


def test_approving_through_the_page_sends_the_emails(
    client, world, applicant, org_c, django_capture_on_commit_callbacks
):
    request = make_request(applicant, org_c)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve(client, world, request)
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "chair.a@nhs.net",
        "priya.shah@nhs.net",
    ]


def test_approving_records_the_proposed_mailbox_with_history(world, applicant, org_c):
    request = make_request(applicant, org_c, proposed_mailbox="uclh.mso@nhs.net")
    registration_approve(request_id=request.pk, reviewer=world.lead)
    org_c.refresh_from_db()
    assert org_c.generic_mailbox == "uclh.mso@nhs.net"
    latest = org_c.history.first()
    assert latest.history_user == world.lead
    assert "registration" in latest.history_change_reason


def test_approving_never_replaces_a_mailbox_on_record(world, applicant):
    request = make_request(applicant, world.org_b, role="team_member")
    RegistrationRequest.objects.filter(pk=request.pk).update(proposed_mailbox="other@nhs.net")
    registration_approve(request_id=request.pk, reviewer=world.lead)
    world.org_b.refresh_from_db()
    assert world.org_b.generic_mailbox == "r0a.mso@nhs.net"


def test_history_records_who_approved(world, applicant, org_c):
    appointment = registration_approve(request_id=make_request(applicant, org_c).pk, reviewer=world.lead)
    reason = f"Registration approved by {world.lead.get_full_name()}"
    for record in (appointment.history.first(), appointment.person.history.first(), Membership.history.first()):
        assert record.history_user == world.lead
        assert record.history_change_reason == reason
    request_record = RegistrationRequest.history.filter(status=RequestStatus.APPROVED).get()
    assert request_record.history_user == world.lead


def test_approving_when_a_named_mso_exists_opens_a_handover_with_the_new_appointment_incoming(
    client, world, applicant, settings, django_capture_on_commit_callbacks
):
    settings.HANDOVER_DUE_DAYS = 28
    start = today() + datetime.timedelta(days=14)
    request = make_request(applicant, world.org_a, start_date=start)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = approve(client, world, request)
    appointment = Appointment.objects.get(person__user=applicant)
    assert appointment.status == Appointment.Status.PENDING
    world.mso_appointment.refresh_from_db()
    assert world.mso_appointment.status == Appointment.Status.ACTIVE
    handover = Handover.objects.get()
    assert handover.outgoing_appointment == world.mso_appointment
    assert handover.incoming_appointment == appointment
    assert handover.organisation == world.org_a
    assert handover.leaving_date == start
    assert handover.due_date == start + datetime.timedelta(days=28)
    assert handover.started_by == world.lead
    assert handover.status == Handover.Status.OPEN
    assert any("once the handover from the current holder is complete" in m for m in messages_of(response))
    to_applicant = next(m for m in mail.outbox if m.to == ["priya.shah@nhs.net"])
    assert "handover" in to_applicant.body
    assert world.mso_person.full_name in to_applicant.body


def test_handover_due_days_come_from_the_setting(world, applicant, settings):
    settings.HANDOVER_DUE_DAYS = 10
    request = make_request(applicant, world.org_a, start_date=today())
    registration_approve(request_id=request.pk, reviewer=world.lead)
    assert Handover.objects.get().due_date == today() + datetime.timedelta(days=10)


def test_approving_attaches_the_new_appointment_to_an_open_handover_without_successor(world, applicant):
    open_handover = Handover.objects.create(
        organisation=world.org_a,
        outgoing_appointment=world.mso_appointment,
        leaving_date=today(),
        due_date=today() + datetime.timedelta(days=28),
    )
    appointment = registration_approve(request_id=make_request(applicant, world.org_a).pk, reviewer=world.lead)
    assert Handover.objects.count() == 1
    open_handover.refresh_from_db()
    assert open_handover.incoming_appointment == appointment
    assert appointment.status == Appointment.Status.PENDING


def test_approving_is_refused_when_the_holder_already_hands_over_to_someone_else(client, world, applicant):
    successor = AppointmentFactory(organisation=world.org_a, status=Appointment.Status.PENDING)
    Handover.objects.create(
        organisation=world.org_a,
        outgoing_appointment=world.mso_appointment,
        incoming_appointment=successor,
        leaving_date=today(),
        due_date=today() + datetime.timedelta(days=28),
    )
    request = make_request(applicant, world.org_a)
    before = snapshot()
    response = approve(client, world, request)
    assert any("is already handing over to a successor" in m for m in messages_of(response))
    assert snapshot() == before


def test_approving_a_deputy_where_a_named_mso_exists_is_active_without_handover(world, applicant):
    appointment = registration_approve(
        request_id=make_request(applicant, world.org_a, role="deputy_mso").pk, reviewer=world.lead
    )
    assert appointment.status == Appointment.Status.ACTIVE
    assert appointment.mhra_registered_on is None
    assert not Handover.objects.exists()


def test_approving_twice_gives_a_clear_message_and_changes_nothing(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    approve(client, world, request)
    before = snapshot()
    response = approve(client, world, request)
    assert response.redirect_chain[-1][0] == reverse("registrations:review", args=[request.pk])
    assert f"This request has already been approved by {world.lead.get_full_name()}." in messages_of(response)
    assert snapshot() == before


def test_approving_a_rejected_request_gives_a_clear_message(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    reject(client, world, request, "Not known to the trust")
    before = snapshot()
    response = approve(client, world, request)
    assert f"This request has already been rejected by {world.lead.get_full_name()}." in messages_of(response)
    assert snapshot() == before


def test_approving_a_withdrawn_request_gives_a_clear_message(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    services.registration_withdraw(request_id=request.pk, user=applicant)
    response = approve(client, world, request)
    assert "This request has already been withdrawn by the applicant." in messages_of(response)
    assert not Appointment.objects.filter(person__user=applicant).exists()


def test_database_refusal_in_a_race_becomes_a_clear_message_and_changes_nothing(client, world, applicant, monkeypatch):
    # As if another approval made someone the named MSO after this one looked: the holder is not
    # seen, so the new appointment is saved as active and the partial unique index refuses it.
    monkeypatch.setattr(services, "_named_holder", lambda organisation, role: None)
    request = make_request(applicant, world.org_a)
    before = snapshot()
    response = approve(client, world, request)
    assert response.status_code == 200
    assert services.RACE_MESSAGE in messages_of(response)
    assert snapshot() == before


def test_service_raises_validation_error_not_integrity_error_in_a_race(world, applicant, monkeypatch):
    from django.core.exceptions import ValidationError

    monkeypatch.setattr(services, "_named_holder", lambda organisation, role: None)
    request = make_request(applicant, world.org_a)
    with pytest.raises(ValidationError) as error:
        registration_approve(request_id=request.pk, reviewer=world.lead)
    assert isinstance(error.value.__cause__, IntegrityError)


def test_approve_and_reject_are_post_only(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    client.force_login(world.lead)
    assert client.get(reverse("registrations:approve", args=[request.pk])).status_code == 405
    assert client.get(reverse("registrations:reject", args=[request.pk])).status_code == 405
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_approving_an_unknown_request_is_not_found(client, world):
    client.force_login(world.lead)
    assert client.post(reverse("registrations:approve", args=[999999])).status_code == 404


# Rejecting.


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_needs_a_reason(client, world, applicant, org_c, reason):
    request = make_request(applicant, org_c)
    client.force_login(world.lead)
    response = client.post(reverse("registrations:reject", args=[request.pk]), {"reason": reason})
    assert response.status_code == 200
    assert "Enter the reason for rejecting the request" in response.content.decode()
    assert "There is a problem" in response.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_rejecting_with_a_reason_emails_it_to_the_applicant(
    client, world, applicant, org_c, django_capture_on_commit_callbacks
):
    request = make_request(applicant, org_c)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = reject(client, world, request, "The trust tells us Dr Khan is their MSO.")
    assert response.redirect_chain[-1][0] == reverse("registrations:queue")
    assert any("has been told why" in m for m in messages_of(response))
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert request.review_reason == "The trust tells us Dr Khan is their MSO."
    assert request.reviewed_by == world.lead
    assert [m.to for m in mail.outbox] == [["priya.shah@nhs.net"]]
    assert "was not approved" in mail.outbox[0].subject
    assert "The trust tells us Dr Khan is their MSO." in mail.outbox[0].body
    assert not Appointment.objects.filter(person__user=applicant).exists()


def test_rejecting_an_approved_request_gives_a_clear_message(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    registration_approve(request_id=request.pk, reviewer=world.lead)
    response = reject(client, world, request, "Too late")
    assert f"This request has already been approved by {world.lead.get_full_name()}." in messages_of(response)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED


def test_applicant_sees_the_decision_on_their_request(client, world, applicant, org_c):
    request = make_request(applicant, org_c)
    reject(client, world, request, "Not known to the trust")
    client.force_login(applicant)
    html = client.get(reverse("registrations:detail", args=[request.pk])).content.decode()
    assert "Rejected" in html
    assert "Not known to the trust" in html
    assert "Withdraw this request" not in html


def test_a_lead_cannot_approve_their_own_registration(client, world, org_c):
    request = make_request(world.lead, org_c)
    before = snapshot()
    response = approve(client, world, request)
    assert "You cannot review a request you made yourself" in response.content.decode()
    assert snapshot() == before
