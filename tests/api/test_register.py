"""The register through the API: fields, filters, cursor pages, the contact-view log, networks and
their chairs, the coverage figures (the dashboard's), and a fixed number of queries per page."""

import pytest
from django.urls import reverse

from audit.models import ContactView
from networks.models import Membership
from officers.models import Appointment
from organisations.models import Organisation
from tests.factories import (
    AppointmentFactory,
    CoverFactory,
    CoveringBodyFactory,
    MembershipFactory,
    OrganisationFactory,
    PartnerKeyFactory,
    PharmacyCompanyFactory,
)


def get(client, key, name, *args, **params):
    return client.get(reverse(name, args=args), params, headers={"X-API-Key": key.secret})


@pytest.fixture
def register_key(db):
    return PartnerKeyFactory()


@pytest.fixture
def contacts_key(db):
    return PartnerKeyFactory(scope_contacts=True)


def test_an_organisation_shows_its_register_fields_and_named_officers(client, world, register_key):
    world.mso_appointment.mhra_registered_on = world.mso_appointment.start_date
    world.mso_appointment.mhra_reference = "MHRA-1"
    world.mso_appointment.save()
    body = get(client, register_key, "api:organisation", "ral").json()
    assert body["ods_code"] == "RAL" and body["region"] == {"code": "Y56", "name": "London"}
    assert body["type"] == "nhs_trust" and body["status"] == "open"
    assert body["mso"] == {"expected": True, "named": True, "status": "named", "covered_by": None}
    assert body["mdso"]["expected"] is True and body["mdso"]["named"] is False and body["mdso"]["status"] == "missing"
    [officer] = body["officers"]
    assert officer["name"] == "Amina Okafor" and officer["role"] == "mso"
    assert officer["mhra_reference"] == "MHRA-1" and officer["since"] == world.mso_appointment.start_date.isoformat()
    assert "work_email" not in officer and "generic_mailbox" not in body


def test_a_covered_organisation_names_who_covers_it(client, world, register_key):
    body_org = CoveringBodyFactory(ods_code="NPA01")
    AppointmentFactory(organisation=body_org, role=Appointment.Role.MSO)
    company = PharmacyCompanyFactory(ods_code="FAB12")
    CoverFactory(covering=body_org, organisation=company, role="mso")
    body = get(client, register_key, "api:organisation", "FAB12").json()
    assert body["mso"]["covered_by"] == "NPA01"


def test_an_unknown_ods_code_is_a_json_404(client, world, register_key):
    response = get(client, register_key, "api:organisation", "ZZZ99")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_list_filters_by_region_type_and_ods_code(client, world, register_key):
    OrganisationFactory(ods_code="QMJ", kind=Organisation.Kind.ICB, region=world.london)

    def codes(**params):
        response = get(client, register_key, "api:organisations", **params)
        return [o["ods_code"] for o in response.json()["results"]]

    assert codes(region="Y56") == ["QMJ", "RAL"]
    assert codes(region="Y56", type="icb") == ["QMJ"]
    assert codes(ods_code="ral,R0A") == ["R0A", "RAL"]


def test_bad_filters_are_refused_in_json_and_say_which(client, world, register_key):
    response = get(client, register_key, "api:organisations", type="castle", updated_since="yesterday")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_request" and set(body["errors"]) == {"type", "updated_since"}


