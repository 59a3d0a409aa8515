"""The national coverage dashboard: its numbers against a fixture counted by hand, the list behind
each number showing the same count, a constant number of queries, and the lead alone may see it."""

import datetime
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.models import Flag
from handovers.models import Handover
from officers.models import Appointment, RequestStatus
from organisations.models import Organisation
from tests.factories import (
    AppointmentFactory,
    ChangeRequestFactory,
    CommitteeFactory,
    FlagFactory,
    HandoverFactory,
    OrganisationFactory,
    RegionFactory,
    RegistrationRequestFactory,
    UserFactory,
)

DASHBOARD = reverse("dashboard:index")
UTC = datetime.UTC
# 15 June 2026, noon in London (British Summer Time).
NOW = datetime.datetime(2026, 6, 15, 11, 0, tzinfo=UTC)
TODAY = datetime.date(2026, 6, 15)
# Session, user, the header's navigation (chaired networks, person record), the two-factor check,
# then the page: the regions, the coverage by region and type, the waiting registration and change
# requests, the handovers, the open flags by kind and the 12-month trend, and the organisations
# outside England (counted apart).
DASHBOARD_QUERIES = 13
# The same before the page; then the region and its coverage by type.
REGION_QUERIES = 7

NHS_TRUST = Organisation.Kind.NHS_TRUST
ICB = Organisation.Kind.ICB
GP = Organisation.Kind.GP_PRACTICE
HOSPICE = Organisation.Kind.HOSPICE
OTHER = Organisation.Kind.OTHER
COVERING_BODY = Organisation.Kind.COVERING_BODY
MSO = Appointment.Role.MSO
MDSO = Appointment.Role.MDSO


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def organisation(code, region, kind, *, mso=False, mhra=False, mdso=False, committee=False, **fields):
    org = OrganisationFactory(ods_code=code, name=f"Organisation {code}", region=region, kind=kind, **fields)
    if mso:
        AppointmentFactory(organisation=org, role=MSO, mhra_registered_on=datetime.date(2025, 2, 1) if mhra else None)
    if mdso:
        AppointmentFactory(organisation=org, role=MDSO)
    if committee:
        CommitteeFactory(organisation=org)
    return org


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.fixture
def counted(frozen, world):
    """Two regions with organisations (the world's two trusts among them), a third with only a
    closed one, four with none, a covering body (in England, with no region) and an organisation
    outside England; requests, handovers and flags at known dates. By default NHS trusts and ICBs
    are expected to name an MSO and an MDSO, a covering body an MSO, GP practices and hospices neither.

    The world's trusts RAL (London) and R0A (North West) each have a named MSO not registered with
    the MHRA, no MDSO and no committee.
    """
    london, north_west = world.london, world.north_west
    south_west = RegionFactory(code="Y58")
    w = world
    # London: open RAL, L0001, L0002, L0003, L0006, L0007.
    w.l1 = organisation("L0001", london, NHS_TRUST, mso=True, mhra=True, mdso=True, committee=True)
    w.l2 = organisation("L0002", london, ICB, mdso=True, committee=True)
    w.l3 = organisation("L0003", london, ICB)
    # An ended and a pending MSO are not named MSOs.
    AppointmentFactory(
        organisation=w.l3,
        role=MSO,
        status=Appointment.Status.ENDED,
        end_date=datetime.date(2026, 1, 31),
        mhra_registered_on=datetime.date(2024, 2, 1),
    )
    AppointmentFactory(organisation=w.l3, role=MSO, status=Appointment.Status.PENDING)
    # Closed, and not yet open: never counted, whatever they have.
    organisation(
        "L0004", london, NHS_TRUST, mso=True, mhra=True, mdso=True, committee=True, closed_on=datetime.date(2026, 1, 1)
    )
    organisation("L0005", london, NHS_TRUST, mso=True, mhra=True, committee=True, opened_on=datetime.date(2026, 9, 1))
    # Closes tomorrow, so open today; a deputy MSO is not the named MSO.
    w.l6 = organisation("L0006", london, HOSPICE, mso=True, closed_on=datetime.date(2026, 6, 16))
    AppointmentFactory(organisation=w.l6, role=Appointment.Role.DEPUTY_MSO, mhra_registered_on=TODAY)
    # Opened today: open.
    w.l7 = organisation("L0007", london, GP, opened_on=TODAY)

    # North West: open R0A, N0001, N0002; N0003 closed today.
    w.n1 = organisation("N0001", north_west, GP, mso=True, mhra=True, committee=True)
    w.n2 = organisation("N0002", north_west, GP, mdso=True)
    organisation("N0003", north_west, NHS_TRUST, mso=True, mhra=True, mdso=True, committee=True, closed_on=TODAY)

    # South West: only a closed organisation.
    organisation("S0001", south_west, NHS_TRUST, mso=True, closed_on=datetime.date(2025, 3, 31))
    # No region: outside England, never counted.
    w.x1 = organisation("X0001", None, OTHER, mso=True, mhra=True)
    # A covering body answers for the whole of England, with no region.
    w.cb = organisation("CBX01", None, COVERING_BODY, mso=True, mhra=True)

    # Requests: two registrations and one change of details waiting; the decided ones are not.
    RegistrationRequestFactory(organisation=w.l3)
    RegistrationRequestFactory(organisation=w.l7, role=MDSO)
    RegistrationRequestFactory(organisation=w.l3, status=RequestStatus.APPROVED)
    RegistrationRequestFactory(organisation=w.l3, status=RequestStatus.WITHDRAWN)
    ChangeRequestFactory()
    ChangeRequestFactory(status=RequestStatus.REJECTED)
    ChangeRequestFactory(status=RequestStatus.APPROVED)

    # Handovers on 15 June: open, not due soon (1 July); open, due soon (20 June); open, past its due
    # date (10 June) so lapsed; marked lapsed (due 1 June); completed.
    HandoverFactory(outgoing_appointment=w.mso_appointment, due_date=datetime.date(2026, 7, 1))
    HandoverFactory(outgoing_appointment=w.other_appointment, due_date=datetime.date(2026, 6, 20))
    HandoverFactory(
        outgoing_appointment=AppointmentFactory(organisation=w.l1, role=Appointment.Role.TEAM_MEMBER),
        due_date=datetime.date(2026, 6, 10),
    )
    HandoverFactory(
        outgoing_appointment=AppointmentFactory(organisation=w.n1, role=Appointment.Role.TEAM_MEMBER),
        due_date=datetime.date(2026, 6, 1),
        status=Handover.Status.LAPSED,
    )
    HandoverFactory(
        outgoing_appointment=AppointmentFactory(organisation=w.n2, role=Appointment.Role.TEAM_MEMBER),
        due_date=datetime.date(2026, 5, 1),
        status=Handover.Status.COMPLETED,
    )

    # Flags. Month-ends are midnight in London: the end of May 2026 is 31 May 23:00 UTC (summer
    # time), the end of January 2026 is 1 February 00:00 UTC.
    w.f1 = FlagFactory(organisation=w.l3, kind=Flag.Kind.NO_MSO, opened_at=at(2025, 5, 10))
    w.f2 = FlagFactory(organisation=w.l3, kind=Flag.Kind.NO_MDSO, opened_at=at(2026, 3, 15))
    w.f3 = FlagFactory(
        organisation=w.l7, kind=Flag.Kind.NO_MAILBOX, opened_at=at(2025, 9, 20), resolved_at=at(2026, 1, 10)
    )
    # Opened at 23:30 in London on 31 May: open at the end of May.
    w.f4 = FlagFactory(organisation=w.org_a, kind=Flag.Kind.MHRA_NOT_REGISTERED, opened_at=at(2026, 5, 31, 22, 30))
    # Resolved at the very moment January ended: open at the end of January, not before it.
    w.f5 = FlagFactory(
        organisation=w.org_b,
        kind=Flag.Kind.DETAILS_NOT_CONFIRMED,
        opened_at=at(2025, 12, 1),
        resolved_at=at(2026, 2, 1),
    )
    w.f6 = FlagFactory(
        organisation=w.l6,
        kind=Flag.Kind.NO_MDSO,
        opened_at=at(2025, 6, 1),
        acknowledged_at=at(2025, 6, 2),
        acknowledgement_note="Chased.",
    )
    # Resolved before the first month of the trend ended.
    FlagFactory(organisation=w.n2, kind=Flag.Kind.NO_MSO, opened_at=at(2024, 1, 1), resolved_at=at(2025, 7, 15))
    return w


