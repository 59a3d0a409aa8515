"""A chair's membership view of their network, its CSV and XLSX export, and who may see them."""

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access import scopes
from compliance.models import Flag
from directory.forms import MembershipFilterForm
from directory.membership import membership_list
from meetings.models import ExportLog
from msonet.spreadsheets import FORMULA_PREFIXES
from networks.models import Membership, Network
from officers.models import Appointment
from tests.factories import (
    AppointmentFactory,
    AttendanceFactory,
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    PersonFactory,
    TOTPAuthenticatorFactory,
    UserFactory,
    WebinarFactory,
)

# Session, user, the header's navigation (chaired networks, person record), the two-factor check,
# then the network, the count, the page of organisations, their named officers, their coverage
# (add_coverage), contact visibility and the log of the contact details shown (the export: its
# ExportLog too, and its coverage in the organisations' query).
MEMBERSHIP_QUERIES = 13


def membership_url(network):
    return reverse("directory:membership", args=[network.slug])


def export_url(network, file_format):
    return reverse("directory:membership-export", args=[network.slug, file_format])


def without_csrf_token(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


def csv_text(response):
    return response.content.decode("utf-8-sig")


def xlsx_cells(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return [cell for row in workbook.active.iter_rows() for cell in row]


def network_b_emails(world):
    return {
        world.other_person.work_email,
        world.org_b.generic_mailbox,
        world.chair_b.email,
        world.chair_b.person.work_email,
    }


# Who may see it


def test_chair_sees_their_network_membership(client, world):
    client.force_login(world.chair_a)
    response = client.get(membership_url(world.network_a))
    assert response.status_code == 200
    assert [o.ods_code for o in response.context["page_obj"]] == [world.org_a.ods_code]
    content = response.content.decode()
    assert world.mso_person.work_email in content
    assert world.org_a.generic_mailbox in content
    assert world.other_person.work_email not in content


@pytest.mark.parametrize("view", ["page", "csv", "xlsx"])
def test_chair_cannot_see_another_network(client, world, view):
    client.force_login(world.chair_a)
    url = membership_url(world.network_b) if view == "page" else export_url(world.network_b, view)
    missing = (
        reverse("directory:membership", args=["no-such-network"])
        if view == "page"
        else reverse("directory:membership-export", args=["no-such-network", view])
    )
    response = client.get(url)
    assert response.status_code == 404
    assert without_csrf_token(response.content) == without_csrf_token(client.get(missing).content)
    assert not ExportLog.objects.exists()


def test_lead_sees_every_network(client, world):
    client.force_login(world.lead)
    for network in (world.network_a, world.network_b, world.national):
        assert client.get(membership_url(network)).status_code == 200
        assert client.get(export_url(network, "csv")).status_code == 200


@pytest.mark.parametrize("role", ["mso", "other_mso", "no_role"])
@pytest.mark.parametrize("view", ["page", "csv", "xlsx"])
def test_officer_or_user_without_a_role_gets_404(client, world, role, view):
    client.force_login(getattr(world, role))
    url = membership_url(world.network_a) if view == "page" else export_url(world.network_a, view)
    assert client.get(url).status_code == 404
    assert not ExportLog.objects.exists()


@pytest.mark.parametrize("view", ["page", "csv"])
def test_anonymous_visitor_is_sent_to_sign_in(client, world, view):
    url = membership_url(world.network_a) if view == "page" else export_url(world.network_a, view)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_former_chair_gets_404(client, world):
    Membership.objects.filter(person__user=world.chair_a).update(left_on=datetime.date(2026, 1, 1))
    client.force_login(world.chair_a)
    assert client.get(membership_url(world.network_a)).status_code == 404


def test_vice_chair_sees_their_network(client, world):
    vice = PersonFactory(user=UserFactory(), work_email="vice.chair@nhs.net")
    TOTPAuthenticatorFactory(user=vice.user)
    MembershipFactory(person=vice, network=world.network_a, role=Membership.Role.VICE_CHAIR)
    assert list(scopes.networks_with_membership(vice.user)) == [world.network_a]
    client.force_login(vice.user)
    assert client.get(membership_url(world.network_a)).status_code == 200
    assert client.get(membership_url(world.network_b)).status_code == 404


def test_unknown_export_format_is_404(client, world):
    client.force_login(world.lead)
    assert client.get(export_url(world.network_a, "pdf")).status_code == 404


def test_membership_link_on_network_page_only_for_those_allowed(client, world):
    url = membership_url(world.network_a)
    for user, shown in [(world.chair_a, True), (world.lead, True), (world.chair_b, False), (world.mso, False)]:
        client.force_login(user)
        content = client.get(world.network_a.get_absolute_url()).content.decode()
        assert (url in content) is shown, user


# What the list holds


def test_regional_list_is_the_open_organisations_in_the_region(world):
    closed = OrganisationFactory(region=world.london, closed_on=datetime.date(2020, 1, 1))
    empty = OrganisationFactory(region=world.london)
    ods_codes = {o.ods_code for o in membership_list(world.network_a, world.chair_a)}
    assert ods_codes == {world.org_a.ods_code, empty.ods_code}
    assert closed.ods_code not in ods_codes


def test_other_networks_list_organisations_where_a_member_holds_an_active_role(world):
    network = NetworkFactory(kind=Network.Kind.SPECIALISED)
    MembershipFactory(person=world.other_person, network=network)
    ended = AppointmentFactory(
        person=world.other_person, status=Appointment.Status.ENDED, end_date=datetime.date(2025, 1, 1)
    )
    ods_codes = {o.ods_code for o in membership_list(network, world.lead)}
    assert ods_codes == {world.org_b.ods_code}
    assert ended.organisation.ods_code not in ods_codes


def test_page_shows_officers_registration_confirmation_and_open_flags(client, world):
    world.mso_appointment.mhra_registered_on = datetime.date(2024, 2, 1)
    world.mso_appointment.mhra_reference = "MHRA-123"
    world.mso_appointment.save()
    world.mso_person.details_confirmed_on = datetime.date(2026, 3, 4)
    world.mso_person.save()
    mdso = AppointmentFactory(organisation=world.org_a, role=Appointment.Role.MDSO)
    Flag.objects.create(organisation=world.org_a, kind=Flag.Kind.NO_MAILBOX)
    opened = datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)
    Flag.objects.create(organisation=world.org_a, kind=Flag.Kind.NO_MDSO, opened_at=opened, resolved_at=opened)
    client.force_login(world.chair_a)
    response = client.get(membership_url(world.network_a))
    [organisation] = response.context["page_obj"]
    assert organisation.open_flag_count == 1
    content = response.content.decode()
    for text in ("MHRA-123", "1 Feb 2024", "4 Mar 2026", "8 Jan 2024", mdso.person.work_email):
        assert text in content


def test_gaps_filter_keeps_organisations_without_a_named_mso(client, world):
    gap = OrganisationFactory(region=world.london)
    AppointmentFactory(organisation=gap, role=Appointment.Role.MDSO)
    client.force_login(world.chair_a)
    response = client.get(membership_url(world.network_a), {"gaps": "on"})
    assert [o.ods_code for o in response.context["page_obj"]] == [gap.ods_code]
    assert b"No named MSO" in response.content
    rows = list(csv.reader(io.StringIO(csv_text(client.get(export_url(world.network_a, "csv"), {"gaps": "on"})))))
    assert [row[1] for row in rows[1:]] == [gap.ods_code]


def test_gaps_filter_counts_and_pages_every_gap_in_name_order(client, world):
    for index in reversed(range(25)):
        OrganisationFactory(region=world.london, name=f"Gap {index:02d}")
    every_gap = [
        o.ods_code for o in MembershipFilterForm({"gaps": "on"}).filter(membership_list(world.network_a, world.lead))
    ]
    client.force_login(world.chair_a)
    pages = [client.get(membership_url(world.network_a), {"gaps": "on", "page": n}).context["page_obj"] for n in (1, 2)]
    assert [page.paginator.count for page in pages] == [len(every_gap)] * 2
    assert [o.ods_code for page in pages for o in page] == every_gap
    assert [o.name for o in pages[1]] == [f"Gap {index:02d}" for index in range(20, 25)]
    assert {(o.mso_status, o.open_flag_count) for o in pages[1]} == {("missing", 0)}


def test_search_by_name_or_ods_code_and_filter_by_type(client, world):
    OrganisationFactory(region=world.london, name="Barts Health NHS Trust", ods_code="R1H")
    pharmacy = OrganisationFactory(region=world.london, kind="pharmacy")
    client.force_login(world.chair_a)

    def found(**params):
        return [o.ods_code for o in client.get(membership_url(world.network_a), params).context["page_obj"]]

    assert found(q="ral") == ["RAL"]
    assert found(q="barts") == ["R1H"]
    assert found(kind="pharmacy") == [pharmacy.ods_code]


def test_membership_is_paginated_twenty_organisations_a_page(client, world):
    OrganisationFactory.create_batch(55, region=world.london)
    client.force_login(world.chair_a)
    first = client.get(membership_url(world.network_a)).context["page_obj"]
    assert first.paginator.count == 56
    assert len(first.object_list) == 20
    assert len(client.get(membership_url(world.network_a), {"page": 2}).context["page_obj"].object_list) == 20
    assert len(client.get(membership_url(world.network_a), {"page": 3}).context["page_obj"].object_list) == 16


def test_membership_pages_keep_the_filters(client, world):
    OrganisationFactory.create_batch(25, region=world.london, kind="pharmacy")
    OrganisationFactory.create_batch(5, region=world.london, kind="hospice")
    client.force_login(world.chair_a)
    response = client.get(membership_url(world.network_a), {"kind": "pharmacy"})
    assert 'href="?kind=pharmacy&amp;page=2"' in response.content.decode()
    page = client.get(membership_url(world.network_a), {"kind": "pharmacy", "page": 2}).context["page_obj"]
    assert page.number == 2 and page.paginator.count == 25
    assert {organisation.kind for organisation in page.object_list} == {"pharmacy"}


def test_membership_export_holds_every_page(client, world):
    OrganisationFactory.create_batch(45, region=world.london)
    client.force_login(world.chair_a)
    response = client.get(membership_url(world.network_a), {"page": 2})
    assert re.search(r'href="/networks/london/membership/export\.csv\??"', response.content.decode())
    rows = list(csv.reader(io.StringIO(csv_text(client.get(export_url(world.network_a, "csv"), {"page": 2})))))
    assert len(rows) == 1 + 46


def test_contact_details_of_an_officer_the_chair_may_not_see_are_left_out(client, world):
    """A specialised network's organisation outside the chair's region: the MSO's name shows, not their contacts."""
    network = NetworkFactory(kind=Network.Kind.SPECIALISED)
    MembershipFactory(person=world.chair_a.person, network=network, role=Membership.Role.CHAIR)
    outsider = AppointmentFactory(organisation=world.org_b, role=Appointment.Role.MDSO)
    MembershipFactory(person=outsider.person, network=network)
    world.other_mso.person.memberships.filter(network=world.network_b).delete()
    client.force_login(world.chair_a)
    content = client.get(membership_url(network)).content.decode()
    assert world.other_person.full_name in content
    assert world.other_person.work_email not in content
    assert outsider.person.work_email in content  # a member of the network the chair chairs
    text = csv_text(client.get(export_url(network, "csv")))
    assert world.other_person.full_name in text
    assert world.other_person.work_email not in text
    assert outsider.person.work_email in text


# Kept until what the page shows changes


@pytest.mark.django_db(transaction=True)
def test_a_page_of_the_membership_is_read_once_until_what_it_shows_changes(client, world):
    """Each write commits at once here (no test transaction), as in a running portal."""
    client.force_login(world.chair_a)
    url = membership_url(world.network_a)
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    with CaptureQueriesContext(connection) as again:
        response = client.get(url)
    # The organisations' ids, the page of them, their named officers, their coverage and whose
    # contact details the chair may see are not read again.
    assert len(again.captured_queries) == len(first.captured_queries) - 5
    [organisation] = response.context["page_obj"]
    assert (organisation.ods_code, organisation.open_flag_count) == ("RAL", 0)
    assert world.mso_person.work_email in response.content.decode()
    # A committed change to the network's organisations, their officers or their flags shows at once.
    OrganisationFactory(region=world.london, name="Zeta Surgery")
    assert [o.name for o in client.get(url).context["page_obj"]][-1] == "Zeta Surgery"
    world.mso_person.last_name = "Renamed"
    world.mso_person.save()
    assert "Renamed" in client.get(url).content.decode()
    Flag.objects.create(organisation=world.org_a, kind=Flag.Kind.NO_MAILBOX)
    assert client.get(url).context["page_obj"][0].open_flag_count == 1


@pytest.mark.django_db(transaction=True)
def test_the_gaps_are_read_once_until_an_organisation_s_coverage_changes(client, world):
    """Each write commits at once here (no test transaction), as in a running portal."""
    gap = OrganisationFactory(region=world.london, name="Gap Surgery")
    client.force_login(world.chair_a)
    url = membership_url(world.network_a)
    client.get(url, {"gaps": "on"})
    with CaptureQueriesContext(connection) as again:
        response = client.get(url, {"gaps": "on"})
    assert [o.ods_code for o in response.context["page_obj"]] == [gap.ods_code]
    assert not [query for query in again.captured_queries if "organisations_organisation" in query["sql"]]
    # Another filter is read for itself; a committed change to the coverage shows at once.
    assert client.get(url, {"gaps": "on", "q": "royal"}).context["page_obj"].paginator.count == 0
    AppointmentFactory(organisation=gap, role=Appointment.Role.MSO)
    assert client.get(url, {"gaps": "on"}).context["page_obj"].paginator.count == 0


@pytest.mark.django_db(transaction=True)
def test_whose_contact_details_a_chair_sees_changes_at_once_with_the_network_s_members(client, world):
    """Each write commits at once here (no test transaction), as in a running portal."""
    network = NetworkFactory(kind=Network.Kind.SPECIALISED)
    MembershipFactory(person=world.chair_a.person, network=network, role=Membership.Role.CHAIR)
    outsider = AppointmentFactory(organisation=world.org_b, role=Appointment.Role.MDSO)
    MembershipFactory(person=outsider.person, network=network)
    client.force_login(world.chair_a)
    url = membership_url(network)
    for _ in range(2):
        content = client.get(url).content.decode()
        assert world.other_person.full_name in content
        assert world.other_person.work_email not in content
    joined = MembershipFactory(person=world.other_person, network=network)
    assert world.other_person.work_email in client.get(url).content.decode()
    joined.left_on = datetime.date(2026, 1, 5)
    joined.save()
    assert world.other_person.work_email not in client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_officer_who_attends_a_webinar_shows_as_an_active_member_at_once(client, world):
    """The meetings' tables are not watched: who is an active member is read on each request and
    names the kept rows that show it. Each write commits at once here, as in a running portal."""
    webinar = WebinarFactory(network=world.national, held_on=timezone.localdate())
    client.force_login(world.chair_a)
    url = membership_url(world.network_a)
    for _ in range(2):
        assert "Active member</strong>" not in client.get(url).content.decode()
    AttendanceFactory(meeting=webinar, person=world.mso_person)
    assert "Active member</strong>" in client.get(url).content.decode()


# Exports


def test_csv_export_holds_network_a_officers_and_nothing_of_network_b(client, world):
    mdso = AppointmentFactory(organisation=world.org_a, role=Appointment.Role.MDSO)
    client.force_login(world.chair_a)
    response = client.get(export_url(world.network_a, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = csv_text(response)
    for email in (world.mso_person.work_email, mdso.person.work_email, world.org_a.generic_mailbox):
        assert email in text
    for email in network_b_emails(world):
        assert email not in text
    assert "nhs.net" not in text.replace(world.mso_person.work_email, "").replace(mdso.person.work_email, "").replace(
        world.org_a.generic_mailbox, ""
    )


def test_xlsx_export_holds_network_a_officers_and_nothing_of_network_b(client, world):
    client.force_login(world.chair_a)
    response = client.get(export_url(world.network_a, "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    values = [str(cell.value) for cell in xlsx_cells(response) if cell.value is not None]
    joined = "\n".join(values)
    assert world.mso_person.work_email in values
    assert world.org_a.generic_mailbox in values
    for email in network_b_emails(world):
        assert email not in joined


def test_lead_export_of_network_a_holds_nothing_of_network_b(client, world):
    client.force_login(world.lead)
    text = csv_text(client.get(export_url(world.network_a, "csv")))
    assert world.mso_person.work_email in text
    for email in network_b_emails(world):
        assert email not in text


@pytest.fixture
def hostile(world):
    """A London organisation, named MSO and MDSO whose exported text starts with each formula character."""
    values = [f"{prefix}SUM(1+1)" for prefix in FORMULA_PREFIXES]
    organisation = OrganisationFactory(region=world.london, name=values[0], ods_code="ZZZ9", generic_mailbox=values[6])
    mso = PersonFactory(first_name=values[1], last_name="x", phone=values[2], work_email=values[7])
    AppointmentFactory(organisation=organisation, person=mso, role=Appointment.Role.MSO, mhra_reference=values[3])
    mdso = PersonFactory(first_name=values[8], last_name="x", phone=values[4], work_email=values[9])
    AppointmentFactory(organisation=organisation, person=mdso, role=Appointment.Role.MDSO, mhra_reference=values[5])
    # As the cells hold them: a name is "first last".
    return [f"{value} x" if index in (1, 8) else value for index, value in enumerate(values)]


def test_csv_export_writes_formulas_as_text(client, world, hostile):
    client.force_login(world.chair_a)
    rows = list(csv.reader(io.StringIO(csv_text(client.get(export_url(world.network_a, "csv"))), newline="")))
    cells = [cell for row in rows for cell in row]
    for value in hostile:
        assert value not in cells
        assert f"'{value}" in cells
    assert not any(cell.startswith(FORMULA_PREFIXES) for cell in cells)


def test_xlsx_export_writes_formulas_as_text(client, world, hostile):
    client.force_login(world.chair_a)
    cells = xlsx_cells(client.get(export_url(world.network_a, "xlsx")))
    strings = [cell for cell in cells if isinstance(cell.value, str)]
    assert not any(cell.data_type == "f" for cell in cells)
    assert all(cell.data_type == "s" for cell in strings)
    # Each text exactly as entered, without a quote (XML keeps a carriage return as a line feed).
    values = {cell.value for cell in strings}
    for value in hostile:
        assert value.replace("\r", "\n") in values
        assert f"'{value}" not in values


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_every_export_is_logged_with_its_row_count(client, world, file_format):
    OrganisationFactory.create_batch(3, region=world.london)
    client.force_login(world.chair_a)
    client.get(export_url(world.network_a, file_format))
    client.get(export_url(world.network_a, file_format), {"q": "RAL"})
    logs = list(ExportLog.objects.order_by("pk"))
    assert [(log.user, log.network, log.format, log.row_count) for log in logs] == [
        (world.chair_a, world.network_a, file_format, 4),
        (world.chair_a, world.network_a, file_format, 1),
    ]


def test_export_log_admin_is_read_only(client, world):
    client.force_login(world.chair_a)
    client.get(export_url(world.network_a, "csv"))
    log = ExportLog.objects.get()
    client.force_login(world.lead)
    assert client.get(reverse("admin:meetings_exportlog_changelist")).status_code == 200
    assert client.get(reverse("admin:meetings_exportlog_change", args=[log.pk])).status_code == 200
    assert client.get(reverse("admin:meetings_exportlog_add")).status_code == 403
    assert client.post(reverse("admin:meetings_exportlog_delete", args=[log.pk]), {"post": "yes"}).status_code == 403
    assert ExportLog.objects.filter(pk=log.pk).exists()


# Queries


def populate(world, size):
    for index in range(size):
        organisation = OrganisationFactory(region=world.london)
        AppointmentFactory(organisation=organisation, role=Appointment.Role.MSO)
        if index % 2:
            AppointmentFactory(organisation=organisation, role=Appointment.Role.MDSO)
        Flag.objects.create(organisation=organisation, kind=Flag.Kind.NO_MAILBOX)


@pytest.mark.parametrize("size", [5, 60])
@pytest.mark.parametrize("role", ["chair_a", "lead"])
def test_membership_page_queries_do_not_grow_with_the_data(client, world, size, role, django_assert_max_num_queries):
    populate(world, size)
    client.force_login(getattr(world, role))
    with django_assert_max_num_queries(MEMBERSHIP_QUERIES):
        response = client.get(membership_url(world.network_a))
    assert len(response.context["page_obj"].object_list) > 5


@pytest.mark.parametrize("size", [5, 60])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_membership_export_queries_do_not_grow_with_the_data(
    client, world, size, file_format, django_assert_max_num_queries
):
    populate(world, size)
    client.force_login(world.chair_a)
    with django_assert_max_num_queries(MEMBERSHIP_QUERIES):
        response = client.get(export_url(world.network_a, file_format))
    assert response.status_code == 200
    assert ExportLog.objects.get().row_count == size + 1
