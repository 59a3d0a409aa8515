"""Imports of people and appointments, network memberships and organisations: the preview, the rules
(one named MSO, one chair, approval), atomicity and history."""

import datetime
import gc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.models import ImportJob, ImportRow
from msonet.uploads import Table
from networks.imports import memberships_import
from networks.models import Membership
from officers.imports import people_import
from officers.models import Appointment, Person
from organisations.models import Organisation
from tests.factories import AppointmentFactory, MembershipFactory, OrganisationFactory, PersonFactory
from tests.factories.files import MEMBERSHIP_HEADERS, PEOPLE_HEADERS, csv_bytes, ods_row, person_row, xlsx_bytes

pytestmark = pytest.mark.django_db


def table(headers, rows) -> Table:
    return Table(headers=headers, rows=[(number, row) for number, row in enumerate(rows, start=2)])


def upload(client, dataset, data, name="people.csv", **fields):
    return client.post(
        reverse("imports:upload", args=[dataset]), {"file": SimpleUploadedFile(name, data), **fields}, follow=True
    )


def latest_job() -> ImportJob:
    return ImportJob.objects.latest("pk")


# The preview


def test_preview_counts_new_changed_unchanged_and_error_free_rows_and_shows_field_changes(client, world):
    changed = PersonFactory(work_email="change.me@nhs.net", first_name="Sam", last_name="Lee", job_title="Pharmacist")
    unchanged = world.mso_person
    rows = [
        PEOPLE_HEADERS,
        person_row(
            unchanged.work_email.upper(),
            unchanged.first_name,
            unchanged.last_name,
            job_title=unchanged.job_title,
            profession=unchanged.get_profession_display(),
            phone=unchanged.phone,
            ods="RAL",
            role="MSO",
            status="Active",
            start="2024-01-08",
        ),
        person_row("change.me@nhs.net", "Sam", "Lee", job_title="Lead pharmacist", profession="", phone=changed.phone),
        person_row(
            "new.person@nhs.net", "Nia", "Hughes", ods="RAL", role="Medication safety team member", start="2025-02-01"
        ),
    ]
    client.force_login(world.lead)
    people_before = Person.objects.count()

    response = upload(client, "people", csv_bytes(rows))

    job = latest_job()
    assert job.status == ImportJob.Status.READY
    assert (job.new_count, job.changed_count, job.unchanged_count, job.error_count) == (1, 1, 1, 0)
    assert Person.objects.count() == people_before  # a preview writes nothing
    page = response.content.decode()
    assert "What the import would do" in page
    assert "Import 1 new and 1 changed rows" in page
    changed_page = client.get(job.get_absolute_url(), {"show": "changed"}).content.decode()
    assert "<strong>Job title</strong>: from “Pharmacist” to “Lead pharmacist”" in changed_page
    assert "<strong>Profession</strong>: from “Pharmacist” to blank" in changed_page
    new_page = client.get(job.get_absolute_url(), {"show": "new"}).content.decode()
    assert "new person: Nia Hughes" in new_page
    assert "new appointment: Medication safety team member at Royal Free London NHS Foundation Trust (RAL)" in new_page


def test_preview_lists_each_error_with_its_line_and_column(client, world):
    rows = [
        PEOPLE_HEADERS,
        person_row("good@nhs.net", ods="RAL", role="Deputy MSO", start="2025-01-01"),
        person_row("bad@nhs.net", ods="RAL", role="Chief", start="31/02/2025"),
        person_row("not-an-email", ods="XXX99", role="Deputy MSO", start="2025-01-01"),
    ]
    client.force_login(world.lead)

    upload(client, "people", csv_bytes(rows))

    job = latest_job()
    assert job.status == ImportJob.Status.INVALID
    assert job.error_count == 2
    errors = {(row.line, row.column): row.message for row in job.rows.filter(kind=ImportRow.Kind.ERROR)}
    assert errors[3, "Role"].startswith("'Chief' is not one of")
    assert errors[3, "Start date"] == "'31/02/2025' is not a date: write it as YYYY-MM-DD (or DD/MM/YYYY)"
    assert errors[4, "Work email"] == "Enter a valid email address."
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Start date" in page and "is not a date" in page
    assert "Nothing has been saved" in page
    assert f"imports/jobs/{job.pk}/confirm/" not in page


