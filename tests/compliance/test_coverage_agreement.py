"""One fixture, every place that answers "who is missing a named officer": the compliance scan, the
national dashboard and its region pages, the directory's filters, a chair's membership gaps and its
export, the network page and the organisation page give the same numbers, counted by hand below."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance import coverage
from compliance.coverage import add_coverage, missing, with_coverage
from compliance.models import Flag
from compliance.services import compliance_scan
from dashboard import queries
from directory import exports
from directory.forms import DirectorySearchForm, MembershipFilterForm
from directory.membership import membership_list, mso_coverage
from networks.models import Network
from officers.models import Appointment
from organisations.models import Cover, Duty, Organisation
from tests.factories import (
    AppointmentFactory,
    CoveringBodyFactory,
    ExpectationOverrideFactory,
    NetworkFactory,
    OrganisationFactory,
    PharmacyCompanyFactory,
    PharmacyFactory,
    RegionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def network_map():
    """London: T1 (MSO and MDSO), T2 (neither), H1 (a hospice expected to name an MSO as an exception,
    with none), a sub-ICB location and a GP practice (never expected), 51 pharmacies of BIG.
    North West: T3 (MSO only), T4 (closed last year, its MSO still in post), 3 pharmacies of SMALL.
    No region: NPA (a covering body with no MSO, covering every small pharmacy company), BIG (51 open
    pharmacies in England: names its own, has none), SMALL (3: covered by the NPA's rule).
    Wales: W1, a trust with no officers, never counted.

    By hand: expected to name an MSO T1 T2 H1 T3 NPA BIG (6), in place T1 T3 (2), missing 4;
    expected to name an MDSO T1 T2 T3 BIG (4), in place T1 (1), missing 3.
    """
    london = RegionFactory(code="Y56", name="London")
    north_west = RegionFactory(code="Y62", name="North West")
    national = NetworkFactory(name="National", slug="national", kind=Network.Kind.NATIONAL)
    london_network = NetworkFactory(
        name="London MSO network", slug="london", kind=Network.Kind.REGIONAL, region=london, parent=national
    )
    NetworkFactory(name="NW MSO network", slug="nw", kind=Network.Kind.REGIONAL, region=north_west, parent=national)
    o = SimpleNamespace(london=london, north_west=north_west, london_network=london_network)
    o.t1 = OrganisationFactory(ods_code="RT1", region=london)
    AppointmentFactory(organisation=o.t1, role=Appointment.Role.MSO)
    AppointmentFactory(organisation=o.t1, role=Appointment.Role.MDSO)
    o.t2 = OrganisationFactory(ods_code="RT2", region=london)
    o.h1 = OrganisationFactory(ods_code="HH1", kind=Organisation.Kind.HOSPICE, region=london)
    ExpectationOverrideFactory(organisation=o.h1, duty=Duty.MSO, expected=True)
    OrganisationFactory(ods_code="S1X", kind=Organisation.Kind.SUB_ICB, region=london, generic_mailbox="")
    OrganisationFactory(ods_code="G10001", kind=Organisation.Kind.GP_PRACTICE, region=london, generic_mailbox="")
    o.t3 = OrganisationFactory(ods_code="RT3", region=north_west)
    AppointmentFactory(organisation=o.t3, role=Appointment.Role.MSO)
    o.t4 = OrganisationFactory(ods_code="RT4", region=north_west, closed_on=timezone.localdate().replace(day=1))
    AppointmentFactory(organisation=o.t4, role=Appointment.Role.MSO)
    o.npa = CoveringBodyFactory(ods_code="NPA", name="National Pharmacy Association")
    Cover.objects.create(
        covering=o.npa, rule=Cover.Rule.SMALL_PHARMACY_COMPANIES, role="mso", starts_on=datetime.date(2024, 1, 1)
    )
    o.big = PharmacyCompanyFactory(ods_code="PBIG")
    PharmacyFactory.create_batch(51, parent=o.big, region=london)
    o.small = PharmacyCompanyFactory(ods_code="PSML")
    PharmacyFactory.create_batch(3, parent=o.small, region=north_west)
    o.w1 = OrganisationFactory(ods_code="7A1", region=None, generic_mailbox="")
    return o


def test_the_scan_flags_the_organisations_missing_an_officer_and_no_one_else(network_map):
    compliance_scan()
    flagged = {
        kind: set(Flag.objects.open().filter(kind=kind).values_list("organisation__ods_code", flat=True))
        for kind in (Flag.Kind.NO_MSO, Flag.Kind.NO_MDSO, Flag.Kind.OFFICERS_AT_CLOSED)
    }
    assert flagged[Flag.Kind.NO_MSO] == {"RT2", "HH1", "NPA", "PBIG"}
    assert flagged[Flag.Kind.NO_MDSO] == {"RT2", "RT3", "PBIG"}
    assert flagged[Flag.Kind.OFFICERS_AT_CLOSED] == {"RT4"}
    assert not Flag.objects.open().filter(organisation__kind=Organisation.Kind.PHARMACY).exists()
    assert not Flag.objects.open().filter(organisation__ods_code__in=["7A1", "PSML", "S1X", "G10001"]).exists()


def test_the_queryset_the_dashboard_the_directory_and_the_chairs_list_agree(network_map):
    o = network_map
    missing_mso = set(missing(Organisation.objects.all(), Duty.MSO).values_list("ods_code", flat=True))
    assert missing_mso == {"RT2", "HH1", "NPA", "PBIG"}
    assert Organisation.objects.expected(Duty.MSO).count() == 6
    assert Organisation.objects.expected(Duty.MDSO).count() == 4

    total = queries.coverage().total
    assert (total.counts["mso_expected"], total.counts["mso"]) == (6, 2)
    assert (total.counts["mdso_expected"], total.counts["mdso"]) == (4, 1)
    gaps = {figure.label: figure.value for figure in total.figures if figure.label.startswith("Missing")}
    assert gaps == {"Missing an MSO": 4, "Missing an MDSO": 3}
    assert queries.coverage().outside_england.value == 1

    london_row, _ = queries.region_coverage("Y56")
    north_west_row, _ = queries.region_coverage("Y62")
    national_row, _ = queries.region_coverage("none")
    assert [row.counts["mso_expected"] - row.counts["mso"] for row in (london_row, north_west_row, national_row)] == [
        2,
        0,
        2,
    ]
    by_kind = {row.kind: row.counts["mso_expected"] - row.counts["mso"] for row in queries.coverage().kinds}
    assert by_kind[Organisation.Kind.NHS_TRUST] == 1
    assert by_kind[Organisation.Kind.PHARMACY] == 0

    def directory(**params):
        return set(DirectorySearchForm(params).filter(Organisation.objects.all()).values_list("ods_code", flat=True))

    assert directory(show="no_mso") == missing_mso
    assert directory(show="no_mso", region="Y56") == {"RT2", "HH1"}
    assert directory(show="no_mdso") == {"RT2", "RT3", "PBIG"}
    assert len(directory(show="mso_expected")) == 6
    assert directory(show="outside_england") == {"7A1"}

    gaps_list = MembershipFilterForm({"gaps": "on"}).filter(membership_list(o.london_network, _lead()))
    assert {organisation.ods_code for organisation in gaps_list} == {"RT2", "HH1"}
    assert mso_coverage(o.london_network) == {"expected": 3, "in_place": 1, "missing": 2}
    rows = exports.membership_rows(membership_list(o.london_network, _lead()), contact_visible=set())
    statuses = [row[exports.HEADERS.index("MSO coverage")] for row in rows]
    assert statuses.count("missing") == 2
    assert statuses.count("named") == 1


def test_an_officer_at_the_covering_body_covers_the_small_companies_everywhere_at_once(network_map):
    o = network_map
    compliance_scan()
    AppointmentFactory(organisation=o.npa, role=Appointment.Role.MSO)
    report = compliance_scan()
    assert report.resolved == 1
    assert set(missing(Organisation.objects.all(), Duty.MSO).values_list("ods_code", flat=True)) == {
        "RT2",
        "HH1",
        "PBIG",
    }
    assert queries.coverage().total.counts["mso"] == 3
    small = with_coverage(Organisation.objects.all()).get(pk=o.small.pk)
    assert small.mso_status == "covered"


def test_coverage_added_to_fetched_organisations_is_the_querysets_for_every_organisation_in_one_query(
    network_map, django_assert_num_queries
):
    names = list(coverage.annotations(timezone.localdate()))
    expected = {
        organisation.pk: [getattr(organisation, name) for name in names]
        for organisation in with_coverage(Organisation.objects.all())
    }
    organisations = list(Organisation.objects.all())
    with django_assert_num_queries(1):
        add_coverage(organisations)
    assert {organisation.pk: [getattr(organisation, name) for name in names] for organisation in organisations} == (
        expected
    )
    statuses = {organisation.ods_code: organisation.mso_status for organisation in organisations}
    assert (statuses["RT1"], statuses["RT2"], statuses["PSML"], statuses["7A1"]) == (
        "named",
        "missing",
        "cover without an officer",
        "outside England",
    )


def test_coverage_added_to_fetched_organisations_reads_the_data_of_the_moment_from_a_statement_kept_for_the_day(
    network_map,
):
    o = network_map
    coverage._coverage_statement.cache_clear()
    assert add_coverage([Organisation.objects.get(pk=o.t2.pk)])[0].mso_status == "missing"
    AppointmentFactory(organisation=o.t2, role=Appointment.Role.MSO)
    assert add_coverage([Organisation.objects.get(pk=o.t2.pk)])[0].mso_status == "named"
    assert coverage._coverage_statement.cache_info().misses == 1
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    add_coverage([Organisation.objects.get(pk=o.t4.pk)], yesterday)
    assert coverage._coverage_statement.cache_info().misses == 2


def _coverage_of(organisations):
    names = list(coverage.annotations(timezone.localdate()))
    return {organisation.pk: [getattr(organisation, name) for name in names] for organisation in organisations}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_on_postgresql_the_coverage_statement_is_prepared_once_per_connection_and_answers_as_the_queryset(
    network_map, settings
):
    expected = _coverage_of(with_coverage(Organisation.objects.all()))
    coverage._prepared.clear()
    runs = []
    for _ in range(2):
        organisations = list(Organisation.objects.all())
        with CaptureQueriesContext(connection) as ctx:
            add_coverage(organisations)
        runs.append(ctx.captured_queries[0]["sql"])
        assert _coverage_of(organisations) == expected
    assert runs[0].startswith("PREPARE msonet_coverage_") and "; EXECUTE msonet_coverage_" in runs[0]
    assert runs[1].startswith("EXECUTE msonet_coverage_")

    settings.PG_PREPARED_STATEMENTS = False
    organisations = list(Organisation.objects.all())
    with CaptureQueriesContext(connection) as ctx:
        add_coverage(organisations)
    assert ctx.captured_queries[0]["sql"].startswith("SELECT")
    assert _coverage_of(organisations) == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_a_coverage_statement_the_server_kept_but_the_process_lost_is_prepared_again_under_a_new_name(
    network_map,
):
    organisations = list(Organisation.objects.all())
    add_coverage(organisations)
    # A prepared statement outlives a failed transaction: the server holds a name the process no longer records.
    coverage._prepared.clear()
    again = list(Organisation.objects.all())
    add_coverage(again)
    assert _coverage_of(again) == _coverage_of(organisations)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_on_postgresql_the_coverage_statement_keeps_its_generic_plan_for_one_organisation(network_map):
    coverage._prepared.clear()
    organisation = Organisation.objects.first()
    for _ in range(7):
        add_coverage([organisation])
    name = coverage._prepared[connection.connection][timezone.localdate()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s", [name])
        assert cursor.fetchone() == (7, 0)


def _lead():
    return UserFactory(is_national_lead=True)


def test_the_lead_s_organisation_exports_say_the_same(network_map):
    from imports import organisations as organisations_export
    from imports.organisations import OrganisationResource

    headers = organisations_export.export_headers()
    rows = list(organisations_export.export_rows())
    mso = [row[headers.index("MSO coverage")] for row in rows]
    mdso = [row[headers.index("MDSO coverage")] for row in rows]
    assert mso.count("missing") == 4
    assert mdso.count("missing") == 3
    assert mso.count("outside England") == 1
    assert dict(zip([row[0] for row in rows], mso, strict=True))["PSML"] == "cover without an officer"

    dataset = OrganisationResource().export()
    by_code = dict(zip(dataset[headers[0]], dataset["MSO coverage"], strict=True))
    assert by_code == dict(zip([row[0] for row in rows], mso, strict=True))
