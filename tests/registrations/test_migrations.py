"""RegistrationRequest moved from the officers app to the registrations app with every row: migrated
back to before the move, requests and their history written there, migrated forward, each one is in
the new model with its id, on the renamed tables, with the content type (and so the admin's
permissions) kept (PostgreSQL)."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from officers.models import Appointment, RequestStatus
from registrations.models import RegistrationRequest
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the migration test runs where the portal runs: PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

BEFORE_THE_MOVE = [("officers", "0007_phone_validated"), ("registrations", None)]
AFTER_THE_MOVE = [
    ("officers", "0008_registration_request_moves_to_registrations"),
    ("registrations", "0001_initial"),
]
REQUEST_FIELDS = ("id", "user_id", "organisation_id", "role", "first_name", "status", "reviewed_at", "review_reason")
HISTORY_FIELDS = ("history_id", "id", "history_type", "history_change_reason", "status", "first_name")


def migrate(targets) -> None:
    """Migrate the test database to `targets` (an app's None: none of its migrations applied)."""
    MigrationExecutor(connection).migrate(targets)


@pytest.fixture
def latest_state_afterwards():
    """Whatever happens in the test, the database is migrated to the latest state again after it."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def tables() -> set[str]:
    return set(connection.introspection.table_names())


def constraint_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def test_moving_registration_requests_keeps_every_row_its_id_and_its_history(latest_state_afterwards):
    applicants = [UserFactory(), UserFactory(), UserFactory()]
    reviewer = UserFactory(is_national_lead=True)
    organisation = OrganisationFactory()
    content_type = ContentType.objects.get(app_label="registrations", model="registrationrequest")
    permission = Permission.objects.get(content_type=content_type, codename="view_registrationrequest")

    # Before the move: the model is the officers app's, on its old table.
    migrate(BEFORE_THE_MOVE)
    before_the_move = MigrationExecutor(connection).loader.project_state(BEFORE_THE_MOVE[0]).apps
    assert "officers_registrationrequest" in tables()
    assert "registrations_registrationrequest" not in tables()
    assert ContentType.objects.get(pk=content_type.pk).app_label == "officers"
    OldRequest = before_the_move.get_model("officers", "RegistrationRequest")
    OldHistory = before_the_move.get_model("officers", "HistoricalRegistrationRequest")
    decided_at = timezone.now()
    details = {
        "organisation_id": organisation.pk,
        "start_date": datetime.date(2026, 5, 1),
        "last_name": "Okoro",
        "job_title": "Medication Safety Officer",
        "profession": "pharmacist",
    }
    written = [
        OldRequest.objects.create(user_id=applicants[0].pk, role="mso", first_name="Waiting", **details),
        OldRequest.objects.create(
            user_id=applicants[1].pk,
            role="mdso",
            first_name="Approved",
            status=RequestStatus.APPROVED,
            reviewed_by_id=reviewer.pk,
            reviewed_at=decided_at,
            **details,
        ),
        OldRequest.objects.create(
            user_id=applicants[2].pk,
            role="deputy_mso",
            first_name="Rejected",
            status=RequestStatus.REJECTED,
            reviewed_by_id=reviewer.pk,
            reviewed_at=decided_at,
            review_reason="Not known at this organisation.",
            **details,
        ),
    ]
    for request in written:
        for history_type, reason in (("+", "Registration requested"), ("~", "Decided")):
            OldHistory.objects.create(
                id=request.pk,
                user_id=request.user_id,
                role=request.role,
                first_name=request.first_name,
                status=request.status,
                submitted_at=request.submitted_at,
                history_date=timezone.now(),
                history_type=history_type,
                history_change_reason=reason,
                history_user_id=request.user_id,
                **details,
            )
    requests_before = list(OldRequest.objects.order_by("pk").values_list(*REQUEST_FIELDS))
    history_before = list(OldHistory.objects.order_by("history_id").values_list(*HISTORY_FIELDS))
    assert len(requests_before) == 3 and len(history_before) == 6

    migrate(AFTER_THE_MOVE)

    # After the move: every row, with its id, is the registrations app's, on the renamed tables.
    assert list(RegistrationRequest.objects.order_by("pk").values_list(*REQUEST_FIELDS)) == requests_before
    assert list(RegistrationRequest.history.order_by("history_id").values_list(*HISTORY_FIELDS)) == history_before
    assert {"registrations_registrationrequest", "registrations_historicalregistrationrequest"} <= tables()
    assert not {"officers_registrationrequest", "officers_historicalregistrationrequest"} & tables()
    assert {
        "one_waiting_registration_per_role",
        "reviewed_registration_has_review_time",
        "rejected_registration_has_reason",
    } <= constraint_names("registrations_registrationrequest")
    # The content type moved with the model, so permissions given on it still apply to it.
    assert ContentType.objects.get(pk=content_type.pk).app_label == "registrations"
    assert Permission.objects.get(pk=permission.pk).content_type_id == content_type.pk

    # The table goes on: a new request takes the next id; the one-waiting-request rule still holds.
    new = RegistrationRequest.objects.create(user=applicants[1], role=Appointment.Role.MSO, first_name="New", **details)
    assert new.pk > max(row[0] for row in requests_before)
    assert RegistrationRequest.objects.get(pk=written[1].pk).reviewed_by == reviewer