def test_unknown_organisation_is_an_error_once_the_cells_are_good(world):
    report = people_import(
        table=table(PEOPLE_HEADERS, [person_row("x@nhs.net", ods="ZZZ99", role="MSO", start="2025-01-01")]),
        file_name="people.csv",
    )
    assert [str(error) for error in report.errors] == [
        "line 2, Organisation ODS code: no organisation has the ODS code ZZZ99"
    ]


# Atomicity


def test_a_file_with_one_bad_row_in_the_middle_imports_nothing(world):
    rows = [
        person_row("first@nhs.net", ods="RAL", role="Deputy MSO", start="2025-01-01"),
        person_row("second@nhs.net", ods="R0A", role="Team member", start="2025-13-01"),
        person_row("third@nhs.net", ods="R0A", role="Deputy MSO", start="2025-01-01"),
    ]
    people_before, appointments_before = Person.objects.count(), Appointment.objects.count()

    report = people_import(table=table(PEOPLE_HEADERS, rows), file_name="people.csv", user=world.lead, dry_run=False)

    assert [error.line for error in report.errors] == [3]
    assert (Person.objects.count(), Appointment.objects.count()) == (people_before, appointments_before)
    assert not Person.objects.filter(work_email__in=["first@nhs.net", "third@nhs.net"]).exists()


def test_a_row_breaking_a_database_rule_in_the_middle_imports_nothing(world):
    rows = [
        person_row("first@nhs.net", ods="R0A", role="Deputy MSO", start="2025-01-01"),
        person_row("second.mso@nhs.net", ods="RAL", role="MSO", start="2025-01-01"),
        person_row("third@nhs.net", ods="R0A", role="Team member", start="2025-01-01"),
    ]
    people_before = Person.objects.count()

    report = people_import(table=table(PEOPLE_HEADERS, rows), file_name="people.csv", user=world.lead, dry_run=False)

    assert [(error.line, error.column) for error in report.errors] == [(3, "Status")]
    assert Person.objects.count() == people_before


def test_confirming_after_the_records_changed_imports_nothing_and_lists_the_new_errors(client, world):
    rows = [
        PEOPLE_HEADERS,
        person_row("first@nhs.net", ods="R0A", role="Deputy MSO", start="2025-01-01"),
        person_row("named@nhs.net", ods="R0A", role="MDSO", start="2025-01-01"),
    ]
    client.force_login(world.lead)
    upload(client, "people", csv_bytes(rows))
    job = latest_job()
    assert job.status == ImportJob.Status.READY
    AppointmentFactory(organisation=world.org_b, role=Appointment.Role.MDSO)  # someone became MDSO meanwhile
    people_before = Person.objects.count()

    response = client.post(reverse("imports:job-confirm", args=[job.pk]), follow=True)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert Person.objects.count() == people_before
    assert "Nothing was imported" in response.content.decode()
    assert job.rows.get(kind=ImportRow.Kind.ERROR).line == 3


# Named officers and approval


def test_a_second_active_named_mso_is_refused_naming_the_holder(world):
    rows = [
        person_row("second.mso@nhs.net", "Rui", "Costa", ods="RAL", role="MSO", status="Active", start="2025-03-01")
    ]

    report = people_import(table=table(PEOPLE_HEADERS, rows), file_name="people.csv", user=world.lead, dry_run=False)

    (error,) = report.errors
    assert (error.line, error.column) == (2, "Status")
    assert "already has an active named MSO, Amina Okafor (mso.a@nhs.net)" in error.message
    assert "does not replace a named officer" in error.message
    assert not Person.objects.filter(work_email="second.mso@nhs.net").exists()
    assert Appointment.objects.current().filter(organisation=world.org_a, role="mso").count() == 1


def test_two_rows_naming_two_msos_for_one_organisation_refuse_the_second(world):
    rows = [
        person_row("one@nhs.net", ods="R0A", role="MDSO", start="2025-03-01"),
        person_row("two@nhs.net", ods="R0A", role="MDSO", start="2025-03-01"),
    ]
    report = people_import(table=table(PEOPLE_HEADERS, rows), file_name="people.csv")
    assert [(error.line, error.column) for error in report.errors] == [(3, "Status")]
    assert "line 2 already makes one@nhs.net the active named MDSO" in report.errors[0].message


