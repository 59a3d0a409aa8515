"""Two compliance scans at the same moment, on PostgreSQL: one set of flags, no error."""

import threading

import pytest
from django.db import connection, connections

from compliance.models import Flag
from compliance.services import compliance_scan
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers; the race between two scans needs PostgreSQL",
)


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_open_each_flag_once_without_error():
    for _ in range(20):
        OrganisationFactory(generic_mailbox="")
    barrier = threading.Barrier(2)
    outcomes = []

    def scan():
        try:
            barrier.wait(timeout=10)
            outcomes.append(compliance_scan())
        except Exception as error:  # anything escaping fails the test below
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == 2
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert Flag.objects.count() == Flag.objects.open().count() == 60
    # The second scan waited for the first and found its flags: between them, each flag opened once.
    assert sorted(report.opened for report in outcomes) == [0, 60]
    assert {report.open for report in outcomes} == {60}
