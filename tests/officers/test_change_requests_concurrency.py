"""Two people acting on the same change at the same moment: the row locks make it apply once (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from officers.changes import change_details_submit, change_request_approve
from officers.models import ChangeRequest, ChangeRequestDecided, Person, RequestStatus
from tests.factories import TOTPAuthenticatorFactory, UserFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite locks the whole database and has no SELECT ... FOR UPDATE, so there is no race to test.",
    ),
    pytest.mark.django_db(transaction=True),
]


def details(person, **changes):
    values = {
        field: getattr(person, field)
        for field in (
            "first_name",
            "last_name",
            "job_title",
            "profession",
            "registration_number",
            "work_email",
            "phone",
        )
    }
    values.update(changes)
    return values


def run_together(*calls):
    """Run each call in its own thread, all released at the same moment; returns each result or exception."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_two_leads_approving_the_same_request_at_the_same_moment_apply_it_once(world):
    [change] = change_details_submit(
        requested_by=world.mso, person_values=details(world.mso_person, job_title="Lead pharmacist")
    )
    second_lead = UserFactory(email="deputy.lead@england.nhs.uk", is_national_lead=True)
    TOTPAuthenticatorFactory(user=second_lead)

    results = run_together(
        lambda: change_request_approve(request_id=change.pk, reviewer=world.lead),
        lambda: change_request_approve(request_id=change.pk, reviewer=second_lead),
    )

    approved = [result for result in results if isinstance(result, ChangeRequest)]
    refused = [result for result in results if isinstance(result, ChangeRequestDecided)]
    assert len(approved) == 1, results
    assert len(refused) == 1, results
    winner = approved[0].reviewed_by
    assert str(refused[0]).startswith(f"This request was already approved by {winner.email} at ")
    person = Person.objects.get(pk=world.mso_person.pk)
    assert person.job_title == "Lead pharmacist"
    reason = f"Change request #{change.pk} asked by mso.a@nhs.net, approved by {winner.email}"
    assert person.history.filter(history_change_reason__startswith=f"Change request #{change.pk} ").count() == 1
    assert person.history.first().history_change_reason == reason
    change.refresh_from_db()
    assert change.status == RequestStatus.APPROVED
    assert change.reviewed_by == winner


def test_two_changes_sent_at_the_same_moment_leave_one_waiting(world):
    results = run_together(
        lambda: change_details_submit(
            requested_by=world.mso, person_values=details(world.mso_person, job_title="Lead pharmacist")
        ),
        lambda: change_details_submit(
            requested_by=world.mso, person_values=details(world.mso_person, phone="020 7000 0000")
        ),
    )
    assert all(isinstance(result, list) and len(result) == 1 for result in results), results
    assert ChangeRequest.objects.waiting().filter(person=world.mso_person).count() == 1
    assert ChangeRequest.objects.filter(status=RequestStatus.WITHDRAWN).count() == 1