def test_ending_the_holder_in_the_same_file_lets_a_new_mso_start_with_history(world):
    holder = world.mso_person
    rows = [
        person_row(
            holder.work_email,
            holder.first_name,
            holder.last_name,
            job_title=holder.job_title,
            phone=holder.phone,
            ods="RAL",
            role="MSO",
            status="Ended",
            start="2024-01-08",
            end="2025-02-28",
        ),
        person_row("successor@nhs.net", "Rui", "Costa", ods="RAL", role="MSO", start="2025-03-01", mhra="2025-03-05"),
    ]

    report = people_import(table=table(PEOPLE_HEADERS, rows), file_name="handover.csv", user=world.lead, dry_run=False)

    assert report.ok, report.errors
    assert (report.new, report.changed) == (1, 1)
    world.mso_appointment.refresh_from_db()
    assert world.mso_appointment.status == Appointment.Status.ENDED
    assert world.mso_appointment.end_date == datetime.date(2025, 2, 28)
    successor = Appointment.objects.current().get(organisation=world.org_a, role="mso")
    assert successor.person.work_email == "successor@nhs.net"
    assert successor.mhra_registered_on == datetime.date(2025, 3, 5)
    for record in (world.mso_appointment, successor, successor.person):
        history = record.history.latest()
        assert history.history_change_reason == "Import of people and appointments from handover.csv"
        assert history.history_user == world.lead
    assert world.mso_appointment.history.latest().history_type == "~"
    assert successor.history.latest().history_type == "+"


def test_an_import_does_not_make_appointments_pending_nor_decide_a_pending_one(world):
    pending = AppointmentFactory(organisation=world.org_b, role=Appointment.Role.DEPUTY_MSO, status="pending")
    person = pending.person
    rows = [
        person_row("new@nhs.net", ods="RAL", role="Deputy MSO", status="Pending", start="2025-01-01"),
        person_row(
            person.work_email,
            person.first_name,
            person.last_name,
            job_title=person.job_title,
            phone=person.phone,
            ods="R0A",
            role="Deputy MSO",
            status="Active",
            start=pending.start_date.isoformat(),
        ),
    ]
    report = people_import(table=table(PEOPLE_HEADERS, rows), file_name="people.csv")
    messages = {error.line: error.message for error in report.errors}
    assert messages[2].startswith("an import makes appointments active or ended only")
    assert messages[3].startswith("this appointment is pending: its status changes only through")


def test_an_ended_appointment_needs_an_end_date_not_before_its_start(world):
    rows = [
        person_row("a@nhs.net", ods="RAL", role="Deputy MSO", status="Ended", start="2025-01-01"),
        person_row("b@nhs.net", ods="RAL", role="Deputy MSO", status="Ended", start="2025-01-01", end="2024-12-31"),
    ]
    report = people_import(table=table(PEOPLE_HEADERS, rows), file_name="people.csv")
    assert [(error.line, error.column, error.message) for error in report.errors] == [
        (2, "End date", "An ended appointment needs an end date."),
        (3, "End date", "The end date cannot be before the start date."),
    ]


def test_a_person_on_two_lines_must_have_the_same_details(world):
    rows = [
        person_row("twice@nhs.net", job_title="MSO", ods="RAL", role="Deputy MSO", start="2025-01-01"),
        person_row("twice@nhs.net", job_title="Chief pharmacist", ods="R0A", role="Deputy MSO", start="2025-01-01"),
    ]
    report = people_import(table=table(PEOPLE_HEADERS, rows), file_name="people.csv")
    assert [(error.line, error.column) for error in report.errors] == [(3, "Job title")]
    assert "differs from line 2" in report.errors[0].message


def test_running_the_same_import_twice_changes_nothing_the_second_time(world):
    rows = [person_row("again@nhs.net", ods="RAL", role="Deputy MSO", start="2025-01-01")]
    first = people_import(table=table(PEOPLE_HEADERS, rows), file_name="p.csv", user=world.lead, dry_run=False)
    second = people_import(table=table(PEOPLE_HEADERS, rows), file_name="p.csv", user=world.lead, dry_run=False)
    assert (first.new, second.new, second.changed, second.unchanged) == (1, 0, 0, 1)
    assert Appointment.objects.filter(person__work_email="again@nhs.net").count() == 1


