"""Community pharmacies and their head-office companies from ODS: `import_ods --kind pharmacy-hqs`
(epharmacyhq.csv) and `--kind pharmacies` (edispensary.csv), in either order, with the shipped sample."""

import csv
import datetime

import pytest
from django.db.models import F
from django.urls import reverse

from msonet.reports import ImportReport, RowError
from organisations.coverage import above_threshold, english_pharmacy_count
from organisations.models import Organisation
from organisations.ods import KINDS, kind_for_file_name
from organisations.services import PLACEHOLDER_WARNING
from tests.factories import TOTPAuthenticatorFactory, UserFactory
from tests.factories.files import ODS_DIR
from tests.organisations.test_import_ods import (
    ICBS,
    admin_import,
    ods_row,
    run_failing_import,
    run_import,
    summary,
    write_rows,
)

SAMPLE = ODS_DIR / "edispensary_sample.csv"
ETR = ODS_DIR / "etr.csv"
ENGLISH_REGIONS = {"Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63"}
DAY = datetime.date(2025, 5, 1)  # after the sample's last open and close dates (April 2025)
Company = Organisation.Kind.PHARMACY_COMPANY

# Real head-office codes from the sample's column 15, with plainly fictional names.
P79D = ods_row("P79D", "EXAMPLE CHEMISTS LIMITED", c3="Y62", c4="QOP", c10="M1 1AA", c11="19950101", c18="0161 0000000")
P08F = ods_row("P08F", "SAMPLE PHARMACY GROUP PLC", c11="20000101")  # no region: companies are national


def pharmacy_rows() -> list[list[str]]:
    return [
        ods_row("FA002", "HIGH STREET PHARMACY", c3="Y62", c4="QOP", c11="20060601", c13="A", c14="1", c15="P79D"),
        ods_row("FA003", "PARK PHARMACY", c3="Y62", c4="QOP", c11="20060601", c13="A", c14="1", c15="P79D"),
        ods_row("FA004", "STATION PHARMACY", c3="Y56", c4="QMJ", c11="20100101", c13="A", c14="1", c15="P08F"),
    ]


def sample_rows() -> list[list[str]]:
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def sample_companies_file(path) -> None:
    """A head-office file for every company the sample names, with fictional names."""
    codes = sorted({row[14] for row in sample_rows() if row[14]})
    write_rows(path, [ods_row(code, f"FICTIONAL PHARMACY COMPANY {n}", c11="19900101") for n, code in enumerate(codes)])


@pytest.fixture
def icbs(db):
    run_import(ICBS)


def test_pharmacy_hqs_kind_reads_the_head_office_extract():
    kind = KINDS["pharmacy-hqs"]

    assert kind.organisation_kind == Company
    assert kind.file_prefix == "epharmacyhq"
    assert kind_for_file_name("epharmacyhq.csv") is kind
    assert kind_for_file_name("EPHARMACYHQ (2).CSV") is kind
    assert kind_for_file_name("edispensary.csv") is KINDS["pharmacies"]


# Placeholders first, then the head-office file names them


@pytest.mark.django_db
def test_head_office_file_names_the_placeholder_companies_with_history(icbs, tmp_path):
    pharmacies = tmp_path / "edispensary.csv"
    write_rows(pharmacies, pharmacy_rows())
    out, _ = run_import(pharmacies)

    assert summary(out) == "created=5 updated=0 closed=0 unchanged=0 errors=0"
    assert (
        "Created 2 placeholder pharmacy companies, named after their codes: until the ODS pharmacy head-office "
        "file (epharmacyhq) is imported, they are shown as 'Pharmacy company P79D (name not yet imported)'." in out
    )
    placeholder = Organisation.objects.get(ods_code="P79D")
    assert placeholder.name == "P79D"
    assert placeholder.display_name == "Pharmacy company P79D (name not yet imported)"

    head_offices = tmp_path / "epharmacyhq.csv"
    write_rows(head_offices, [P79D, P08F])
    out, _ = run_import(head_offices)

    assert summary(out) == "created=0 updated=2 closed=0 unchanged=0 errors=0"
    assert "Named 2 pharmacy companies known until now only by their codes (placeholders from a pharmacy file)." in out
    company = Organisation.objects.get(ods_code="P79D")
    assert company.name == company.display_name == "Example Chemists Limited"
    assert company.kind == Company
    assert company.region.code == "Y62"
    assert (company.postcode, company.phone, company.opened_on) == ("M1 1AA", "0161 0000000", datetime.date(1995, 1, 1))
    assert set(company.children.values_list("ods_code", flat=True)) == {"FA002", "FA003"}
    assert Organisation.objects.get(ods_code="P08F").name == "Sample Pharmacy Group PLC"
    latest, first = company.history.order_by("-history_id")[:2]
    assert (latest.history_type, latest.name, latest.history_change_reason) == (
        "~",
        "Example Chemists Limited",
        "ODS import epharmacyhq.csv",
    )
    assert (first.history_type, first.name, first.history_change_reason) == ("+", "P79D", "ODS import edispensary.csv")

    out, _ = run_import(head_offices)
    assert summary(out) == "created=0 updated=0 closed=0 unchanged=2 errors=0"
    assert "Named" not in out


