"""Key contacts and the board director, kept by the organisation's named officers: applied at once,
with history, and summarised for the national lead once a week from the history tables."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from audit import profile_changes
from committees import services as committee_services
from emails.models import OutboundEmail
from organisations import profile
from organisations.models import KeyContact
from tests.factories import CommitteeFactory, KeyContactFactory, OrganisationFactory, UserFactory

# Edits are made in the week of Monday 9 November 2026; the summary runs on Monday 16 November.
IN_THE_WEEK = datetime.datetime(2026, 11, 11, 10, tzinfo=datetime.UTC)
SUMMARY_DAY = datetime.date(2026, 11, 16)


def contacts_url(name, organisation, *args):
    return reverse(f"directory:{name}", args=[organisation.ods_code, *args])


def test_officer_adds_a_key_contact_applied_at_once_with_history(client, world):
    client.force_login(world.mso)
    response = client.post(
        contacts_url("key-contact-add", world.org_a),
        {"role": "patient_safety_specialist", "name": " Pat  Safety ", "email": "Pat.Safety@NHS.net", "phone": ""},
    )
    assert response.status_code == 302
    contact = KeyContact.objects.get(organisation=world.org_a)
    assert (contact.role, contact.name, contact.email) == (
        "patient_safety_specialist",
        "Pat Safety",
        "pat.safety@nhs.net",
    )
    record = contact.history.get()
    assert record.history_user == world.mso
    assert record.history_change_reason == "Edited by the organisation's officer"


def test_lead_edits_are_recorded_as_the_leads(client, world):
    contact = KeyContactFactory(organisation=world.org_a)
    client.force_login(world.lead)
    client.post(
        contacts_url("key-contact-edit", world.org_a, contact.pk),
        {"role": contact.role, "name": "New Name", "email": ""},
    )
    record = contact.history.latest()
    assert (record.name, record.history_user, record.history_change_reason) == (
        "New Name",
        world.lead,
        "Edited by the national lead",
    )


def test_a_second_contact_in_the_same_role_is_refused_with_a_message(client, world):
    KeyContactFactory(organisation=world.org_a, role="chief_pharmacist", name="First Chief")
    client.force_login(world.mso)
    response = client.post(
        contacts_url("key-contact-add", world.org_a), {"role": "chief_pharmacist", "name": "Second Chief"}
    )
    assert response.status_code == 200
    assert "already has a chief pharmacist" in response.content.decode()
    assert list(KeyContact.objects.values_list("name", flat=True)) == ["First Chief"]


def test_the_database_keeps_one_contact_per_role(world):
    KeyContactFactory(organisation=world.org_a, role="chief_pharmacist")
    with pytest.raises(IntegrityError), transaction.atomic():
        KeyContact.objects.create(organisation=world.org_a, role="chief_pharmacist", name="Another")


def test_an_invalid_email_is_refused_and_nothing_changes(client, world):
    contact = KeyContactFactory(organisation=world.org_a, email="kept@nhs.net")
    client.force_login(world.mso)
    response = client.post(
        contacts_url("key-contact-edit", world.org_a, contact.pk),
        {"role": contact.role, "name": contact.name, "email": "not an email"},
    )
    assert response.status_code == 200
    assert "Enter an email address in the correct format" in response.content.decode()
    contact.refresh_from_db()
    assert contact.email == "kept@nhs.net"


def test_officer_removes_a_key_contact_and_the_history_keeps_who(client, world):
    contact = KeyContactFactory(organisation=world.org_a)
    client.force_login(world.mso)
    assert client.post(contacts_url("key-contact-remove", world.org_a, contact.pk)).status_code == 302
    assert not KeyContact.objects.exists()
    removed = KeyContact.history.get(history_type="-")
    assert (removed.history_user, removed.history_change_reason) == (world.mso, profile.OFFICER_REASON)


def test_a_contact_of_another_organisation_cannot_be_reached_through_this_one(client, world):
    elsewhere = KeyContactFactory(organisation=world.org_b)
    client.force_login(world.mso)
    assert client.get(contacts_url("key-contact-edit", world.org_a, elsewhere.pk)).status_code == 404
    assert client.post(contacts_url("key-contact-remove", world.org_a, elsewhere.pk)).status_code == 404
    assert KeyContact.objects.filter(pk=elsewhere.pk).exists()


def test_officer_records_the_board_director_with_history(client, world):
    client.force_login(world.mso)
    response = client.post(
        contacts_url("board-director", world.org_a), {"name": "Dr Jane Board", "email": "Jane.Board@nhs.net"}
    )
    assert response.status_code == 302
    world.org_a.refresh_from_db()
    assert (world.org_a.board_director_name, world.org_a.board_director_email) == (
        "Dr Jane Board",
        "jane.board@nhs.net",
    )
    record = world.org_a.history.latest()
    assert (record.history_user, record.history_change_reason) == (world.mso, profile.OFFICER_REASON)


def test_board_director_email_without_a_name_is_refused(client, world):
    client.force_login(world.mso)
    response = client.post(contacts_url("board-director", world.org_a), {"name": "", "email": "x@nhs.net"})
    assert response.status_code == 200
    assert "Enter the board director" in response.content.decode()


def test_the_generic_mailbox_cannot_be_changed_through_the_profile(client, world):
    mailbox = world.org_a.generic_mailbox
    client.force_login(world.mso)
    client.post(
        contacts_url("board-director", world.org_a),
        {"name": "Dr Jane Board", "email": "", "generic_mailbox": "hijack@example.com"},
    )
    world.org_a.refresh_from_db()
    assert world.org_a.generic_mailbox == mailbox


# The weekly summary


@pytest.fixture
def week_of_edits(world):
    """In the week before SUMMARY_DAY, org_a's MSO adds, changes and removes key contacts, changes the
    board director and the committee; the lead changes org_b (not listed: the summary is of officers' edits)."""
    with time_machine.travel(IN_THE_WEEK, tick=False):
        chief = profile.key_contact_save(
            organisation=world.org_a, user=world.mso, role="chief_pharmacist", name="Carol Chief", email="c@nhs.net"
        )
        profile.key_contact_save(
            organisation=world.org_a, user=world.mso, contact=chief, role="chief_pharmacist", name="Carla Chief"
        )
        advice = profile.key_contact_save(
            organisation=world.org_a, user=world.mso, role="medicines_advice", name="Adam Advice"
        )
        profile.key_contact_remove(contact=advice, user=world.mso)
        profile.board_director_update(organisation=world.org_a, user=world.mso, name="Dr New Director", email="")
        CommitteeFactory(organisation=world.org_a)
        committee_services.committee_save(
            organisation=world.org_a, user=world.mso, values={"chair_name": "Dr New Chair"}
        )
        profile.board_director_update(organisation=world.org_b, user=world.lead, name="Lead Edit", email="")
    return world


def test_lead_gets_the_weeks_changes_per_organisation(week_of_edits, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert profile_changes.profile_change_summaries_send(today=SUMMARY_DAY) == 1
    (email,) = mail.outbox
    assert email.to == ["lead@england.nhs.uk"]
    assert "week 2026-W46" in email.subject
    body = email.body
    assert "Royal Free London NHS Foundation Trust (RAL)" in body
    assert "Chief pharmacist: added by mso.a@nhs.net" in body
    assert "Name: Carol Chief -> Carla Chief" in body
    assert "Medicines advice team: removed" in body
    assert "Name: Adam Advice" in body
    assert "Board director for medication safety: changed" in body
    assert "-> Dr New Director" in body
    assert "Chair name: Dr Chair Person -> Dr New Chair" in body
    assert "Lead Edit" not in body
    assert "Manchester" not in body


def test_summary_goes_once_a_week_however_often_it_runs(week_of_edits):
    assert profile_changes.profile_change_summaries_send(today=SUMMARY_DAY) == 1
    assert profile_changes.profile_change_summaries_send(today=SUMMARY_DAY + datetime.timedelta(days=2)) == 0
    assert OutboundEmail.objects.filter(template="profile_changes").count() == 1


def test_edits_of_this_week_wait_for_next_weeks_summary(week_of_edits):
    assert profile_changes.profile_change_summaries_send(today=SUMMARY_DAY - datetime.timedelta(days=1)) == 0


def test_no_summary_when_nothing_changed(world):
    assert profile_changes.profile_change_summaries_send(today=SUMMARY_DAY) == 0
    assert not OutboundEmail.objects.exists()


def test_every_lead_gets_the_summary(week_of_edits):
    UserFactory(email="deputy.lead@england.nhs.uk", is_national_lead=True)
    assert profile_changes.profile_change_summaries_send(today=SUMMARY_DAY) == 2


def test_summary_command_prints_what_it_queued(week_of_edits):
    out = StringIO()
    with time_machine.travel(datetime.datetime(2026, 11, 16, 7, 15, tzinfo=datetime.UTC), tick=False):
        call_command("send_profile_change_summaries", stdout=out)
    assert out.getvalue().strip() == "queued=1"


def test_summary_is_read_with_a_fixed_number_of_queries(
    world, django_assert_max_num_queries, django_assert_num_queries
):
    since = datetime.datetime(2026, 11, 9, tzinfo=datetime.UTC)
    until = datetime.datetime(2026, 11, 16, tzinfo=datetime.UTC)

    def edit(count):
        with time_machine.travel(IN_THE_WEEK, tick=False):
            for _ in range(count):
                organisation = OrganisationFactory()
                contact = profile.key_contact_save(
                    organisation=organisation, user=world.mso, role="governance_lead", name="G One"
                )
                profile.key_contact_save(
                    organisation=organisation, user=world.mso, contact=contact, role="governance_lead", name="G Two"
                )
                profile.board_director_update(organisation=organisation, user=world.mso, name="B", email="")

    edit(1)
    with django_assert_max_num_queries(9) as few:
        assert len(profile_changes.profile_changes(since=since, until=until)) == 1
    edit(10)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(profile_changes.profile_changes(since=since, until=until)) == 11
