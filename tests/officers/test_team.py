"""The medication safety team: the named MSO proposes deputies, team members and medicines champions;
the national lead approves (the person is created or found, the appointment active) or rejects."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from officers import team
from officers.models import Appointment, Person, RequestStatus, TeamProposal
from tests.factories import AppointmentFactory, OrganisationFactory, PersonFactory, TeamProposalFactory, UserFactory

PROPOSAL = {
    "role": "medicines_champion",
    "first_name": "Mia",
    "last_name": "Champion",
    "work_email": "Mia.Champion@NHS.net",
    "job_title": "Ward Manager",
    "profession": "nurse",
    "start_date_day": "1",
    "start_date_month": "9",
    "start_date_year": "2026",
}


def propose(client, user, organisation, **changes):
    client.force_login(user)
    return client.post(reverse("directory:team-propose", args=[organisation.ods_code]), {**PROPOSAL, **changes})


def test_officer_proposes_a_medicines_champion_for_the_leads_queue(client, world):
    response = propose(client, world.mso, world.org_a)
    assert response.status_code == 302
    proposal = TeamProposal.objects.get()
    assert (proposal.role, proposal.work_email, proposal.status) == (
        "medicines_champion",
        "mia.champion@nhs.net",
        "submitted",
    )
    assert proposal.start_date == datetime.date(2026, 9, 1)
    assert proposal.history.get().history_user == world.mso
    assert not Appointment.objects.filter(role="medicines_champion").exists()
    client.force_login(world.lead)
    assert b"Mia Champion" in client.get(reverse("officers:team-queue")).content
    client.force_login(world.mso)
    assert b"Waiting for the national team" in client.get(world.org_a.get_absolute_url()).content


def test_the_same_person_cannot_be_proposed_twice_for_a_role(client, world):
    propose(client, world.mso, world.org_a)
    response = propose(client, world.mso, world.org_a, work_email="mia.champion@nhs.net")
    assert response.status_code == 200
    assert "has already been proposed" in response.content.decode()
    assert TeamProposal.objects.count() == 1


def test_the_database_keeps_one_waiting_proposal_per_person_and_role(world):
    TeamProposalFactory(organisation=world.org_a, work_email="a@nhs.net")
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamProposalFactory(organisation=world.org_a, work_email="A@NHS.NET")


def test_the_database_refuses_a_proposal_for_a_named_role(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamProposalFactory(organisation=world.org_a, role="mso")


def test_a_named_role_cannot_be_proposed_through_the_form(client, world):
    response = propose(client, world.mso, world.org_a, role="mso")
    assert response.status_code == 200
    assert not TeamProposal.objects.exists()


def test_someone_already_in_the_role_is_not_proposed_again(client, world):
    person = PersonFactory(work_email="mia.champion@nhs.net")
    AppointmentFactory(person=person, organisation=world.org_a, role="medicines_champion")
    response = propose(client, world.mso, world.org_a)
    assert "is already the medicines champion" in response.content.decode()
    assert not TeamProposal.objects.exists()


def test_lead_approves_creating_the_person_and_an_active_appointment(client, world, django_capture_on_commit_callbacks):
    proposal = TeamProposalFactory(organisation=world.org_a, proposed_by=world.mso, work_email="new.one@nhs.net")
    client.force_login(world.lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("officers:team-approve", args=[proposal.pk]))
    assert response.status_code == 302
    person = Person.objects.get(work_email="new.one@nhs.net")
    appointment = Appointment.objects.get(person=person)
    assert (appointment.organisation, appointment.role, appointment.status) == (world.org_a, "team_member", "active")
    assert appointment.start_date == proposal.start_date
    record = appointment.history.get()
    assert record.history_user == world.lead
    assert record.history_change_reason.startswith("Team proposal approved")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.appointment, proposal.reviewed_by) == ("approved", appointment, world.lead)
    (email,) = mail.outbox
    assert email.to == [world.mso.email]
    assert "is now medication safety team member" in email.subject


def test_approval_adds_the_role_to_a_person_already_in_the_register(world):
    existing = PersonFactory(work_email="Known.Person@nhs.net", job_title="")
    proposal = TeamProposalFactory(organisation=world.org_a, proposed_by=world.mso, work_email="known.person@nhs.net")
    appointment = team.team_proposal_approve(proposal_id=proposal.pk, reviewer=world.lead)
    assert appointment.person == existing
    assert Person.objects.filter(work_email__iexact="known.person@nhs.net").count() == 1
    existing.refresh_from_db()
    assert existing.job_title == proposal.job_title


def test_a_proposal_is_approved_once(world):
    proposal = TeamProposalFactory(organisation=world.org_a, proposed_by=world.mso)
    team.team_proposal_approve(proposal_id=proposal.pk, reviewer=world.lead)
    with pytest.raises(ValidationError, match="already been approved"):
        team.team_proposal_approve(proposal_id=proposal.pk, reviewer=world.lead)
    assert Appointment.objects.filter(role="team_member").count() == 1


def test_the_lead_cannot_approve_their_own_proposal(client, world):
    proposal = TeamProposalFactory(organisation=world.org_a, proposed_by=world.lead)
    with pytest.raises(ValidationError, match="proposal you made yourself"):
        team.team_proposal_approve(proposal_id=proposal.pk, reviewer=world.lead)
    client.force_login(world.lead)
    assert (
        b"another member of the national team must approve it"
        in client.get(reverse("officers:team-review", args=[proposal.pk])).content
    )


def test_lead_rejects_with_a_reason_the_proposer_is_emailed(client, world, django_capture_on_commit_callbacks):
    proposal = TeamProposalFactory(organisation=world.org_a, proposed_by=world.mso)
    client.force_login(world.lead)
    response = client.post(reverse("officers:team-reject", args=[proposal.pk]), {"reason": ""})
    assert "Enter the reason for rejecting the proposal" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("officers:team-reject", args=[proposal.pk]), {"reason": "Not in post yet."})
    proposal.refresh_from_db()
    assert (proposal.status, proposal.review_reason) == (RequestStatus.REJECTED, "Not in post yet.")
    assert not Appointment.objects.filter(role="team_member").exists()
    (email,) = mail.outbox
    assert "Not in post yet." in email.body


def test_proposer_withdraws_a_waiting_proposal(client, world):
    proposal = TeamProposalFactory(organisation=world.org_a, proposed_by=world.mso)
    client.force_login(world.other_mso)
    assert client.post(reverse("officers:team-withdraw", args=[proposal.pk])).status_code == 404
    client.force_login(world.mso)
    assert client.post(reverse("officers:team-withdraw", args=[proposal.pk])).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == RequestStatus.WITHDRAWN


def test_approved_team_appears_on_the_organisation_page_for_readers_only(client, world):
    proposal = TeamProposalFactory(organisation=world.org_a, proposed_by=world.mso, first_name="Tara", last_name="Team")
    team.team_proposal_approve(proposal_id=proposal.pk, reviewer=world.lead)
    client.force_login(world.chair_a)
    assert b"Tara Team" in client.get(world.org_a.get_absolute_url()).content
    client.force_login(world.no_role)
    assert b"Tara Team" not in client.get(world.org_a.get_absolute_url()).content


@pytest.mark.parametrize("size", [3, 40])
def test_team_queue_runs_a_fixed_number_of_queries(client, world, size, django_assert_max_num_queries):
    for _ in range(size):
        TeamProposalFactory(organisation=OrganisationFactory(region=world.london), proposed_by=UserFactory())
    client.force_login(world.lead)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("officers:team-queue"))
    assert len(response.context["page_obj"].object_list) == min(size, 25)


@pytest.mark.parametrize("size", [3, 40])
@pytest.mark.parametrize("role", ["mso", "chair_a", "no_role"])
def test_organisation_page_runs_a_fixed_number_of_queries(client, world, size, role, django_assert_max_num_queries):
    for index in range(size):
        role_name = Appointment.TEAM_ROLES[index % 3]
        AppointmentFactory(organisation=world.org_a, role=role_name)
        TeamProposalFactory(organisation=world.org_a, proposed_by=world.mso)
    client.force_login(getattr(world, role))
    # The organisation page's queries for these roles, its coverage among them (add_coverage); the
    # national lead's budget is tests/directory/test_queries.py's ORGANISATION_QUERIES.
    with django_assert_max_num_queries(15):
        response = client.get(world.org_a.get_absolute_url())
    assert response.status_code == 200