@pytest.mark.django_db
def test_head_office_file_first_then_pharmacies_link_to_the_named_companies(icbs, tmp_path):
    head_offices = tmp_path / "epharmacyhq.csv"
    write_rows(head_offices, [P79D, P08F])
    out, _ = run_import(head_offices)
    assert summary(out) == "created=2 updated=0 closed=0 unchanged=0 errors=0"

    pharmacies = tmp_path / "edispensary.csv"
    write_rows(pharmacies, pharmacy_rows())
    out, _ = run_import(pharmacies)

    assert summary(out) == "created=3 updated=0 closed=0 unchanged=0 errors=0"
    assert "placeholder" not in out
    assert Organisation.objects.filter(kind=Company).count() == 2
    parents = dict(Organisation.objects.filter(kind="pharmacy").values_list("ods_code", "parent__name"))
    assert parents == {
        "FA002": "Example Chemists Limited",
        "FA003": "Example Chemists Limited",
        "FA004": "Sample Pharmacy Group PLC",
    }


@pytest.mark.django_db
def test_head_office_rows_keep_the_region_given_and_a_blank_region_is_not_warned(icbs, tmp_path):
    path = tmp_path / "epharmacyhq.csv"
    write_rows(
        path,
        [
            P79D,
            P08F,
            ods_row("P0MG", "WELSH EXAMPLE PHARMACIES LTD", c3="W00", c11="20000101"),
            ods_row("P07F", "RETIRED REGION EXAMPLE LTD", c3="Y54", c4="Q36", c11="19800101", c12="20230725"),
        ],
    )

    out, _ = run_import(path)

    assert summary(out) == "created=4 updated=0 closed=0 unchanged=0 errors=0"
    assert [line for line in out.splitlines() if line.startswith("warning:")] == [
        "warning: line 4: region code Y54 is not known; no region set",
        "warning: line 4: ICB code Q36 is not known; parent ICB left empty",
    ]
    regions = dict(Organisation.objects.filter(kind=Company).values_list("ods_code", "region__code"))
    assert regions == {"P79D": "Y62", "P08F": None, "P0MG": None, "P07F": None}


@pytest.mark.django_db
def test_pharmacy_file_still_warns_about_pharmacies_with_no_region(icbs, tmp_path):
    path = tmp_path / "edispensary.csv"
    write_rows(path, [ods_row("FW001", "WELSH PHARMACY", c3="W00", c11="20000101", c15="P79D")])

    out, _ = run_import(path)

    assert "warning: line 1: no region (Welsh or unassigned)" in out


# The shipped sample (data/ods/edispensary_sample.csv)


@pytest.mark.django_db
def test_shipped_pharmacy_sample_imports_with_placeholder_companies(icbs):
    run_import(ETR)

    out, err = run_import(SAMPLE, kind="pharmacies")

    assert summary(out) == "created=4486 updated=0 closed=0 unchanged=0 errors=0"
    assert err == ""
    assert Organisation.objects.filter(kind="pharmacy").count() == 2991
    assert Organisation.objects.filter(kind=Company, name=F("ods_code")).count() == 1495
    assert "Created 1495 placeholder pharmacy companies" in out
    assert "shown as 'Pharmacy company P79D (name not yet imported)'" in out
    assert "warning: region code Y51 is not known; no region set: 205 rows" in out
    assert "warning: no region (Welsh or unassigned): 115 rows" in out


