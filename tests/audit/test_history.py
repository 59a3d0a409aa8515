"""Every change, from every path (a page's form, an approval, the admin, the ODS import, a scheduled
task, a handover's completion), leaves a history row with who made it (nobody for a task) and why;
history can be read in the admin but never edited or reverted."""

import csv
import datetime
import io

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from compliance.models import Flag
from compliance.tasks import scan_compliance
from handovers.services import handover_complete, handover_open
from officers.changes import change_details_submit
from officers.models import Appointment, ChangeRequest, Person
from organisations.models import Organisation
from registrations.models import RegistrationRequest
from registrations.services import registration_approve, registration_submit
from tests.factories import AppointmentFactory, OrganisationFactory, UserFactory


def latest(model, **lookup):
    return model.history.filter(**lookup).order_by("-history_date", "-history_id").first()


def assert_audited(record, user):
    assert record is not None
    assert record.history_user == user
    assert record.history_change_reason, f"{record.instance_type.__name__} history row without a reason"


def person_values(person, **changes):
    fields = ["first_name", "last_name", "job_title", "profession", "registration_number", "work_email", "phone"]
    return {**{name: getattr(person, name) for name in fields}, **changes}


def test_a_change_of_details_approved_on_its_page_is_audited(client, world):
    [change] = change_details_submit(
        requested_by=world.mso, person_values=person_values(world.mso_person, job_title="Lead MSO")
    )
    assert_audited(latest(ChangeRequest, id=change.pk), world.mso)

    client.force_login(world.lead)
    response = client.post(reverse("officers:change-approve", args=[change.pk]))

    assert response.status_code == 302
    assert_audited(latest(Person, id=world.mso_person.pk, job_title="Lead MSO"), world.lead)
    assert_audited(latest(ChangeRequest, id=change.pk, status="approved"), world.lead)


def test_a_rejected_or_withdrawn_change_request_is_audited(client, world):
    [first] = change_details_submit(requested_by=world.mso, person_values=person_values(world.mso_person, phone="1"))
    client.force_login(world.lead)
    client.post(reverse("officers:change-reject", args=[first.pk]), {"reason": "Not a real number"})
    assert_audited(latest(ChangeRequest, id=first.pk, status="rejected"), world.lead)

    [second] = change_details_submit(requested_by=world.mso, person_values=person_values(world.mso_person, phone="2"))
    client.force_login(world.mso)
    client.post(reverse("officers:change-withdraw", args=[second.pk]))
    assert_audited(latest(ChangeRequest, id=second.pk, status="withdrawn"), world.mso)


def test_an_approved_registration_is_audited(world):
    applicant = UserFactory(email="new.officer@nhs.net")
    organisation = OrganisationFactory(region=world.london)
    request = registration_submit(
        user=applicant,
        organisation=organisation,
        role=Appointment.Role.MSO,
        start_date=datetime.date(2026, 11, 2),
        first_name="Nadia",
        last_name="Hussain",
        job_title="Lead pharmacist",
        profession="pharmacist",
    )
    assert_audited(latest(RegistrationRequest, id=request.pk), applicant)

    appointment = registration_approve(request_id=request.pk, reviewer=world.lead)

    assert_audited(latest(Appointment, id=appointment.pk), world.lead)
    assert_audited(latest(Person, id=appointment.person_id), world.lead)
    assert_audited(latest(RegistrationRequest, id=request.pk, status="approved"), world.lead)


def change_form_data(response):
    """The POST data a browser would send back from an admin change page, inlines included."""
    data = {}
    forms = [response.context["adminform"].form]
    inlines = response.context.get("inline_admin_formsets", [])
    for inline in inlines:
        forms += inline.formset.forms
        data.update({field.html_name: field.value() for field in inline.formset.management_form})
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            data[field.html_name] = "on" if value is True else value
    return data


