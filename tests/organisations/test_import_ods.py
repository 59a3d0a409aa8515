"""The ODS import: `manage.py import_ods`, the service behind it, and the admin's import screen."""

import csv
import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from organisations.models import KeyContact, Organisation, Region
from organisations.ods import display_name, kind_for_file_name
from organisations.services import ods_import, ods_summary_line
from tests.factories import AppointmentFactory, OrganisationFactory, TOTPAuthenticatorFactory, UserFactory
from tests.factories.files import ODS_DIR

ETR = ODS_DIR / "etr.csv"
ECCG = ODS_DIR / "eccg.csv"
ICBS = ODS_DIR / "icb_names_codes_dec_2024.csv"
SUMMARY_RE = re.compile(r"^created=\d+ updated=\d+ closed=\d+ unchanged=\d+ errors=\d+$")
WELSH_TRUSTS = {"RQF", "RT4", "RYT"}  # lines 151, 172 and 269 of etr.csv


def run_import(path, **options) -> tuple[str, str]:
    """Runs import_ods; returns (stdout, stderr). A CommandError propagates."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_ods", str(path), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def run_failing_import(path, **options) -> tuple[str, str, CommandError]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_ods", str(path), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue(), excinfo.value


def summary(out: str) -> str:
    return out.strip().splitlines()[-1]


def etr_rows() -> list[list[str]]:
    with ETR.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def write_rows(path, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(rows)


def ods_row(code: str, name: str, **columns) -> list[str]:
    """A 27-column ODS row; columns by 1-based number, e.g. c11="20240401"."""
    row = [""] * 27
    row[0], row[1] = code, name
    for key, value in columns.items():
        row[int(key[1:]) - 1] = value
    return row


@pytest.fixture
def icbs(db):
    run_import(ICBS)


@pytest.fixture
def trusts(icbs):
    run_import(ETR)


# Regions and names


@pytest.mark.django_db
def test_migration_creates_the_seven_nhs_england_regions():
    assert dict(Region.objects.values_list("code", "name")) == {
        "Y56": "London",
        "Y58": "South West",
        "Y59": "South East",
        "Y60": "Midlands",
        "Y61": "East of England",
        "Y62": "North West",
        "Y63": "North East and Yorkshire",
    }


@pytest.mark.parametrize(
    ("ods_name", "readable"),
    [
        ("MANCHESTER UNIVERSITY NHS FOUNDATION TRUST", "Manchester University NHS Foundation Trust"),
        ("GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", "Guy's and St Thomas' NHS Foundation Trust"),
        (
            "THE NEWCASTLE UPON TYNE HOSPITALS NHS FOUNDATION TRUST",
            "The Newcastle upon Tyne Hospitals NHS Foundation Trust",
        ),
        ("NHS NORTH EAST AND NORTH CUMBRIA ICB - 00L", "NHS North East and North Cumbria ICB - 00L"),
        ("NHS DARLINGTON CCG", "NHS Darlington CCG"),
        ("4TH FLOOR, EAST WING, STOCKTON-ON-TEES", "4th Floor, East Wing, Stockton-on-Tees"),
        ("NHS Cheshire and Merseyside Integrated Care Board", "NHS Cheshire and Merseyside Integrated Care Board"),
    ],
)
def test_display_name_title_cases_ods_names_keeping_acronyms(ods_name, readable):
    assert display_name(ods_name) == readable


@pytest.mark.parametrize(
    ("file_name", "kind"),
    [
        ("etr.csv", "trusts"),
        ("eccg.csv", "sub-icbs"),
        ("edispensary.csv", "pharmacies"),
        ("epraccur.csv", "gp-practices"),
        ("icb_names_codes_dec_2024.csv", "icbs"),
        ("ETR (1).CSV", "trusts"),
        ("organisations.csv", None),
    ],
)
def test_kind_is_guessed_from_the_ods_file_name(file_name, kind):
    guessed = kind_for_file_name(file_name)
    assert (guessed.name if guessed else None) == kind


# The shipped files


@pytest.mark.django_db
def test_import_icb_file_creates_42_icbs_with_readable_names():
    out, _ = run_import(ICBS)

    assert summary(out) == "created=42 updated=0 closed=0 unchanged=0 errors=0"
    assert Organisation.objects.filter(kind=Organisation.Kind.ICB).count() == 42
    assert Organisation.objects.get(ods_code="QOP").name == "NHS Greater Manchester Integrated Care Board"


@pytest.mark.django_db
def test_import_etr_creates_273_organisations_205_open(icbs):
    out, err = run_import(ETR)

    assert summary(out) == "created=273 updated=0 closed=0 unchanged=0 errors=0"
    assert err == ""
    trusts = Organisation.objects.filter(kind=Organisation.Kind.NHS_TRUST)
    assert trusts.count() == 273
    assert trusts.open().count() == 205
    manchester = trusts.get(ods_code="R0A")
    assert manchester.name == "Manchester University NHS Foundation Trust"
    assert manchester.address == "Cobbett House, Oxford Road, Manchester"
    assert manchester.postcode == "M13 9WL"
    assert manchester.phone == "0300 3309444"
    assert manchester.opened_on == datetime.date(2017, 10, 1)


@pytest.mark.django_db
def test_import_etr_links_every_open_english_trust_to_its_region_and_icb(trusts):
    english = Organisation.objects.filter(kind=Organisation.Kind.NHS_TRUST).open().exclude(ods_code__in=WELSH_TRUSTS)

    assert english.count() == 202
    assert not english.filter(region__isnull=True).exists()
    assert not english.filter(parent_icb__isnull=True).exists()
    manchester = Organisation.objects.select_related("region", "parent_icb").get(ods_code="R0A")
    assert manchester.region.code == "Y62"
    assert manchester.parent_icb.ods_code == "QOP"


@pytest.mark.django_db
def test_import_etr_imports_welsh_trusts_with_no_region_and_reports_them(icbs):
    out, _ = run_import(ETR)

    welsh = Organisation.objects.filter(ods_code__in=WELSH_TRUSTS)
    assert welsh.count() == 3
    assert not welsh.filter(region__isnull=False).exists()
    for line in (151, 172, 269):
        assert f"warning: line {line}: no region (Welsh or unassigned)" in out


@pytest.mark.django_db
def test_icbs_take_the_region_most_of_their_trusts_are_in(trusts):
    icbs = Organisation.objects.filter(kind=Organisation.Kind.ICB)

    assert not icbs.filter(region__isnull=True).exists()
    assert icbs.get(ods_code="QOP").region.code == "Y62"
    assert icbs.get(ods_code="QMJ").region.code == "Y56"
    assert icbs.filter(region__code="Y63").count() == 4


@pytest.mark.django_db
def test_import_eccg_creates_sub_icb_locations_with_role_codes(icbs):
    out, _ = run_import(ECCG)

    assert summary(out) == "created=320 updated=0 closed=0 unchanged=0 errors=0"
    sub_icbs = Organisation.objects.filter(kind=Organisation.Kind.SUB_ICB)
    assert sub_icbs.open().count() == 159
    assert sub_icbs.get(ods_code="00L").ods_role_codes == "RO319"


@pytest.mark.django_db
def test_second_run_of_the_same_file_changes_nothing(trusts):
    history_before = Organisation.history.count()

    out, _ = run_import(ETR)

    assert summary(out) == "created=0 updated=0 closed=0 unchanged=273 errors=0"
    assert Organisation.history.count() == history_before


@pytest.mark.django_db
def test_summary_line_is_exactly_the_five_counts(icbs):
    out, _ = run_import(ETR)

    assert SUMMARY_RE.match(summary(out))
    assert summary(out) == "created=273 updated=0 closed=0 unchanged=0 errors=0"


@pytest.mark.django_db
def test_dry_run_reports_what_would_change_and_saves_nothing(icbs):
    out, _ = run_import(ETR, dry_run=True)

    assert summary(out) == "created=273 updated=0 closed=0 unchanged=0 errors=0"
    assert "Dry run: nothing was saved." in out
    assert not Organisation.objects.filter(kind=Organisation.Kind.NHS_TRUST).exists()
    assert not Organisation.objects.filter(kind=Organisation.Kind.ICB, region__isnull=False).exists()


# Later files


@pytest.mark.django_db
def test_later_file_that_omits_an_organisation_does_not_delete_it(trusts, tmp_path):
    rows = [row for row in etr_rows() if row[0] != "R0A"]
    later = tmp_path / "etr.csv"
    write_rows(later, rows)

    out, _ = run_import(later)

    assert summary(out) == "created=0 updated=0 closed=0 unchanged=272 errors=0"
    assert Organisation.objects.filter(kind=Organisation.Kind.NHS_TRUST).count() == 273
    assert Organisation.objects.get(ods_code="R0A").is_open


@pytest.mark.django_db
def test_close_date_closes_the_existing_organisation_and_counts_closed(trusts, tmp_path):
    rows = etr_rows()
    for row in rows:
        if row[0] == "R0A":
            row[11] = "20260331"
    later = tmp_path / "etr.csv"
    write_rows(later, rows)

    out, _ = run_import(later)

    assert summary(out) == "created=0 updated=1 closed=1 unchanged=272 errors=0"
    manchester = Organisation.objects.get(ods_code="R0A")
    assert manchester.closed_on == datetime.date(2026, 3, 31)
    assert manchester.status_on(datetime.date(2026, 4, 1)) == "closed"


@pytest.mark.django_db
def test_future_open_date_is_imported_as_not_yet_open(trusts, tmp_path):
    opens_on = datetime.date.today() + datetime.timedelta(days=120)
    rows = [*etr_rows(), ods_row("RZZ99", "NEW MERGED NHS TRUST", c3="Y56", c4="QMJ", c11=f"{opens_on:%Y%m%d}")]
    later = tmp_path / "etr.csv"
    write_rows(later, rows)

    out, _ = run_import(later)

    assert summary(out) == "created=1 updated=0 closed=0 unchanged=273 errors=0"
    new_trust = Organisation.objects.get(ods_code="RZZ99")
    assert new_trust.status == "not yet open"
    assert new_trust.name == "New Merged NHS Trust"
    assert not Organisation.objects.open().filter(ods_code="RZZ99").exists()


@pytest.mark.django_db
def test_unknown_icb_code_is_a_warning_and_leaves_the_parent_icb_empty(icbs, tmp_path):
    path = tmp_path / "etr.csv"
    write_rows(path, [ods_row("RZZ98", "SOME NHS TRUST", c3="Y56", c4="Q99", c11="20200401")])

    out, err = run_import(path)

    assert summary(out) == "created=1 updated=0 closed=0 unchanged=0 errors=0"
    assert "warning: line 1: ICB code Q99 is not known; parent ICB left empty" in out
    trust = Organisation.objects.get(ods_code="RZZ98")
    assert trust.parent_icb is None
    assert trust.region.code == "Y56"


@pytest.mark.django_db
def test_pharmacy_with_unknown_head_office_gets_a_placeholder_company(icbs, tmp_path):
    path = tmp_path / "edispensary.csv"
    write_rows(
        path,
        [
            ods_row("FA001", "HIGH STREET PHARMACY", c3="Y62", c4="QOP", c11="20100101", c15="P1234"),
            ods_row("FA002", "PARK PHARMACY", c3="Y62", c4="QOP", c11="20100101", c15="P1234"),
        ],
    )

    out, _ = run_import(path)

    assert summary(out) == "created=3 updated=0 closed=0 unchanged=0 errors=0"
    assert "head-office company P1234 is not known: created a placeholder pharmacy company named P1234" in out
    company = Organisation.objects.get(ods_code="P1234")
    assert company.kind == Organisation.Kind.PHARMACY_COMPANY
    assert company.name == "P1234"
    assert set(company.children.values_list("ods_code", flat=True)) == {"FA001", "FA002"}
    assert Organisation.objects.get(ods_code="FA001").kind == Organisation.Kind.PHARMACY

    out, _ = run_import(path)
    assert summary(out) == "created=0 updated=0 closed=0 unchanged=2 errors=0"


@pytest.mark.django_db
def test_many_warnings_are_summarised_one_line_per_kind(icbs, tmp_path):
    path = tmp_path / "epraccur.csv"
    rows = [ods_row(f"W{n:05d}", f"PRACTICE {n}", c3="W00", c11="20000101") for n in range(30)]
    rows += [ods_row(f"B{n:05d}", f"SURGERY {n}", c3="Y56", c4="Q99", c11="20000101") for n in range(5)]
    write_rows(path, rows)

    out, _ = run_import(path)

    warnings = [line for line in out.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: no region (Welsh or unassigned): 30 rows (lines 1, 2, 3, 4, 5 and 25 more)",
        "warning: ICB code Q99 is not known; parent ICB left empty: 5 rows (lines 31, 32, 33, 34, 35)",
    ]
    assert summary(out) == "created=35 updated=0 closed=0 unchanged=0 errors=0"


# History


@pytest.mark.django_db
def test_import_writes_history_with_the_change_reason_and_user(trusts, tmp_path):
    assert Organisation.history.filter(history_change_reason="ODS import etr.csv", history_type="+").count() == 273
    lead = UserFactory(is_national_lead=True, is_staff=True)
    rows = etr_rows()
    for row in rows:
        if row[0] == "R0A":
            row[17] = "0161 276 1234"
    later = tmp_path / "etr_2026.csv"
    write_rows(later, rows)

    report = ods_import(data=later.read_bytes(), kind="trusts", file_name=later.name, user=lead)

    assert ods_summary_line(report) == "created=0 updated=1 closed=0 unchanged=272 errors=0"
    record = Organisation.objects.get(ods_code="R0A").history.latest()
    assert record.history_type == "~"
    assert record.history_change_reason == "ODS import etr_2026.csv"
    assert record.history_user == lead
    assert record.phone == "0161 276 1234"


@pytest.mark.django_db
def test_organisations_moved_to_another_icb_are_updated_each_with_history(trusts, tmp_path):
    rows = etr_rows()
    moved = {row[0] for row in rows if row[3] == "QOP"}
    for row in rows:
        if row[0] in moved:
            row[3] = "QYG"
    later = tmp_path / "etr_2026.csv"
    write_rows(later, rows)

    out, _ = run_import(later)

    assert len(moved) > 1
    assert summary(out) == f"created=0 updated={len(moved)} closed=0 unchanged={273 - len(moved)} errors=0"
    assert (
        set(
            Organisation.objects.filter(parent_icb__ods_code="QYG", ods_code__in=moved).values_list(
                "ods_code", flat=True
            )
        )
        == moved
    )
    history = Organisation.history.filter(history_type="~", history_change_reason="ODS import etr_2026.csv")
    assert set(history.values_list("ods_code", flat=True)) == moved
    assert not history.exclude(parent_icb__ods_code="QYG").exists()


# Bad files: every bad row reported by line, nothing written


BAD_ROWS = {
    "wrong column count": (
        ods_row("RZZ01", "SHORT ROW TRUST")[:25],
        "line 3: the line has 25 columns; an ODS extract has 27",
    ),
    "bad date": (
        ods_row("RZZ01", "BAD DATE TRUST", c11="2024-04-01"),
        "line 3: the open date '2024-04-01' is not a date in the form YYYYMMDD",
    ),
    "impossible date": (
        ods_row("RZZ01", "BAD DATE TRUST", c11="20230231"),
        "line 3: the open date '20230231' is not a date in the form YYYYMMDD",
    ),
    "empty code": (ods_row("", "NO CODE TRUST", c11="20200401"), "line 3: the ODS code is empty"),
    "malformed code": (
        ods_row("r-1", "LOWER CASE TRUST", c11="20200401"),
        "line 3: the ODS code 'r-1' is not valid",
    ),
    "close before open": (
        ods_row("RZZ01", "BACKWARDS TRUST", c11="20200401", c12="20190401"),
        "line 3: the close date 20190401 is before the open date 20200401",
    ),
    "duplicate code": (ods_row("R0A", "DUPLICATE TRUST", c11="20200401"), "line 3: ODS code R0A is also on line 2"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("problem", BAD_ROWS)
def test_bad_row_is_reported_by_line_and_nothing_is_written(trusts, tmp_path, problem):
    bad_row, message = BAD_ROWS[problem]
    rows = etr_rows()[:2]
    rows[1][1] = "RENAMED BY A BAD FILE"  # line 2 is R0A: it would be updated if anything were written
    rows.append(bad_row)
    rows.append(ods_row("RZZ02", "WOULD BE NEW TRUST", c11="20200401"))
    path = tmp_path / "etr.csv"
    write_rows(path, rows)
    count_before = Organisation.objects.count()
    history_before = Organisation.history.count()

    out, err, error = run_failing_import(path)

    assert message in err
    # The rows without an error are counted beside it, as they would be written: line 1 unchanged,
    # R0A renamed, RZZ02 new.
    assert summary(out) == "created=1 updated=1 closed=0 unchanged=1 errors=1"
    assert str(error) == "Nothing was imported: etr.csv has 1 error."
    assert Organisation.objects.count() == count_before
    assert Organisation.history.count() == history_before
    assert Organisation.objects.get(ods_code="R0A").name == "Manchester University NHS Foundation Trust"
    assert not Organisation.objects.filter(ods_code="RZZ02").exists()


@pytest.mark.django_db
def test_bad_encoding_bytes_are_reported_by_line_and_nothing_is_written(trusts, tmp_path):
    lines = ETR.read_bytes().splitlines(keepends=True)[:3]
    lines[2] = lines[2].replace(b"SOUTH TYNESIDE", b"SOUTH TYNES\xe9IDE")
    assert b"\xe9" in lines[2]
    path = tmp_path / "etr.csv"
    path.write_bytes(b"".join(lines))
    count_before = Organisation.objects.count()

    out, err, _ = run_failing_import(path)

    assert "line 3: the line is not UTF-8 text (byte 0xE9" in err
    assert summary(out).endswith("errors=1")
    assert Organisation.objects.count() == count_before
    assert Organisation.objects.get(ods_code="R0B").name == "South Tyneside and Sunderland NHS Foundation Trust"


@pytest.mark.django_db
def test_every_bad_row_in_a_file_is_reported(db, tmp_path):
    path = tmp_path / "etr.csv"
    write_rows(
        path,
        [
            ods_row("RZZ01", "GOOD TRUST", c11="20200401"),
            ods_row("", "NO CODE TRUST", c11="20200401"),
            ods_row("RZZ03", "BAD DATE TRUST", c11="1st April"),
            ods_row("RZZ04", "SHORT ROW TRUST")[:20],
        ],
    )

    out, err, _ = run_failing_import(path)

    assert "line 2: the ODS code is empty" in err
    assert "line 3: the open date '1st April' is not a date in the form YYYYMMDD" in err
    assert "line 4: the line has 20 columns" in err
    assert summary(out) == "created=1 updated=0 closed=0 unchanged=0 errors=3"  # the good trust, not created
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_icb_file_without_its_header_row_is_refused(tmp_path):
    path = tmp_path / "icb_names.csv"
    path.write_text("E54000008,QYG,NHS Cheshire and Merseyside Integrated Care Board,1\n")

    _, err, _ = run_failing_import(path)

    assert "line 1: the first line should be the header row" in err
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_missing_file_is_a_clear_command_error(tmp_path):
    _, _, error = run_failing_import(tmp_path / "etr.csv")

    assert "There is no file" in str(error)


@pytest.mark.django_db
def test_file_name_that_does_not_say_the_kind_needs_kind_option(tmp_path):
    path = tmp_path / "organisations.csv"
    write_rows(path, [ods_row("RZZ01", "GOOD TRUST", c11="20200401")])

    _, _, error = run_failing_import(path)
    assert "give --kind" in str(error)

    out, _ = run_import(path, kind="trusts")
    assert summary(out) == "created=1 updated=0 closed=0 unchanged=0 errors=0"
    assert Organisation.objects.get(ods_code="RZZ01").kind == Organisation.Kind.NHS_TRUST


# The admin's import screen and export


def admin_import(client, path, resource_index=0):
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")
    return client.post(
        reverse("admin:organisations_organisation_import"),
        {"resource": str(resource_index), "format": "0", "import_file": upload},
    )


@pytest.fixture
def lead_client(client, db):
    lead = UserFactory(email="lead@england.nhs.uk", is_national_lead=True, is_staff=True)
    TOTPAuthenticatorFactory(user=lead)  # a national lead must use two-factor authentication
    client.force_login(lead)
    return client


@pytest.mark.django_db
def test_admin_import_previews_the_ods_file_then_confirm_writes_it(lead_client, icbs):
    preview = admin_import(lead_client, ETR)

    assert preview.status_code == 200
    assert "Preview" in preview.text
    assert "Manchester University NHS Foundation Trust" in preview.text
    assert "If you confirm: created=273 updated=0 closed=0 unchanged=0 errors=0" in preview.text
    assert "no region (Welsh or unassigned)" in preview.text
    assert not Organisation.objects.filter(kind=Organisation.Kind.NHS_TRUST).exists()

    confirm_form = preview.context["confirm_form"]
    response = lead_client.post(
        reverse("admin:organisations_organisation_process_import"), confirm_form.initial, follow=True
    )

    assert response.status_code == 200
    assert "Imported etr.csv: created=273 updated=0 closed=0 unchanged=0 errors=0" in response.text
    trusts = Organisation.objects.filter(kind=Organisation.Kind.NHS_TRUST)
    assert trusts.count() == 273
    assert trusts.open().count() == 205
    assert trusts.get(ods_code="R0A").parent_icb.ods_code == "QOP"
    lead = response.context["user"]
    created = Organisation.history.filter(history_type="+", history_change_reason="ODS import etr.csv")
    assert created.filter(history_user=lead).count() == 273


@pytest.mark.django_db
def test_admin_import_of_icb_file_uses_the_icb_resource(lead_client):
    preview = admin_import(lead_client, ICBS, resource_index=1)
    confirm_form = preview.context["confirm_form"]
    lead_client.post(reverse("admin:organisations_organisation_process_import"), confirm_form.initial)

    assert Organisation.objects.filter(kind=Organisation.Kind.ICB).count() == 42


@pytest.mark.django_db
def test_admin_import_of_bad_file_shows_line_numbered_errors_and_writes_nothing(lead_client, tmp_path):
    rows = etr_rows()[:3]
    rows[1][10] = "2019-04-01"
    rows.append(ods_row("", "NO CODE TRUST", c11="20200401"))
    path = tmp_path / "etr.csv"
    write_rows(path, rows)

    response = admin_import(lead_client, path)

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    invalid = {row.number: row.error.messages for row in response.context["result"].invalid_rows}
    assert invalid == {
        2: ["the open date '2019-04-01' is not a date in the form YYYYMMDD"],
        4: ["the ODS code is empty"],
    }
    assert "Some rows failed to validate" in response.text
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_admin_import_refuses_a_file_larger_than_the_upload_limit(lead_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000

    response = admin_import(lead_client, ETR)

    assert response.status_code == 200
    assert "the largest file accepted is" in response.text
    assert "result" not in response.context
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_admin_import_needs_a_national_lead_or_permission(client, db):
    client.force_login(UserFactory(is_staff=True))

    response = admin_import(client, ETR)

    assert response.status_code == 403
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_admin_exports_organisations_as_csv(lead_client):
    OrganisationFactory(
        ods_code="RAL", name="Royal Free London NHS Foundation Trust", region=Region.objects.get(code="Y56")
    )

    response = lead_client.post(
        reverse("admin:organisations_organisation_export"),
        {
            "format": "0",
            "resource": "0",
            "organisationresource_ods_code": "on",
            "organisationresource_name": "on",
            "organisationresource_region": "on",
            "organisationresource_status": "on",
        },
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "ods_code,name,status,region"
    assert lines[1] == "RAL,Royal Free London NHS Foundation Trust,open,London"


@pytest.mark.django_db
def test_admin_organisation_page_shows_key_contacts_and_appointments(lead_client):
    appointment = AppointmentFactory(person__first_name="Ada", person__last_name="Okafor")
    KeyContact.objects.create(
        organisation=appointment.organisation, role=KeyContact.Role.CHIEF_PHARMACIST, name="Sam Chief"
    )

    response = lead_client.get(reverse("admin:organisations_organisation_change", args=[appointment.organisation.pk]))

    assert response.status_code == 200
    assert "Sam Chief" in response.text
    assert "Ada Okafor" in response.text


@pytest.mark.django_db
def test_admin_organisation_list_filters_by_status(lead_client):
    today = datetime.date.today()
    OrganisationFactory(ods_code="ROPEN", name="Open Trust")
    OrganisationFactory(ods_code="RSHUT", name="Closed Trust", closed_on=today - datetime.timedelta(days=1))
    OrganisationFactory(ods_code="RSOON", name="Future Trust", opened_on=today + datetime.timedelta(days=30))
    url = reverse("admin:organisations_organisation_changelist")

    for status, code in [("open", "ROPEN"), ("closed", "RSHUT"), ("not-yet-open", "RSOON")]:
        response = lead_client.get(url, {"status": status})
        assert response.status_code == 200
        assert [o.ods_code for o in response.context["cl"].result_list] == [code]
