"""The organisation directory's filters behind the dashboard's figures: named officers, committee,
MHRA registration and no region; an unknown value is reported and left out; the number of queries
does not grow with the data."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from officers.models import Appointment
from tests.directory.test_queries import DIRECTORY_QUERIES
from tests.factories import AppointmentFactory, CommitteeFactory, OrganisationFactory

DIRECTORY = reverse("directory:organisations")


@pytest.fixture
def coverage(world):
    """Besides the world's RAL and R0A (each a named MSO not registered with the MHRA, nothing
    else): a trust with everything, one with only an ended MSO and a pending MDSO, and a trust with
    no region (outside England: never expected, never counted) and a committee."""
    world.full = OrganisationFactory(ods_code="RF1", region=world.london)
    AppointmentFactory(organisation=world.full, mhra_registered_on=datetime.date(2025, 1, 6))
    AppointmentFactory(organisation=world.full, role=Appointment.Role.MDSO)
    CommitteeFactory(organisation=world.full)
    world.gap = OrganisationFactory(ods_code="RG1", region=world.london)
    AppointmentFactory(organisation=world.gap, status=Appointment.Status.ENDED, end_date=datetime.date(2025, 12, 31))
    AppointmentFactory(organisation=world.gap, role=Appointment.Role.MDSO, status=Appointment.Status.PENDING)
    world.nowhere = OrganisationFactory(ods_code="RN1", region=None)
    CommitteeFactory(organisation=world.nowhere)
    return world


def codes(client, **params) -> set[str]:
    response = client.get(DIRECTORY, params)
    assert response.status_code == 200
    return {organisation.ods_code for organisation in response.context["organisations"]}


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("mso", {"RAL", "R0A", "RF1"}),
        ("no_mso", {"RG1"}),
        ("mdso", {"RF1"}),
        ("no_mdso", {"RAL", "R0A", "RG1"}),
        ("committee", {"RF1"}),
        ("no_committee", {"RAL", "R0A", "RG1"}),
        ("mso_mhra", {"RF1"}),
        ("mso_not_mhra", {"RAL", "R0A", "RG1"}),
        ("mso_expected", {"RAL", "R0A", "RF1", "RG1"}),
        ("outside_england", {"RN1"}),
    ],
)
def test_directory_filters_by_named_officers_committee_and_mhra_registration(client, coverage, show, expected):
    client.force_login(coverage.no_role)
    assert codes(client, show=show) == expected


def test_directory_filters_organisations_with_no_region(client, coverage):
    client.force_login(coverage.no_role)
    assert codes(client, region="none") == {"RN1"}
    assert codes(client, region="Y56", show="no_mso") == {"RG1"}


def test_directory_filters_combine_with_closed_organisations_which_are_never_expected(client, coverage):
    OrganisationFactory(ods_code="RC1", region=coverage.london, closed_on=datetime.date(2024, 3, 31))
    OrganisationFactory(ods_code="RC2", region=None, closed_on=datetime.date(2024, 3, 31))
    client.force_login(coverage.no_role)
    assert codes(client, region="Y56", show="no_mso", include_closed="on") == {"RG1"}
    assert codes(client, region="none", show="outside_england") == {"RN1"}
    assert codes(client, region="none", show="outside_england", include_closed="on") == {"RN1", "RC2"}


def test_directory_reports_an_unknown_filter_and_leaves_it_out(client, coverage):
    client.force_login(coverage.no_role)
    response = client.get(DIRECTORY, {"show": "everything"})
    assert b"nhsuk-error-summary" in response.content
    assert len(response.context["organisations"]) == 5


def test_directory_offers_the_filters(client, coverage):
    client.force_login(coverage.no_role)
    content = client.get(DIRECTORY).content.decode()
    assert '<option value="no_mso">Missing an MSO (expected, none named or covering)</option>' in content
    assert '<option value="outside_england">Outside England (not counted)</option>' in content
    assert '<option value="none">No region recorded</option>' in content


def test_filtered_directory_queries_do_not_grow_with_the_data(client, coverage, django_assert_max_num_queries):
    client.force_login(coverage.lead)
    params = {"region": "Y56", "show": "no_committee"}
    with django_assert_max_num_queries(DIRECTORY_QUERIES):
        client.get(DIRECTORY, params)
    for index in range(30):
        organisation = OrganisationFactory(ods_code=f"RM{index:02d}", region=coverage.london)
        AppointmentFactory(organisation=organisation)
        AppointmentFactory(organisation=organisation, role=Appointment.Role.MDSO)
    with django_assert_max_num_queries(DIRECTORY_QUERIES):
        response = client.get(DIRECTORY, params)
    assert response.context["paginator"].count == 2 + 30


@pytest.mark.django_db(transaction=True)
def test_the_number_found_is_counted_once_until_the_register_changes(client, coverage):
    """Each write commits at once here (no test transaction), as in a running portal."""
    client.force_login(coverage.lead)
    params = {"region": "Y56", "show": "no_committee"}
    client.get(DIRECTORY, params)
    with CaptureQueriesContext(connection) as again:
        response = client.get(DIRECTORY, params)
    assert response.context["paginator"].count == 2
    counts = [query for query in again.captured_queries if query["sql"].startswith("SELECT COUNT(*)")]
    assert counts == []
    # Another search is counted for itself; a committed change is counted at once.
    assert client.get(DIRECTORY, {"region": "Y56"}).context["paginator"].count == 3
    CommitteeFactory(organisation=coverage.gap)
    assert client.get(DIRECTORY, params).context["paginator"].count == 1


@pytest.mark.django_db(transaction=True)
def test_a_page_of_the_directory_is_read_once_until_what_it_shows_changes(client, coverage):
    """Each write commits at once here (no test transaction), as in a running portal."""
    client.force_login(coverage.lead)
    params = {"region": "Y56"}
    with CaptureQueriesContext(connection) as first:
        client.get(DIRECTORY, params)
    with CaptureQueriesContext(connection) as again:
        response = client.get(DIRECTORY, params)
    # The count, the page, its named officers and its coverage are not read again.
    assert len(again.captured_queries) == len(first.captured_queries) - 4
    shown = {organisation.ods_code: organisation for organisation in response.context["organisations"]}
    assert sorted(shown) == ["RAL", "RF1", "RG1"]
    assert (shown["RF1"].mso_status, shown["RG1"].mso_status, shown["RG1"].named_mso) == ("named", "missing", None)
    # A committed change to a named officer's name, or to an organisation's coverage, shows at once.
    person = shown["RF1"].named_mso.person
    person.last_name = "Renamed"
    person.save()
    assert "Renamed" in client.get(DIRECTORY, params).content.decode()
    appointment = AppointmentFactory(organisation=coverage.gap)
    response = client.get(DIRECTORY, params)
    shown = {organisation.ods_code: organisation for organisation in response.context["organisations"]}
    assert (shown["RG1"].mso_status, shown["RG1"].named_mso is not None) == ("named", True)
    # The rows as rendered, kept with the page, name the new MSO too.
    assert escape(appointment.person.full_name) in response.content.decode()