def test_an_admin_save_is_audited_with_what_changed(client, world):
    client.force_login(world.lead)
    url = reverse("admin:officers_person_change", args=[world.mso_person.pk])
    data = change_form_data(client.get(url))
    data["job_title"] = "Chief pharmacist"
    data["appointments-0-mhra_reference"] = "MHRA-123"

    assert client.post(url, data).status_code == 302

    person_row = latest(Person, id=world.mso_person.pk)
    assert_audited(person_row, world.lead)
    assert person_row.history_change_reason == "Changed in the admin: job title"
    appointment_row = latest(Appointment, id=world.mso_appointment.pk)
    assert_audited(appointment_row, world.lead)
    assert appointment_row.history_change_reason == "Changed in the admin: MHRA registration reference"


def test_an_admin_addition_and_deletion_are_audited(client, world):
    client.force_login(world.lead)
    response = client.post(
        reverse("admin:users_trustedemaildomain_add"), {"domain": "hscni.net", "note": "Northern Ireland"}
    )
    assert response.status_code == 302
    from users.models import TrustedEmailDomain

    domain = TrustedEmailDomain.objects.get()
    assert latest(TrustedEmailDomain, id=domain.pk).history_change_reason == "Added in the admin: domain, note"

    response = client.post(reverse("admin:users_trustedemaildomain_delete", args=[domain.pk]), {"post": "yes"})
    assert response.status_code == 302
    deleted = latest(TrustedEmailDomain, id=domain.pk)
    assert deleted.history_type == "-"
    assert_audited(deleted, world.lead)


def test_the_ods_import_command_is_audited(db, tmp_path):
    path = tmp_path / "etr.csv"
    row = [""] * 27
    row[0], row[1], row[2], row[10] = "RZZ", "TEST HOSPITALS NHS TRUST", "Y56", "20200401"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerow(row)

    call_command("import_ods", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    record = latest(Organisation, ods_code="RZZ")
    assert_audited(record, None)
    assert record.history_change_reason == "ODS import etr.csv"


def test_the_compliance_scan_task_is_audited(world):
    scan_compliance.delay()

    flag = Flag.objects.filter(organisation=world.org_a).first()
    assert flag is not None
    assert_audited(latest(Flag, id=flag.pk), None)


def test_a_completed_handover_is_audited(world):
    incoming = AppointmentFactory(
        organisation=world.org_a, role=Appointment.Role.MSO, status=Appointment.Status.PENDING
    )
    handover = handover_open(
        outgoing=world.mso_appointment,
        incoming=incoming,
        leaving_date=timezone.localdate() - datetime.timedelta(days=1),
        started_by=world.mso,
    )

    handover_complete(handover_id=handover.pk, user=world.lead, reason="Checklist done by telephone")

    assert_audited(latest(type(handover), id=handover.pk, status="completed"), world.lead)
    assert_audited(latest(Appointment, id=world.mso_appointment.pk, status="ended"), world.lead)
    assert_audited(latest(Appointment, id=incoming.pk, status="active"), world.lead)


# History is read-only in the admin


def test_posting_to_a_past_versions_page_does_not_revert_the_record(client, world):
    person = world.mso_person
    old_version = latest(Person, id=person.pk)
    Person.objects.filter(pk=person.pk).update(job_title="Current title")
    client.force_login(world.lead)
    url = reverse("admin:officers_person_simple_history", args=[person.pk, old_version.history_id])

    page = client.get(url)
    assert page.status_code == 200
    assert page.context["revert_disabled"] is True
    data = change_form_data(page)

    response = client.post(url, data)

    assert response.status_code == 405
    person.refresh_from_db()
    assert person.job_title == "Current title"


def test_no_history_table_has_an_admin_of_its_own():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert not [label for label in registered if ".historical" in label]


@pytest.mark.parametrize("url_name", ["admin:officers_person_history", "admin:officers_appointment_history"])
def test_lead_reads_the_history_of_a_record(client, world, url_name):
    pk = world.mso_person.pk if "person" in url_name else world.mso_appointment.pk
    client.force_login(world.lead)
    assert client.get(reverse(url_name, args=[pk])).status_code == 200