def test_the_cursor_pages_walk_every_organisation_once(client, world, register_key):
    for _ in range(5):
        OrganisationFactory()
    seen, url = [], reverse("api:organisations") + "?page_size=2"
    while url:
        body = client.get(url, headers={"X-API-Key": register_key.secret}).json()
        assert len(body["results"]) <= 2
        seen += [o["ods_code"] for o in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(Organisation.objects.values_list("ods_code", flat=True))
    assert len(seen) == len(set(seen)) == 7


def test_contact_details_read_through_the_api_are_logged_in_one_insert(
    client, world, contacts_key, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20) as queries:
        body = get(client, contacts_key, "api:organisations").json()
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "audit_contactview"')]
    assert len(inserts) == 1
    ral = next(o for o in body["results"] if o["ods_code"] == "RAL")
    assert ral["officers"][0]["work_email"] == "mso.a@nhs.net" and ral["generic_mailbox"] == world.org_a.generic_mailbox
    views = ContactView.objects.filter(api_key=contacts_key.prefix)
    assert {v.person_id for v in views} == {world.mso_person.pk, world.other_person.pk}
    assert all(v.viewer_id is None and v.path == "/api/v1/organisations/" for v in views)


def test_a_register_key_reads_no_contact_details_and_logs_nothing(client, world, register_key):
    content = get(client, register_key, "api:organisations").content.decode()
    assert "mso.a@nhs.net" not in content and world.org_a.generic_mailbox not in content
    assert not ContactView.objects.exists()


def test_networks_list_their_chairs(client, world, contacts_key):
    MembershipFactory(network=world.network_a, role=Membership.Role.VICE_CHAIR)
    body = get(client, contacts_key, "api:networks").json()
    london = next(n for n in body["results"] if n["slug"] == "london")
    assert london["region"] == "Y56" and london["parent"] == "national" and london["kind"] == "regional"
    assert [c["role"] for c in london["chairs"]] == ["chair", "vice_chair"]
    assert london["chairs"][0]["name"] == "Chloe Adeyemi" and london["chairs"][0]["work_email"] == "chair.a@nhs.net"
    assert ContactView.objects.filter(api_key=contacts_key.prefix).count() == 3


def test_the_coverage_figures_are_the_dashboards(client, world):
    company = PharmacyCompanyFactory()
    body_org = CoveringBodyFactory()
    AppointmentFactory(organisation=body_org, role=Appointment.Role.MSO)
    CoverFactory(covering=body_org, organisation=company, role="mso")
    OrganisationFactory(kind=Organisation.Kind.GP_PRACTICE, region=world.london)
    key = PartnerKeyFactory(scope_register=False, scope_coverage=True)
    body = get(client, key, "api:coverage").json()
    client.force_login(world.lead)
    dashboard = client.get(reverse("dashboard:index")).context["coverage"]

    def same(api_row, row):
        assert api_row["label"] == row.label and api_row["open_in_england"] == row.total
        assert api_row["measures"] == row.counts | {k: 0 for k in api_row["measures"] if k not in row.counts}
        figures = {figure.label: figure.value for figure in row.figures}
        assert api_row["missing_mso"] == figures["Missing an MSO"]
        assert api_row["missing_mdso"] == figures["Missing an MDSO"]

    same(body["england"], dashboard.total)
    assert len(body["regions"]) == len(dashboard.regions) and len(body["types"]) == len(dashboard.kinds)
    for api_row, row in zip(body["regions"], dashboard.regions, strict=True):
        same(api_row, row)
    for api_row, row in zip(body["types"], dashboard.kinds, strict=True):
        same(api_row, row)
    assert body["open_outside_england"] == dashboard.outside_england.value
    assert body["england"]["measures"]["mso"] >= 2


def _national(n):
    """n more organisations, each with a named MSO and MDSO, some covered."""
    body_org = CoveringBodyFactory()
    AppointmentFactory(organisation=body_org, role=Appointment.Role.MSO)
    for index in range(n):
        org = OrganisationFactory()
        AppointmentFactory(organisation=org, role=Appointment.Role.MSO)
        AppointmentFactory(organisation=org, role=Appointment.Role.MDSO)
        company = PharmacyCompanyFactory()
        if index % 2:
            CoverFactory(covering=body_org, organisation=company, role="mso")


@pytest.mark.parametrize("name", ["api:organisations", "api:networks"])
def test_a_page_takes_the_same_number_of_queries_whatever_the_data_size(
    client, world, contacts_key, name, django_assert_max_num_queries
):
    _national(2)
    with django_assert_max_num_queries(10) as few:
        assert get(client, contacts_key, name).status_code == 200
    _national(30)
    for _ in range(3):
        MembershipFactory(network=world.network_b, role=Membership.Role.VICE_CHAIR)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = get(client, contacts_key, name, page_size=100).json()
    assert body["results"]


def test_a_page_size_outside_the_bounds_is_refused(client, world, register_key):
    for page_size in ("0", "1001", "ten", "²"):
        response = get(client, register_key, "api:organisations", page_size=page_size)
        assert response.status_code == 400 and "page_size" in response.json()["errors"], page_size


def test_an_unknown_query_parameter_is_refused_rather_than_ignored(client, world, register_key):
    response = get(client, register_key, "api:organisations", updatedSince="2026-01-01T00:00:00Z")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"updatedSince"}
    assert get(client, register_key, "api:coverage", region="Y56").status_code == 403


def test_an_officer_sees_in_their_own_data_which_key_read_their_contact_details(client, world, contacts_key):
    from audit.personal_data import personal_data

    get(client, contacts_key, "api:organisation", "RAL")
    [view] = personal_data(world.mso)["contact_details_viewed_by"]
    assert view["viewer"] == f"API key {contacts_key.prefix}" and view["page"] == "/api/v1/organisations/RAL/"
