"""The network memberships import checks every row in full: a cell that cannot be read is reported,
and the rules (one current membership, one chair) are still checked on every other row, never
against a guess of what the unreadable cell meant."""

import pytest

from msonet.uploads import Table
from networks.imports import memberships_import
from networks.models import Membership
from tests.factories import PersonFactory
from tests.factories.files import MEMBERSHIP_HEADERS

pytestmark = pytest.mark.django_db


def table(rows) -> Table:
    return Table(headers=MEMBERSHIP_HEADERS, rows=[(line, row) for line, row in enumerate(rows, start=2)])


def errors(report) -> list[tuple[int | None, str]]:
    return [(error.line, error.column) for error in report.errors]


def test_a_bad_date_does_not_hide_a_second_chair_further_down(world):
    for email in ("bad.date@nhs.net", "joiner@nhs.net", "new.chair@nhs.net"):
        PersonFactory(work_email=email)
    rows = [
        ["bad.date@nhs.net", "london", "Member", "2025-02-30", ""],
        ["joiner@nhs.net", "london", "Member", "2025-01-06", ""],
        ["new.chair@nhs.net", "london", "Chair", "2025-01-06", ""],
    ]

    report = memberships_import(table=table(rows), file_name="members.csv")

    assert errors(report) == [(2, "Joined on"), (4, "Role")]
    assert "London MSO network already has a chair, Chloe Adeyemi" in report.errors[1].message
    assert (report.new, report.changed, report.unchanged) == (1, 0, 0)
    assert [row.line for row in report.rows] == [3]


def test_a_leaving_date_that_cannot_be_read_is_not_checked_against_the_one_current_membership_rule(world):
    rows = [[world.mso_person.work_email, "london", "Member", "2025-05-01", "next June"]]

    report = memberships_import(table=table(rows), file_name="members.csv")

    assert errors(report) == [(2, "Left on")]


def test_an_unknown_network_and_a_bad_date_on_one_row_are_both_reported(world):
    rows = [[world.mso_person.work_email, "no-such-network", "Member", "yesterday", ""]]

    report = memberships_import(table=table(rows), file_name="members.csv")

    assert errors(report) == [(2, "Joined on"), (2, "Network")]


def test_an_import_with_errors_writes_nothing_and_counts_what_the_good_rows_would_write(world):
    PersonFactory(work_email="joiner@nhs.net")
    rows = [
        ["joiner@nhs.net", "london", "Member", "2025-01-06", ""],
        ["nobody@nhs.net", "london", "Member", "2025-01-06", ""],
    ]
    memberships_before = Membership.objects.count()

    report = memberships_import(table=table(rows), file_name="members.csv", user=world.lead, dry_run=False)

    assert errors(report) == [(3, "Work email")]
    assert report.new == 1
    assert Membership.objects.count() == memberships_before