@pytest.mark.django_db
def test_open_english_pharmacies_are_counted_per_company_after_import(icbs, tmp_path):
    head_offices = tmp_path / "epharmacyhq.csv"
    sample_companies_file(head_offices)
    run_import(head_offices)

    out, _ = run_import(SAMPLE, kind="pharmacies")

    assert "placeholder" not in out
    # The expected count from the file itself: open on DAY, with an English region, under each company.
    day = f"{DAY:%Y%m%d}"
    expected: dict[str, int] = {}
    for row in sample_rows():
        opened, closed = row[10], row[11]
        if row[14] and row[2] in ENGLISH_REGIONS and (not opened or opened <= day) and (not closed or closed > day):
            expected[row[14]] = expected.get(row[14], 0) + 1
    companies = Organisation.objects.filter(kind=Company).annotate(n=english_pharmacy_count(DAY))
    counts = dict(companies.values_list("ods_code", "n"))
    assert len(counts) == 1495
    assert {code: n for code, n in counts.items() if n} == expected
    assert counts["P08F"] == 174
    assert sum(counts.values()) == 1506
    # Above the default threshold of 50 open pharmacies in England: three of the sample's companies.
    above = companies.filter(above_threshold(DAY)).values_list("ods_code", flat=True)
    assert set(above) == {"P08F", "P0MG", "P29F"}


# Bad head-office files


@pytest.mark.django_db
def test_bad_head_office_rows_are_reported_by_line_and_nothing_is_imported(icbs, tmp_path):
    pharmacies = tmp_path / "edispensary.csv"
    write_rows(pharmacies, pharmacy_rows())
    run_import(pharmacies)
    history_before = Organisation.history.count()
    path = tmp_path / "epharmacyhq.csv"
    write_rows(
        path,
        [
            P79D,
            ods_row("P08F", "", c11="20000101"),
            ods_row("p1k8", "LOWER CASE CODE LTD", c11="20000101"),
            ods_row("P0MG", "BAD DATE LTD", c11="2000-01-01"),
            ods_row("P29F", "CLOSED BEFORE OPENING LTD", c11="20200101", c12="20190101"),
            P79D[:20],
            ods_row("P79D", "EXAMPLE CHEMISTS LIMITED AGAIN", c11="19950101"),
        ],
    )

    out, err, error = run_failing_import(path)

    assert err.splitlines() == [
        "error: line 2: the name is empty",
        "error: line 3: the ODS code 'p1k8' is not valid: it should be 3 to 9 capital letters and digits",
        "error: line 4: the open date '2000-01-01' is not a date in the form YYYYMMDD",
        "error: line 5: the close date 20190101 is before the open date 20200101",
        "error: line 6: the line has 20 columns; an ODS extract has 27",
        "error: line 7: ODS code P79D is also on line 1",
    ]
    assert summary(out) == "created=0 updated=1 closed=0 unchanged=0 errors=6"  # line 1 names its placeholder
    assert str(error) == "Nothing was imported: epharmacyhq.csv has 6 errors."
    assert Organisation.history.count() == history_before
    assert set(Organisation.objects.filter(kind=Company).values_list("name", flat=True)) == {"P79D", "P08F"}


# The admin's import screen


@pytest.fixture
def lead_client(client, db):
    lead = UserFactory(email="lead@england.nhs.uk", is_national_lead=True, is_staff=True)
    TOTPAuthenticatorFactory(user=lead)
    client.force_login(lead)
    return client


@pytest.mark.django_db
def test_admin_import_screen_takes_the_head_office_file(lead_client, tmp_path):
    form = lead_client.get(reverse("admin:organisations_organisation_import"))
    assert "Community pharmacy head offices (ODS epharmacyhq.csv)" in form.text
    path = tmp_path / "epharmacyhq.csv"
    write_rows(path, [P79D, P08F])

    preview = admin_import(lead_client, path, resource_index=5)
    assert "Example Chemists Limited" in preview.text
    confirm = preview.context["confirm_form"].initial
    lead_client.post(reverse("admin:organisations_organisation_process_import"), confirm)

    assert set(Organisation.objects.filter(kind=Company).values_list("ods_code", "name")) == {
        ("P79D", "Example Chemists Limited"),
        ("P08F", "Sample Pharmacy Group PLC"),
    }


def test_many_placeholder_companies_are_summed_up_as_one_kind_of_warning():
    report = ImportReport(dataset="organisations", file_name="edispensary.csv")
    report.warnings = [
        RowError(line, "", f"head-office company P{line:04d} is not known: ...", PLACEHOLDER_WARNING)
        for line in range(1, 31)
    ]
    assert report.warning_lines() == [f"{PLACEHOLDER_WARNING}: 30 rows (lines 1, 2, 3, 4, 5 and 25 more)"]