def test_confirming_the_preview_imports_the_people_with_history(client, world):
    rows = [
        PEOPLE_HEADERS,
        person_row("new.deputy@nhs.net", "Ola", "Ade", ods="R0A", role="Deputy MSO", start="2025-01-01"),
    ]
    client.force_login(world.lead)
    upload(client, "people", xlsx_bytes(rows), name="deputies.xlsx")
    job = latest_job()

    response = client.post(reverse("imports:job-confirm", args=[job.pk]), follow=True)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTED
    assert job.imported_by == world.lead
    assert bytes(job.data) == b""
    assert "Imported deputies.xlsx: 1 new, 0 changed, 0 unchanged." in response.content.decode()
    appointment = Appointment.objects.get(person__work_email="new.deputy@nhs.net")
    assert appointment.status == Appointment.Status.ACTIVE
    assert appointment.history.get().history_change_reason == "Import of people and appointments from deputies.xlsx"
    # A second confirmation is refused: the job has been imported.
    response = client.post(reverse("imports:job-confirm", args=[job.pk]), follow=True)
    assert "cannot be confirmed: it is imported" in response.content.decode()
    assert Appointment.objects.filter(person__work_email="new.deputy@nhs.net").count() == 1


def test_cancelling_a_preview_imports_nothing(client, world):
    client.force_login(world.lead)
    upload(client, "people", csv_bytes([PEOPLE_HEADERS, person_row("c@nhs.net")]))
    job = latest_job()
    client.post(reverse("imports:job-cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert client.post(reverse("imports:job-confirm", args=[job.pk])).status_code == 302
    assert not Person.objects.filter(work_email="c@nhs.net").exists()


def test_a_missing_required_column_is_reported_on_the_header_line(world):
    report = people_import(table=table(["Work email", "Last name"], [["a@nhs.net", "Lee"]]), file_name="p.csv")
    assert [(error.line, error.column) for error in report.errors] == [(1, "")]
    assert "the header row has no 'First name' column" in report.errors[0].message


# Memberships


def test_memberships_import_creates_and_ends_memberships_with_history(world):
    person = PersonFactory(work_email="member@nhs.net")
    rows = [
        ["member@nhs.net", "london", "Member", "2025-01-06", ""],
        [world.mso_person.work_email, "london", "Member", "2024-01-08", "2025-06-30"],
    ]
    report = memberships_import(
        table=table(MEMBERSHIP_HEADERS, rows), file_name="members.csv", user=world.lead, dry_run=False
    )
    assert report.ok, report.errors
    assert (report.new, report.changed) == (1, 1)
    membership = Membership.objects.get(person=person, network=world.network_a)
    assert membership.history.get().history_change_reason == "Import of network memberships from members.csv"
    ended = Membership.objects.get(person=world.mso_person, network=world.network_a)
    assert ended.left_on == datetime.date(2025, 6, 30)
    assert ended.history.latest().history_user == world.lead


def test_a_second_chair_is_a_line_error_naming_the_chair(world):
    PersonFactory(work_email="new.chair@nhs.net")
    rows = [["new.chair@nhs.net", "london", "Chair", "2025-01-06", ""]]
    report = memberships_import(
        table=table(MEMBERSHIP_HEADERS, rows), file_name="m.csv", user=world.lead, dry_run=False
    )
    (error,) = report.errors
    assert (error.line, error.column) == (2, "Role")
    assert "London MSO network already has a chair, Chloe Adeyemi (chair.a@nhs.net)" in error.message
    assert not Membership.objects.filter(person__work_email="new.chair@nhs.net").exists()


def test_a_chair_stepping_down_in_the_same_file_makes_room_for_the_next(world):
    PersonFactory(work_email="new.chair@nhs.net")
    chair = Membership.objects.get(network=world.network_a, role="chair")
    rows = [
        ["new.chair@nhs.net", "london", "Chair", "2025-01-06", ""],
        [chair.person.work_email, "london", "Chair", chair.joined_on.isoformat(), "2025-01-05"],
    ]
    report = memberships_import(
        table=table(MEMBERSHIP_HEADERS, rows), file_name="m.csv", user=world.lead, dry_run=False
    )
    assert report.ok, report.errors
    assert Membership.objects.current().chairs().get(network=world.network_a).person.work_email == "new.chair@nhs.net"


def test_a_second_current_membership_and_unknown_people_or_networks_are_line_errors(world):
    rows = [
        [world.mso_person.work_email, "london", "Member", "2025-05-01", ""],
        ["nobody@nhs.net", "london", "Member", "2025-05-01", ""],
        [world.mso_person.work_email, "no-such-network", "Member", "2025-05-01", ""],
        [world.mso_person.work_email, "national", "Member", "2025-05-01", "2025-04-01"],
    ]
    report = memberships_import(table=table(MEMBERSHIP_HEADERS, rows), file_name="m.csv")
    errors = [(error.line, error.column) for error in report.errors]
    assert (3, "Work email") in errors
    assert (4, "Network") in errors
    assert (5, "Left on") in errors
    assert (2, "Joined on") in errors
    assert "already a current member of this network (since 2024-01-08)" in next(
        error.message for error in report.errors if error.line == 2
    )


def test_memberships_upload_previews_and_imports(client, world):
    MembershipFactory  # noqa: B018 - the factory module is shared; the world made the memberships
    PersonFactory(work_email="joiner@nhs.net")
    client.force_login(world.lead)
    upload(
        client, "memberships", csv_bytes([MEMBERSHIP_HEADERS, ["joiner@nhs.net", "north-west", "", "2025-02-03", ""]])
    )
    job = latest_job()
    assert (job.status, job.new_count) == (ImportJob.Status.READY, 1)
    client.post(reverse("imports:job-confirm", args=[job.pk]))
    assert Membership.objects.get(person__work_email="joiner@nhs.net").role == Membership.Role.MEMBER


# Organisations (through the ODS import)


def test_organisations_upload_previews_then_imports_an_ods_file(client, world):
    rows = [ods_row("RXX", "NEW TEST HOSPITALS NHS TRUST"), ods_row("RAL", "ROYAL FREE LONDON NHS FOUNDATION TRUST")]
    client.force_login(world.lead)

    upload(client, "organisations", csv_bytes(rows), name="etr.csv", ods_kind="trusts")

    job = latest_job()
    assert (job.status, job.new_count, job.changed_count) == (ImportJob.Status.READY, 1, 1)
    assert not Organisation.objects.filter(ods_code="RXX").exists()
    page = client.get(job.get_absolute_url(), {"show": "changed"}).content.decode()
    assert "Address" in page or "address" in page
    client.post(reverse("imports:job-confirm", args=[job.pk]))
    created = Organisation.objects.get(ods_code="RXX")
    assert created.name == "New Test Hospitals NHS Trust"
    assert created.history.get().history_change_reason == "ODS import etr.csv"


def test_an_organisations_file_with_one_bad_row_in_the_middle_imports_nothing(client, world):
    rows = [ods_row("RXA", "FIRST TRUST"), ods_row("rx b", "BAD CODE TRUST"), ods_row("RXC", "LAST TRUST")]
    client.force_login(world.lead)
    upload(client, "organisations", xlsx_bytes(rows), name="etr.xlsx", ods_kind="trusts")
    job = latest_job()
    assert job.status == ImportJob.Status.INVALID
    assert [row.line for row in job.rows.filter(kind=ImportRow.Kind.ERROR)] == [2]
    assert not Organisation.objects.filter(ods_code__in=["RXA", "RXC"]).exists()


def test_nobody_is_made_an_active_officer_of_a_closed_organisation(world):
    OrganisationFactory(ods_code="RCL", name="Closed Trust", closed_on=datetime.date(2020, 3, 31))
    rows = [
        person_row("a@nhs.net", ods="RCL", role="Deputy MSO", start="2019-01-01"),
        person_row("b@nhs.net", ods="RCL", role="Deputy MSO", status="Ended", start="2019-01-01", end="2020-03-31"),
    ]
    report = people_import(table=table(PEOPLE_HEADERS, rows), file_name="people.csv")
    assert [(error.line, error.column) for error in report.errors] == [(2, "Organisation ODS code")]
    assert "Closed Trust (RCL) closed on 2020-03-31" in report.errors[0].message


def test_a_telephone_number_is_checked_when_the_file_sets_it_not_when_it_is_unchanged(world):
    legacy = PersonFactory(work_email="legacy@nhs.net", phone="ext. 4412")
    rows = [
        person_row(
            legacy.work_email, legacy.first_name, legacy.last_name, job_title=legacy.job_title, phone="ext. 4412"
        ),
        person_row("new@nhs.net", phone="call reception"),
    ]
    report = people_import(table=table(PEOPLE_HEADERS, rows), file_name="people.csv")
    assert [(error.line, error.column) for error in report.errors] == [(3, "Work telephone")]


# A workbook is parsed once


def counting_workbook_parses(monkeypatch) -> list:
    """Each parse of a workbook's sheet (msonet.uploads._xlsx_rows), recorded as it starts."""
    from msonet import uploads

    parses = []
    parse = uploads._xlsx_rows

    def counted(data, limits):
        parses.append(len(data))
        return parse(data, limits)

    monkeypatch.setattr(uploads, "_xlsx_rows", counted)
    return parses


@pytest.mark.parametrize(
    ("dataset", "name", "fields"),
    [("people", "deputies.xlsx", {}), ("organisations", "etr.xlsx", {"ods_kind": "trusts"})],
)
def test_an_uploaded_workbook_is_parsed_once_by_its_form_then_checked_and_imported_from_the_rows_read(
    client, world, monkeypatch, dataset, name, fields
):
    if dataset == "people":
        rows = [
            PEOPLE_HEADERS,
            person_row("once@nhs.net", "Ola", "Ade", ods="R0A", role="Deputy MSO", start="2025-01-01"),
        ]
    else:
        rows = [ods_row("RXO", "PARSED ONCE NHS TRUST")]
    parses = counting_workbook_parses(monkeypatch)
    client.force_login(world.lead)

    upload(client, dataset, xlsx_bytes(rows), name=name, **fields)
    job = latest_job()
    assert (job.status, job.new_count, len(parses)) == (ImportJob.Status.READY, 1, 1)
    client.post(reverse("imports:job-confirm", args=[job.pk]))

    job.refresh_from_db()
    assert (job.status, len(parses)) == (ImportJob.Status.IMPORTED, 1)
    assert (bytes(job.data), bytes(job.table)) == (b"", b"")  # neither the file nor its rows are kept
    if dataset == "people":
        assert Person.objects.filter(work_email="once@nhs.net").exists()
    else:
        assert Organisation.objects.get(ods_code="RXO").name == "Parsed Once NHS Trust"


def test_a_workbook_with_a_bad_row_is_refused_from_its_rows_read_with_its_line_and_nothing_kept(
    client, world, monkeypatch
):
    rows = [ods_row("RXA", "FIRST TRUST"), ods_row("rx b", "BAD CODE TRUST"), ods_row("RXC", "LAST TRUST")]
    parses = counting_workbook_parses(monkeypatch)
    client.force_login(world.lead)
    upload(client, "organisations", xlsx_bytes(rows), name="etr.xlsx", ods_kind="trusts")
    job = latest_job()
    assert (job.status, len(parses)) == (ImportJob.Status.INVALID, 1)
    assert [row.line for row in job.rows.filter(kind=ImportRow.Kind.ERROR)] == [2]
    assert (bytes(job.data), bytes(job.table)) == (b"", b"")
    assert not Organisation.objects.filter(ods_code__in=["RXA", "RXC"]).exists()


def test_an_upload_is_read_and_checked_with_the_cycle_collector_held_off_and_it_runs_again_after(
    client, world, monkeypatch
):
    from imports import services
    from msonet import uploads

    collector_on = []
    iter_rows, store_report = uploads.iter_rows, services._store_report

    def reading(*args, **kwargs):
        collector_on.append(("read", gc.isenabled()))
        return iter_rows(*args, **kwargs)

    def storing(*args, **kwargs):
        collector_on.append(("stored", gc.isenabled()))
        return store_report(*args, **kwargs)

    monkeypatch.setattr(uploads, "iter_rows", reading)
    monkeypatch.setattr(services, "_store_report", storing)
    client.force_login(world.lead)
    assert gc.isenabled()

    upload(client, "organisations", xlsx_bytes([ods_row("RXH", "HELD OFF TRUST")]), name="etr.xlsx", ods_kind="trusts")

    assert (latest_job().status, latest_job().new_count) == (ImportJob.Status.READY, 1)
    assert sorted(set(collector_on)) == [("read", False), ("stored", False)]
    assert gc.isenabled()


def test_a_workbooks_cells_are_the_ods_imports_text_whatever_their_type():
    from organisations.ods import workbook_rows

    read = [
        (1, ["  RXA ", "FIRST TRUST", "Y56"]),
        (2, ["RXB", "'=NOT A FORMULA", "'kept quote", 20150401, 2.5, True, datetime.datetime(2015, 4, 1, 9, 30)]),
        (4, ["RXC", "LINE ONE\n'LINE TWO"]),
    ]

    rows = workbook_rows(read, header_row=False)

    assert [(row.line, row.values[:7]) for row in rows] == [
        (1, ("RXA", "FIRST TRUST", "Y56", "", "", "", "")),
        (2, ("RXB", "=NOT A FORMULA", "'kept quote", "20150401", "2.5", "Yes", "20150401")),
        (4, ("RXC", "LINE ONE\n'LINE TWO", "", "", "", "", "")),
    ]
    assert all(len(row.values) == 27 for row in rows)