# The right answers, counted by hand from the fixture: (open in England, expected to name an MSO,
# with an MSO in place, missing one, expected to name an MDSO, with an MDSO in place, missing one,
# committee among those expected to name an MSO, their own MSO registered with the MHRA).
BY_REGION = {
    # RAL, L0001, L0002, L0003, L0006, L0007. Expected (MSO and MDSO): the trusts RAL, L0001 and the
    # ICBs L0002, L0003. MSO: RAL, L0001 (L0006, a hospice, is not expected). MDSO: L0001, L0002.
    # Committee: L0001, L0002. MHRA: L0001.
    "London": (6, 4, 2, 2, 4, 2, 2, 2, 1),
    # R0A, N0001, N0002. Expected: R0A, which has an MSO and no MDSO; the GP practices are not expected.
    "North West": (3, 1, 1, 0, 1, 0, 1, 0, 0),
    # Only a closed organisation.
    "South West": (0, 0, 0, 0, 0, 0, 0, 0, 0),
    # The other regions (every region is listed).
    "East of England": (0, 0, 0, 0, 0, 0, 0, 0, 0),
    "Midlands": (0, 0, 0, 0, 0, 0, 0, 0, 0),
    "North East and Yorkshire": (0, 0, 0, 0, 0, 0, 0, 0, 0),
    "South East": (0, 0, 0, 0, 0, 0, 0, 0, 0),
    # CBX01, the covering body: an MSO, registered; no MDSO expected.
    "National bodies (no region)": (1, 1, 1, 0, 0, 0, 0, 0, 1),
}
ENGLAND = (10, 6, 4, 2, 5, 2, 3, 2, 2)
BY_TYPE = {
    # RAL, L0001, R0A.
    "NHS trust": (3, 3, 3, 0, 3, 1, 2, 1, 1),
    # L0002, L0003.
    "Integrated care board": (2, 2, 0, 2, 2, 1, 1, 1, 0),
    # L0007, N0001, N0002.
    "GP practice": (3, 0, 0, 0, 0, 0, 0, 0, 0),
    # L0006.
    "Hospice": (1, 0, 0, 0, 0, 0, 0, 0, 0),
    # CBX01.
    "Covering body": (1, 1, 1, 0, 0, 0, 0, 0, 1),
}
LONDON_BY_TYPE = {
    "NHS trust": (2, 2, 2, 0, 2, 1, 1, 1, 1),
    "Integrated care board": (2, 2, 0, 2, 2, 1, 1, 1, 0),
    "GP practice": (1, 0, 0, 0, 0, 0, 0, 0, 0),
    "Hospice": (1, 0, 0, 0, 0, 0, 0, 0, 0),
}
WAITING = {
    "Registration requests waiting for review": 2,
    "Change-of-details requests waiting for review": 1,
}
HANDOVERS = {
    "Open handovers (not completed)": 4,
    "Handovers due within 7 days": 1,
    "Lapsed handovers": 2,
}
# Open now: F1, F2 and F6 (acknowledged, still open), F4.
FLAGS_BY_KIND = {
    "No active named MSO": 1,
    "No active named MDSO": 2,
    "Lapsed handover": 0,
    "MSO not registered with the MHRA after 30 days": 1,
    "Officer details not confirmed for 12 months": 0,
    "No generic MSO mailbox": 0,
    "Officers in post at a closed organisation": 0,
}
# Open at the end of July 2025 … May 2026, and now (June 2026):
# F1 and F6 throughout; F3 September to December; F5 December and January; F2 from March; F4 from May.
TREND = [
    ("July 2025", 2),
    ("August 2025", 2),
    ("September 2025", 3),
    ("October 2025", 3),
    ("November 2025", 3),
    ("December 2025", 4),
    ("January 2026", 3),
    ("February 2026", 2),
    ("March 2026", 3),
    ("April 2026", 3),
    ("May 2026", 4),
    ("June 2026", 4),
]


