"""The history pages of an organisation and of a person: who changed what and when, from what to
what and why, in the portal's own look; the ODS import and scheduled jobs are named as such, never
"None"; what the page keeps back (the private profile, contact details) its history keeps back too;
a fixed number of queries however long the history."""

import csv
import re

import pytest
from django.urls import reverse

from audit.history_pages import changed_by
from msonet.history import record_change
from officers.models import Appointment
from organisations.models import KeyContact, Organisation
from organisations.services import ods_import
from tests.factories import AppointmentFactory, KeyContactFactory, OrganisationFactory, UserFactory
from tests.factories.files import ODS_DIR

ETR = ODS_DIR / "etr.csv"
# Session, user, the header's navigation, the two-factor check, the page's own: the regions, the
# organisation or person with the rights to see it, the people or organisations named, and two
# queries for each kind of record (its rows, the row before each).
HISTORY_QUERIES = 14


def organisation_history_url(organisation):
    return reverse("directory:organisation-history", args=[organisation.ods_code])


def person_history_url(person):
    return reverse("directory:person-history", args=[person.pk])


def page_text(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def etr_with_phone(tmp_path, code, phone):
    with ETR.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    for row in rows:
        if row[0] == code:
            row[17] = phone
    path = tmp_path / "etr_2026.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(rows)
    return path


@pytest.mark.parametrize(
    ("user_name", "reason", "shown"),
    [
        (None, "ODS import etr.csv", "ODS import of etr.csv"),
        ("Pat Lead", "ODS import etr.csv", "ODS import of etr.csv, run by Pat Lead"),
        (None, "Anonymised: left their last role more than 6 years ago", "Nightly anonymisation of former officers"),
        (None, "Lapsed", "Nightly compliance scan"),
        (None, "", "The MSO Network (automatic)"),
        ("Pat Lead", "Changed in the admin", "Pat Lead"),
    ],
)
def test_who_made_a_change_is_named_and_never_none(db, user_name, reason, shown):
    user = UserFactory(name=user_name) if user_name else None
    assert changed_by(user, reason) == shown


def test_the_ods_import_is_named_with_its_file_and_the_change_shown_before_and_after(client, world, tmp_path):
    ods_import(data=ETR.read_bytes(), kind="trusts", file_name=ETR.name, user=None)
    ods_import(
        data=etr_with_phone(tmp_path, "R0A", "0161 276 1234").read_bytes(),
        kind="trusts",
        file_name="etr_2026.csv",
        user=None,
    )
    client.force_login(world.no_role)
    text = page_text(client, organisation_history_url(Organisation.objects.get(ods_code="R0A")))
    assert "History of changes" in text
    assert "Changed: Organisation record" in text
    assert "By ODS import of etr_2026.csv" in text
    assert "Added: Organisation record" in text and "By ODS import of etr.csv" in text
    assert re.search(r"Switchboard telephone (\S.*)? → changed to 0161 276 1234", text)
    assert "None" not in text


def test_a_change_by_a_person_names_them_with_the_reason_and_field_labels(client, world):
    organisation = world.org_a
    organisation.generic_mailbox = "medsafety@nhs.net"
    record_change(organisation, user=world.lead, reason="Mailbox given on the phone")
    organisation.save()
    client.force_login(world.mso)
    text = page_text(client, organisation_history_url(organisation))
    lead = world.lead.get_full_name()
    assert f"By {lead} Why Mailbox given on the phone Generic MSO mailbox" in text
    assert "→ changed to medsafety@nhs.net" in text


def test_organisation_history_shows_its_officers_appointments(client, world):
    appointment = world.mso_appointment
    appointment.status = Appointment.Status.ENDED
    appointment.end_date = appointment.start_date
    record_change(appointment, user=world.lead, reason="Left the trust")
    appointment.save()
    client.force_login(world.no_role)
    text = page_text(client, organisation_history_url(world.org_a))
    assert "Changed: Medication safety officer: Amina Okafor" in text
    assert "Status Active → changed to Ended" in text


def test_the_private_profile_s_changes_are_kept_back_from_those_who_may_not_see_it(client, world):
    contact = KeyContactFactory(organisation=world.org_a, name="Dr Jo Reader")
    record_change(contact, user=world.mso, reason="Added")
    contact.save()
    AppointmentFactory(organisation=world.org_a, role=Appointment.Role.TEAM_MEMBER, person__last_name="Quayle")
    client.force_login(world.mso)
    own = page_text(client, organisation_history_url(world.org_a))
    assert "Dr Jo Reader" in own and "Quayle" in own
    client.force_login(world.no_role)
    other = page_text(client, organisation_history_url(world.org_a))
    assert "Dr Jo Reader" not in other and "Quayle" not in other
    assert "are not shown to you" in other


def test_person_history_shows_their_record_and_keeps_back_contact_details(client, world):
    person = world.mso_person
    person.job_title = "Lead pharmacist for medication safety"
    person.phone = "020 7946 0999"
    record_change(person, user=world.mso, reason="Changed their details")
    person.save()
    client.force_login(world.mso)
    own = page_text(client, person_history_url(person))
    assert "Changed: Personal details" in own
    assert "Job title" in own and "→ changed to Lead pharmacist for medication safety" in own
    assert "020 7946 0999" in own
    assert "Medication safety officer at Royal Free London NHS Foundation Trust" in own
    client.force_login(world.no_role)
    other = page_text(client, person_history_url(person))
    assert "Lead pharmacist for medication safety" in other
    assert "020 7946 0999" not in other and "mso.a@nhs.net" not in other


def test_history_pages_of_what_does_not_exist_are_not_found(client, world):
    client.force_login(world.lead)
    assert client.get(reverse("directory:organisation-history", args=["ZZZ99"])).status_code == 404
    assert client.get(reverse("directory:person-history", args=[999999])).status_code == 404


def test_the_organisation_and_person_pages_link_their_history_not_the_admin(client, world):
    client.force_login(world.lead)
    organisation_page = client.get(world.org_a.get_absolute_url()).content.decode()
    assert f'href="{organisation_history_url(world.org_a)}"' in organisation_page
    assert "/history/" not in organisation_page.replace(organisation_history_url(world.org_a), "")
    person_page = client.get(world.mso_person.get_absolute_url()).content.decode()
    assert f'href="{person_history_url(world.mso_person)}"' in person_page


@pytest.mark.parametrize("changes", [1, 30])
def test_history_pages_make_the_same_number_of_queries_however_long_the_history(
    client, world, changes, django_assert_max_num_queries
):
    organisation, person = world.org_a, world.mso_person
    for number in range(changes):
        organisation.phone = f"020 7946 {number:04d}"
        record_change(organisation, user=world.lead, reason="Phone")
        organisation.save()
        person.job_title = f"Pharmacist {number}"
        record_change(person, user=world.lead, reason="Title")
        person.save()
        if number < len(KeyContact.Role.values):
            KeyContactFactory(organisation=organisation, role=KeyContact.Role.values[number])
        AppointmentFactory(organisation=OrganisationFactory(), person=person, role=Appointment.Role.TEAM_MEMBER)
    client.force_login(world.lead)
    with django_assert_max_num_queries(HISTORY_QUERIES):
        response = client.get(organisation_history_url(organisation))
    assert len(response.context["page_obj"].object_list) == (25 if changes == 30 else 4)
    with django_assert_max_num_queries(HISTORY_QUERIES):
        client.get(person_history_url(person))
