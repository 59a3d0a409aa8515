"""The organisation directory: search, filters, named officers, closed organisations and pagination."""

import datetime

from django.urls import reverse

from officers.models import Appointment
from organisations.models import Organisation
from tests.factories import AppointmentFactory, OrganisationFactory


def directory(client, **params):
    response = client.get(reverse("directory:organisations"), params)
    assert response.status_code == 200
    return response


def listed_codes(response) -> list[str]:
    return [organisation.ods_code for organisation in response.context["organisations"]]


def test_directory_searches_by_part_of_the_name(client, world):
    client.force_login(world.no_role)
    response = directory(client, q="royal free")
    assert listed_codes(response) == ["RAL"]
    assert b"Royal Free London NHS Foundation Trust" in response.content


def test_directory_searches_by_ods_code_with_the_exact_match_first(client, world):
    OrganisationFactory(ods_code="RAL01", name="Aaron Ral Hospice", region=world.london)
    OrganisationFactory(ods_code="RBB", name="A Ral Hospital Trust", region=world.london)
    client.force_login(world.no_role)
    codes = listed_codes(directory(client, q="ral"))
    assert codes[0] == "RAL"
    assert set(codes) == {"RAL", "RAL01", "RBB"}


def test_directory_filters_by_region(client, world):
    client.force_login(world.no_role)
    assert listed_codes(directory(client, region="Y62")) == ["R0A"]


def test_directory_filters_by_type(client, world):
    OrganisationFactory(ods_code="QWE", name="North London ICB", kind=Organisation.Kind.ICB, region=world.london)
    client.force_login(world.no_role)
    assert listed_codes(directory(client, kind="icb")) == ["QWE"]
    assert "QWE" not in listed_codes(directory(client, kind="nhs_trust"))


def test_directory_reports_an_unknown_region_as_an_error(client, world):
    client.force_login(world.no_role)
    response = directory(client, region="Y99")
    assert b"nhsuk-error-summary" in response.content
    assert set(listed_codes(response)) == {"RAL", "R0A"}


def test_directory_shows_the_named_mso_linking_to_their_page(client, world):
    client.force_login(world.no_role)
    response = directory(client, q="RAL")
    assert world.mso_person.get_absolute_url().encode() in response.content
    assert world.mso_person.full_name.encode() in response.content
    assert b"No named MSO" not in response.content


def test_directory_shows_no_named_mso_and_no_named_mdso_tags(client, world):
    OrganisationFactory(ods_code="RXX", name="Gap Hospitals NHS Trust", region=world.london)
    client.force_login(world.no_role)
    response = directory(client, q="RXX")
    assert b"No named MSO" in response.content
    assert b"No named MDSO" in response.content


def test_directory_shows_the_named_mdso(client, world):
    mdso = AppointmentFactory(organisation=world.org_a, role=Appointment.Role.MDSO)
    client.force_login(world.no_role)
    response = directory(client, q="RAL")
    assert mdso.person.get_absolute_url().encode() in response.content
    assert b"No named MDSO" not in response.content


def test_directory_ignores_pending_and_ended_appointments(client, world):
    org = OrganisationFactory(ods_code="RYY", region=world.london)
    AppointmentFactory(organisation=org, status=Appointment.Status.PENDING)
    AppointmentFactory(organisation=org, status=Appointment.Status.ENDED, end_date=datetime.date(2025, 1, 1))
    client.force_login(world.no_role)
    assert b"No named MSO" in directory(client, q="RYY").content


def test_directory_hides_closed_and_not_yet_open_organisations_by_default(client, world):
    OrganisationFactory(ods_code="RCL", name="Closed Trust", closed_on=datetime.date(2020, 3, 31))
    next_month = datetime.date.today() + datetime.timedelta(days=30)
    OrganisationFactory(ods_code="RNY", name="Future Trust", opened_on=next_month)
    client.force_login(world.no_role)
    assert set(listed_codes(directory(client))) == {"RAL", "R0A"}
    assert set(listed_codes(directory(client, include_closed="on"))) == {"RAL", "R0A", "RCL", "RNY"}


def test_directory_marks_closed_organisations_when_included(client, world):
    OrganisationFactory(ods_code="RCL", name="Closed Trust", closed_on=datetime.date(2020, 3, 31))
    client.force_login(world.no_role)
    response = directory(client, q="RCL", include_closed="on")
    assert b'<strong class="nhsuk-tag nhsuk-tag--grey">Closed</strong>' in response.content


def test_directory_shows_twenty_five_organisations_a_page_with_nhsuk_pagination(client, world):
    OrganisationFactory.create_batch(35, region=world.london)
    client.force_login(world.no_role)
    first = directory(client)
    assert len(first.context["organisations"]) == 25
    assert b"nhsuk-pagination" in first.content
    second = directory(client, page=2)
    assert len(second.context["organisations"]) == 12
    assert b'rel="prev"' in second.content


def test_directory_pagination_keeps_the_search(client, world):
    OrganisationFactory.create_batch(55, region=world.london)
    client.force_login(world.no_role)
    response = directory(client, region="Y56")
    assert b'href="?region=Y56&amp;page=2"' in response.content