def numbers(row) -> tuple:
    return (row.open_figure.value, *(figure.value for figure in row.figures))


def dashboard(client, counted):
    client.force_login(counted.lead)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return response


def test_coverage_by_region_counts_open_organisations_and_their_named_officers(client, counted):
    coverage = dashboard(client, counted).context["coverage"]
    assert {row.label: numbers(row) for row in coverage.regions} == BY_REGION
    assert numbers(coverage.total) == ENGLAND


def test_organisations_outside_england_are_counted_apart_and_left_out_of_every_figure(client, counted):
    coverage = dashboard(client, counted).context["coverage"]
    assert coverage.outside_england.value == 1
    assert listed(client.get(coverage.outside_england.url)) == 1


def test_coverage_by_type_adds_up_every_region(client, counted):
    coverage = dashboard(client, counted).context["coverage"]
    assert {row.label: numbers(row) for row in coverage.kinds} == BY_TYPE


def test_region_page_shows_its_organisations_by_type(client, counted):
    client.force_login(counted.lead)
    response = client.get(reverse("dashboard:region", args=["Y56"]))
    assert response.status_code == 200
    assert {row.label: numbers(row) for row in response.context["kinds"]} == LONDON_BY_TYPE
    assert numbers(response.context["region"]) == BY_REGION["London"]


