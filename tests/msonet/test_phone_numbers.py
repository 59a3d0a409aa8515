"""Telephone numbers are read with phonenumbers wherever one is entered (forms, the people import,
the admin, the model) and stored in the national format; an organisation's ODS switchboard is not."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from msonet.uploads import Table
from msonet.validators import PHONE_MESSAGE
from officers.imports import people_import
from officers.models import Person
from organisations.models import KeyContact, Organisation
from tests.bad_input.test_admin import admin_post_data
from tests.factories import PersonFactory
from tests.factories.files import PEOPLE_HEADERS, person_row

pytestmark = pytest.mark.django_db


def table(rows) -> Table:
    return Table(headers=PEOPLE_HEADERS, rows=[(number, row) for number, row in enumerate(rows, start=2)])


def test_the_models_refuse_a_number_of_zeros(world):
    person = PersonFactory.build(phone="00000000000")
    with pytest.raises(ValidationError) as error:
        person.full_clean(exclude=["user"])
    assert error.value.message_dict["phone"] == [PHONE_MESSAGE]
    contact = KeyContact(organisation=world.org_a, role=KeyContact.Role.PATIENT_SAFETY_SPECIALIST, name="Pat Safety")
    contact.phone = "00000000000"
    with pytest.raises(ValidationError):
        contact.full_clean()


def test_an_organisations_switchboard_from_ods_is_not_checked(world):
    world.org_a.phone = "0300 3309444 (switchboard)"
    world.org_a.full_clean()  # as ODS publishes it: an ODS row is never refused for its number


def test_the_people_import_refuses_a_number_of_zeros_on_its_line(world):
    rows = [person_row("new.person@nhs.net", phone="00000000000")]
    report = people_import(table=table(rows), file_name="p.csv", user=world.lead, dry_run=True)
    assert [(error.line, error.column, error.message) for error in report.errors] == [
        (2, "Work telephone", PHONE_MESSAGE)
    ]


def test_the_people_import_stores_a_number_in_the_national_format(world):
    rows = [person_row("new.person@nhs.net", phone="+44 (0)20 7946 0123")]
    report = people_import(table=table(rows), file_name="p.csv", user=world.lead, dry_run=False)
    assert report.errors == []
    assert Person.objects.get(work_email="new.person@nhs.net").phone == "020 7946 0123"


def test_the_people_import_finds_a_number_written_another_way_unchanged(world):
    PersonFactory(work_email="known@nhs.net", first_name="Alex", last_name="Morgan", phone="0207 946 0123")
    rows = [person_row("known@nhs.net", phone="02079460123")]
    report = people_import(table=table(rows), file_name="p.csv", user=world.lead, dry_run=False)
    assert (report.errors, report.changed, report.unchanged) == ([], 0, 1)
    assert Person.objects.get(work_email="known@nhs.net").phone == "0207 946 0123"


def test_the_people_import_leaves_a_number_stored_before_the_check_alone(world):
    PersonFactory(work_email="known@nhs.net", first_name="Alex", last_name="Morgan", phone="07700 900123")
    rows = [person_row("known@nhs.net", phone="07700 900123")]
    report = people_import(table=table(rows), file_name="p.csv", user=world.lead, dry_run=True)
    assert (report.errors, report.unchanged) == ([], 1)


def test_a_key_contact_s_number_is_stored_in_the_national_format(client, world):
    client.force_login(world.mso)
    response = client.post(
        reverse("directory:key-contact-add", args=[world.org_a.ods_code]),
        {"role": "patient_safety_specialist", "name": "Pat Safety", "email": "", "phone": "+442079460456"},
    )
    assert response.status_code == 302
    assert KeyContact.objects.get(organisation=world.org_a).phone == "020 7946 0456"


def test_a_key_contact_s_number_of_zeros_is_refused(client, world):
    client.force_login(world.mso)
    response = client.post(
        reverse("directory:key-contact-add", args=[world.org_a.ods_code]),
        {"role": "patient_safety_specialist", "name": "Pat Safety", "email": "", "phone": "00000000000"},
    )
    assert response.status_code == 200
    assert PHONE_MESSAGE in response.content.decode()
    assert not KeyContact.objects.exists()


def test_the_admin_stores_a_person_s_number_in_the_national_format(client, world):
    client.force_login(world.lead)
    url = reverse("admin:officers_person_change", args=[world.mso_person.pk])
    post = admin_post_data(client.get(url))
    post["phone"] = "+44 161 496 0000"
    response = client.post(url, post)
    assert response.status_code == 302
    world.mso_person.refresh_from_db()
    assert world.mso_person.phone == "0161 496 0000"


def test_the_admin_refuses_a_person_s_number_of_zeros(client, world):
    client.force_login(world.lead)
    url = reverse("admin:officers_person_change", args=[world.mso_person.pk])
    post = admin_post_data(client.get(url))
    post["phone"] = "00000000000"
    response = client.post(url, post)
    assert response.status_code == 200
    assert PHONE_MESSAGE in response.content.decode()
    world.mso_person.refresh_from_db()
    assert world.mso_person.phone != "00000000000"


def test_the_admin_leaves_an_organisations_switchboard_as_written(client, world):
    client.force_login(world.lead)
    url = reverse("admin:organisations_organisation_change", args=[world.org_a.pk])
    post = admin_post_data(client.get(url))
    post["phone"] = "0300 3309444"
    response = client.post(url, post)
    assert response.status_code == 302
    assert Organisation.objects.get(pk=world.org_a.pk).phone == "0300 3309444"
