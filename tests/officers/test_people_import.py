"""The people and appointments import checks every row in full: a cell that cannot be read is
reported, the other cells of its row and every other row are still checked against the rules, and
nothing is checked against a guess of what the unreadable cell meant."""

import pytest

from msonet.uploads import Table
from officers.imports import people_import
from officers.models import Appointment, Person
from tests.factories.files import PEOPLE_HEADERS, person_row

pytestmark = pytest.mark.django_db


def table(rows) -> Table:
    return Table(headers=PEOPLE_HEADERS, rows=[(line, row) for line, row in enumerate(rows, start=2)])


def errors(report) -> list[tuple[int | None, str]]:
    return [(error.line, error.column) for error in report.errors]


def test_a_bad_date_does_not_hide_a_named_mso_clash_further_down(world):
    rows = [
        person_row("bad.date@nhs.net", ods="R0A", role="Deputy MSO", start="2025-02-30"),
        person_row("good@nhs.net", ods="R0A", role="Deputy MSO", start="2025-01-01"),
        person_row("second.mso@nhs.net", ods="RAL", role="MSO", status="Active", start="2025-03-01"),
    ]

    report = people_import(table=table(rows), file_name="people.csv")

    assert errors(report) == [(2, "Start date"), (4, "Status")]
    assert "already has an active named MSO, Amina Okafor" in report.errors[1].message
    assert (report.new, report.changed, report.unchanged) == (1, 0, 0)
    assert [row.line for row in report.rows] == [3]


def test_one_row_reports_both_an_unreadable_cell_and_a_rule_it_breaks(world):
    rows = [person_row("two.problems@nhs.net", ods="ZZZ99", role="Deputy MSO", start="2025-01-01", end="soon")]

    report = people_import(table=table(rows), file_name="people.csv")

    assert errors(report) == [(2, "End date"), (2, "Organisation ODS code")]


def test_a_status_an_import_may_not_set_does_not_stop_the_date_checks_of_its_row(world):
    rows = [
        person_row(
            "pending@nhs.net", ods="RAL", role="Deputy MSO", status="Pending", start="2025-01-01", end="2024-01-01"
        )
    ]

    report = people_import(table=table(rows), file_name="people.csv")

    assert errors(report) == [(2, "Status"), (2, "End date")]


def test_a_status_that_cannot_be_read_is_not_checked_against_the_named_mso_rule(world):
    rows = [person_row("typo@nhs.net", ods="RAL", role="MSO", status="Ennded", start="2025-01-01", end="2025-02-01")]

    report = people_import(table=table(rows), file_name="people.csv")

    (error,) = report.errors
    assert (error.line, error.column) == (2, "Status")
    assert error.message.startswith("'Ennded' is not one of")


def test_a_cell_that_cannot_be_read_is_not_compared_with_the_same_persons_other_line(world):
    rows = [
        person_row("twice@nhs.net", profession="Chemist", ods="RAL", role="Deputy MSO", start="2025-01-01"),
        person_row("twice@nhs.net", profession="Pharmacist", ods="R0A", role="Deputy MSO", start="2025-01-01"),
    ]

    report = people_import(table=table(rows), file_name="people.csv")

    assert errors(report) == [(2, "Profession")]


def test_rows_with_a_bad_email_are_not_taken_for_the_same_person(world):
    rows = [
        person_row("", "Ann", ods="RAL", role="Deputy MSO", start="2025-01-01"),
        person_row("", "Bea", ods="RAL", role="Deputy MSO", start="2025-01-01"),
    ]

    report = people_import(table=table(rows), file_name="people.csv")

    assert errors(report) == [(2, "Work email"), (3, "Work email")]


def test_an_import_with_errors_writes_nothing_and_counts_what_the_good_rows_would_write(world):
    rows = [
        person_row("bad.date@nhs.net", ods="R0A", role="Deputy MSO", start="2025-02-30"),
        person_row("good@nhs.net", ods="R0A", role="Deputy MSO", start="2025-01-01"),
        person_row("second.mso@nhs.net", ods="RAL", role="MSO", start="2025-03-01"),
    ]
    people_before, appointments_before = Person.objects.count(), Appointment.objects.count()

    report = people_import(table=table(rows), file_name="people.csv", user=world.lead, dry_run=False)

    assert not report.ok
    assert (report.new, report.error_rows) == (1, 2)
    assert (Person.objects.count(), Appointment.objects.count()) == (people_before, appointments_before)