def test_region_page_for_organisations_with_no_region(client, counted):
    client.force_login(counted.lead)
    response = client.get(reverse("dashboard:region", args=["none"]))
    assert {row.label: numbers(row) for row in response.context["kinds"]} == {
        "Covering body": BY_REGION["National bodies (no region)"]
    }


def test_region_page_for_an_unknown_region_is_not_found(client, counted):
    client.force_login(counted.lead)
    assert client.get(reverse("dashboard:region", args=["Y99"])).status_code == 404


def test_waiting_requests_and_handovers(client, counted):
    response = dashboard(client, counted)
    assert {figure.label: figure.value for figure in response.context["waiting"]} == WAITING
    assert {figure.label: figure.value for figure in response.context["handovers"]} == HANDOVERS


def test_open_flags_by_kind(client, counted):
    response = dashboard(client, counted)
    assert {figure.label: figure.value for figure in response.context["flags_by_kind"]} == FLAGS_BY_KIND
    assert response.context["open_flags"].value == 4


def test_trend_counts_the_flags_open_at_each_month_end(client, counted):
    trend = dashboard(client, counted).context["trend"]
    assert [(point.month.strftime("%B %Y"), point.value) for point in trend] == TREND
    assert trend[-1].is_current
    assert not any(point.is_current for point in trend[:-1])


def test_trend_shows_the_same_numbers_in_the_chart_and_the_table(client, counted):
    html = dashboard(client, counted).content.decode()
    table = html[html.index('id="flags-trend"') :]
    for month, value in TREND[:-1]:
        assert re.search(rf"{month}</th>\s*<td[^>]*>{value}</td>", table)
    chart = html[html.index('id="flags-trend-desc"') :]
    description = chart[: chart.index("</desc>")]
    assert "July 2025: 2; August 2025: 2; September 2025: 3" in description
    assert description.endswith("now: 4.")


def test_the_page_shows_the_numbers_in_tables_and_accessible_charts(client, counted):
    html = dashboard(client, counted).content.decode()
    for table_id in ("coverage-by-region", "coverage-by-type", "flags-by-kind", "flags-trend"):
        table = html[html.index(f'id="{table_id}"') :]
        table = table[: table.index("</table>")]
        assert '<caption class="nhsuk-table__caption">' in table
        assert 'scope="col"' in table and 'scope="row"' in table
    charts = re.findall(r"<svg class=\"app-chart__svg\"[^>]*>", html)
    # Open organisations and four shares (of those expected), by region and by type; flags by kind; the trend.
    assert len(charts) == 12
    for svg in charts:
        assert 'role="img"' in svg and 'viewBox="0 0 320 ' in svg and 'width="100%"' in svg
        chart_id = re.search(r'aria-labelledby="(\S+)-title \S+-desc"', svg).group(1)
        assert f'<title id="{chart_id}-title">' in html and f'<desc id="{chart_id}-desc">' in html
    assert "style=" not in html
    assert "dashboard.css" in html


class TablesInDetails(HTMLParser):
    """For each table with an id: the summary of the details element holding it (its text, the
    visually hidden part included) and whether the details is open; None for a table in none."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, tuple[str, bool] | None] = {}
        self._details: list[dict] = []
        self._in_summary = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "details":
            self._details.append({"summary": "", "open": "open" in values})
        elif tag == "summary":
            self._in_summary = True
        elif tag == "table" and values.get("id"):
            details = self._details[-1] if self._details else None
            self.tables[values["id"]] = (" ".join(details["summary"].split()), details["open"]) if details else None

    def handle_endtag(self, tag):
        if tag == "details":
            self._details.pop()
        elif tag == "summary":
            self._in_summary = False

    def handle_data(self, data):
        if self._in_summary and self._details:
            self._details[-1]["summary"] += data


def tables_in_details(html: str) -> dict:
    parser = TablesInDetails()
    parser.feed(html)
    return parser.tables


def test_each_chart_s_numbers_are_behind_a_closed_show_the_numbers_that_names_the_chart(client, counted):
    html = dashboard(client, counted).content.decode()
    assert tables_in_details(html) == {
        "coverage-by-region": ("Show the numbers for coverage by region", False),
        "coverage-by-type": ("Show the numbers for coverage by organisation type", False),
        "flags-by-kind": ("Show the numbers for open flags by kind", False),
        "flags-trend": ("Show the numbers for open flags over the last 12 months", False),
    }
    # Seen, the summary says only "Show the numbers"; a screen reader also hears which chart's.
    assert html.count('Show the numbers<span class="nhsuk-u-visually-hidden"> for ') == 4
    assert html.count('<details class="nhsuk-details"') == 4


def test_region_page_numbers_are_behind_a_closed_show_the_numbers(client, counted):
    client.force_login(counted.lead)
    html = client.get(reverse("dashboard:region", args=["Y56"])).content.decode()
    assert tables_in_details(html) == {
        "coverage-by-type": ("Show the numbers for coverage by organisation type", False)
    }


def test_region_page_without_organisations_shows_its_empty_table_without_details(client, counted):
    client.force_login(counted.lead)
    html = client.get(reverse("dashboard:region", args=["Y58"])).content.decode()
    assert tables_in_details(html) == {"coverage-by-type": None}
    assert "No open organisations in England." in html


def test_share_chart_describes_each_bar_with_its_number(client, counted):
    html = dashboard(client, counted).content.decode()
    description = html[html.index('<desc id="region-mso-desc">') :]
    description = description[: description.index("</desc>")]
    assert "London: 2 of 4 (50%)" in description
    assert "North West: 1 of 1 (100%)" in description
    assert "South West: none expected to name an MSO" in description


def figure_links(context) -> list[tuple[str, int, str]]:
    """Every figure on the dashboard that links to a list: (what, number, address)."""
    coverage = context["coverage"]
    links = []
    for row in [*coverage.regions, *coverage.kinds, coverage.total]:
        for figure in [row.open_figure, *row.figures]:
            links.append((f"{row.label}: {figure.label}", figure.value, figure.url))
    extra = [coverage.outside_england, *context["waiting"], *context["handovers"], context["open_flags"]]
    for figure in [*extra, *context["flags_by_kind"]]:
        links.append((figure.label, figure.value, figure.url))
    return links


def listed(response) -> int:
    """How many rows the list page says it has."""
    if "paginator" in response.context and response.context["paginator"] is not None:
        return response.context["paginator"].count
    return response.context["page_obj"].paginator.count


def test_every_figure_links_to_a_list_showing_the_same_count(client, counted):
    response = dashboard(client, counted)
    links = figure_links(response.context)
    # Eight region rows, five types and England, each with its open organisations, six measures and
    # two gaps; those outside England; the requests, handovers and flags.
    assert len(links) == (8 + 5 + 1) * 9 + 1 + 2 + 3 + 1 + 7
    html = response.content.decode()
    for what, value, url in links:
        assert f'href="{url.replace("&", "&amp;")}"' in html, what
        page = client.get(url)
        assert page.status_code == 200, what
        assert listed(page) == value, f"{what}: {url} lists {listed(page)}, the dashboard says {value}"


@pytest.mark.parametrize("code", ["Y56", "Y62", "none"])
def test_region_page_figures_link_to_lists_showing_the_same_count(client, counted, code):
    client.force_login(counted.lead)
    response = client.get(reverse("dashboard:region", args=[code]))
    html = response.content.decode()
    for row in [*response.context["kinds"], response.context["region"]]:
        for figure in [row.open_figure, *row.figures]:
            assert f'href="{figure.url.replace("&", "&amp;")}"' in html
            assert listed(client.get(figure.url)) == figure.value, figure.url


def test_coverage_figures_link_to_the_directory_filtered_by_region_type_and_measure(client, counted):
    client.force_login(counted.lead)
    london_trusts = client.get(reverse("dashboard:region", args=["Y56"])).context["kinds"][0]
    mhra = london_trusts.figures[7]
    assert mhra.label == "With their own MSO registered with the MHRA"
    assert urlsplit(mhra.url).path == reverse("directory:organisations")
    assert parse_qs(urlsplit(mhra.url).query) == {"region": ["Y56"], "kind": ["nhs_trust"], "show": ["mso_mhra"]}
    directory = client.get(mhra.url)
    assert [org.ods_code for org in directory.context["organisations"]] == ["L0001"]


@pytest.mark.parametrize("role", ["mso", "chair_a", "no_role"])
def test_others_cannot_see_the_dashboard(client, counted, role):
    client.force_login(getattr(counted, role))
    assert client.get(DASHBOARD).status_code == 404
    assert client.get(reverse("dashboard:region", args=["Y56"])).status_code == 404


def test_dashboard_sends_anonymous_visitors_to_sign_in(client, counted):
    for url in (DASHBOARD, reverse("dashboard:region", args=["Y56"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_home_page_links_the_lead_to_the_dashboard(client, world):
    client.force_login(world.lead)
    assert DASHBOARD.encode() in client.get(reverse("directory:home")).content
    client.force_login(world.mso)
    assert DASHBOARD.encode() not in client.get(reverse("directory:home")).content


def more_of_everything(counted, n: int = 4) -> None:
    """More organisations of every kind in new regions, with officers, committees, requests,
    handovers and flags over the months."""
    for index in range(n):
        region = RegionFactory(code=f"Q{index}0", name=f"Region {index}")
        for number, kind in enumerate(Organisation.Kind.values):
            org = organisation(f"M{index}{number:02d}", region, kind, mso=True, mhra=index % 2, mdso=True)
            CommitteeFactory(organisation=org)
            FlagFactory(organisation=org, kind=Flag.Kind.NO_MAILBOX, opened_at=at(2025, 8, 1 + index))
            FlagFactory(organisation=org, kind=Flag.Kind.NO_MSO, opened_at=at(2025, 10, 1), resolved_at=at(2026, 2, 3))
        RegistrationRequestFactory(organisation=org, user=UserFactory())
        ChangeRequestFactory()
        HandoverFactory(outgoing_appointment=AppointmentFactory(organisation=org, role=Appointment.Role.TEAM_MEMBER))


def test_dashboard_queries_do_not_grow_with_the_data(client, counted, django_assert_max_num_queries):
    client.force_login(counted.lead)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        assert client.get(DASHBOARD).status_code == 200
    more_of_everything(counted)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = client.get(DASHBOARD)
    # Per region, of the ten types four are expected to name an MSO (a pharmacy company with no
    # pharmacies is not) and three an MDSO; every one has them; every other region's MSOs are registered.
    assert numbers(response.context["coverage"].total) == (10 + 40, 6 + 16, 4 + 16, 2, 5 + 12, 2 + 12, 3, 2 + 16, 2 + 8)


def test_region_page_queries_do_not_grow_with_the_data(client, counted, django_assert_max_num_queries):
    client.force_login(counted.lead)
    with django_assert_max_num_queries(REGION_QUERIES):
        assert client.get(reverse("dashboard:region", args=["Y56"])).status_code == 200
    for number, kind in enumerate(Organisation.Kind.values):
        for index in range(3):
            organisation(f"Z{index}{number:02d}", counted.london, kind, mso=True, mdso=True, committee=True)
    with django_assert_max_num_queries(REGION_QUERIES):
        response = client.get(reverse("dashboard:region", args=["Y56"]))
    assert response.context["region"].total == 6 + 30


@pytest.mark.django_db(transaction=True)
def test_the_coverage_figures_are_counted_once_until_a_change_to_them_commits(client, counted):
    """Each write commits at once here (no test transaction), as in a running portal."""
    client.force_login(counted.lead)
    with CaptureQueriesContext(connection) as first:
        client.get(DASHBOARD)
    with CaptureQueriesContext(connection) as again:
        response = client.get(DASHBOARD)
    assert numbers(response.context["coverage"].total) == ENGLAND
    # The regions, the counts by region and type, the organisations outside England, the open flags
    # by kind and their trend are not read again.
    assert len(again.captured_queries) == len(first.captured_queries) - 5
    AppointmentFactory(organisation=counted.l3, role=MDSO)
    figures = numbers(client.get(DASHBOARD).context["coverage"].total)
    assert figures[5:7] == (ENGLAND[5] + 1, ENGLAND[6] - 1)  # an MDSO in place, one missing fewer
    region = client.get(reverse("dashboard:region", args=["Y56"])).context["region"]
    assert numbers(region)[5] == BY_REGION["London"][5] + 1


@pytest.mark.django_db(transaction=True)
def test_the_flag_figures_are_counted_once_until_a_change_to_the_flags_commits(client, counted):
    client.force_login(counted.lead)
    before = client.get(DASHBOARD).context
    open_flags, trend = before["open_flags"].value, [point.value for point in before["trend"]]
    FlagFactory(organisation=counted.l3, kind=Flag.Kind.NO_MAILBOX, opened_at=NOW - datetime.timedelta(days=1))
    after = client.get(DASHBOARD).context
    assert after["open_flags"].value == open_flags + 1
    assert [point.value for point in after["trend"]] == [*trend[:-1], trend[-1] + 1]
