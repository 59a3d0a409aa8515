"""Meetings, attendance, unmatched attendees and the export log moved from the networks app to the
meetings app with every row: migrated back to before the move, rows and their history written there,
migrated forward, each one is in the new models with its id, on the renamed tables, with its
constraints, indexes and content type kept, and the national-webinar triggers still refuse a webinar
outside the national network (PostgreSQL)."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from meetings.models import Attendance, ExportLog, Meeting, UnmatchedAttendee
from networks.models import Network
from tests.factories import NetworkFactory, PersonFactory, UserFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the migration test runs where the portal runs: PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

BEFORE_THE_MOVE = [("networks", "0006_national_webinar_trigger"), ("meetings", None)]
AFTER_THE_MOVE = [
    ("networks", "0007_meetings_move_to_meetings_app"),
    ("meetings", "0002_national_webinar_trigger"),
]
MODELS = ("Meeting", "Attendance", "UnmatchedAttendee", "ExportLog")
HISTORY_MODELS = ("HistoricalMeeting", "HistoricalAttendance", "HistoricalUnmatchedAttendee")
TABLES = {
    "meeting",
    "attendance",
    "unmatchedattendee",
    "exportlog",
    "historicalmeeting",
    "historicalattendance",
    "historicalunmatchedattendee",
}
FIELDS = {
    "Meeting": ("id", "network_id", "kind", "title", "held_on", "recorded_by_id", "created_at"),
    "Attendance": ("id", "meeting_id", "person_id", "minutes_attended", "source", "recorded_by_id", "recorded_at"),
    "UnmatchedAttendee": (
        "id",
        "meeting_id",
        "name",
        "email",
        "key",
        "minutes_attended",
        "status",
        "person_id",
        "imported_by_id",
        "resolved_by_id",
        "resolved_at",
    ),
    "ExportLog": ("id", "content", "meeting_id", "user_id", "network_id", "format", "row_count", "created_at"),
    "HistoricalMeeting": ("history_id", "id", "history_type", "history_change_reason", "history_user_id", "title"),
    "HistoricalAttendance": ("history_id", "id", "history_type", "history_change_reason", "meeting_id", "person_id"),
    "HistoricalUnmatchedAttendee": ("history_id", "id", "history_type", "history_change_reason", "status", "key"),
}


def migrate(targets):
    """Migrate the test database to `targets`; the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state([target for target in targets if target[1] is not None]).apps


def migrate_to_latest() -> None:
    """Migrate the test database on to the latest migrations (the meetings app's later ones add
    columns the current models read)."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def content_types():
    """The content types of the moved models (history included), as the latest state has them."""
    return {
        name: ContentType.objects.get(app_label="meetings", model=name.lower()) for name in (*MODELS, *HISTORY_MODELS)
    }


@pytest.fixture
def before_the_move(content_types):
    """The models as they were before the move; the database migrated back to the latest state after the test."""
    old_apps = migrate(BEFORE_THE_MOVE)
    yield old_apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def tables() -> set[str]:
    return set(connection.introspection.table_names())


def constraint_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def rows(apps_or_models, app_label: str | None = None) -> dict[str, list[tuple]]:
    """Every row of every moved model (history included), the fields of FIELDS, by id."""
    found = {}
    for name, fields in FIELDS.items():
        model = apps_or_models.get_model(app_label, name) if app_label else apps_or_models[name]
        order = "history_id" if name.startswith("Historical") else "id"
        found[name] = list(model.objects.order_by(order).values_list(*fields))
    return found


def write_before_the_move(old_apps, *, lead, chair, people, national, network):
    """Meetings of two networks with attendance, unmatched attendees in each state, export logs and
    history rows, written through the models as they were in the networks app."""
    Meeting = old_apps.get_model("networks", "Meeting")
    Attendance = old_apps.get_model("networks", "Attendance")
    UnmatchedAttendee = old_apps.get_model("networks", "UnmatchedAttendee")
    ExportLog = old_apps.get_model("networks", "ExportLog")
    History = {name: old_apps.get_model("networks", name) for name in HISTORY_MODELS}
    now = timezone.now()

    webinars = [
        Meeting.objects.create(
            network_id=national.pk,
            kind="national_webinar",
            title=f"National MSO webinar {month}",
            held_on=datetime.date(2026, month, 14),
            recorded_by_id=lead.pk,
        )
        for month in (7, 8, 9)
    ]
    meeting = Meeting.objects.create(
        network_id=network.pk, kind="network_meeting", title="Network meeting", held_on=datetime.date(2026, 9, 2)
    )
    meetings = [*webinars, meeting]
    attendances = [
        Attendance.objects.create(
            meeting_id=held.pk,
            person_id=person.pk,
            minutes_attended=45 + index,
            source=source,
            recorded_by_id=chair.pk,
            recorded_at=now,
        )
        for index, (held, person, source) in enumerate(
            [
                (webinars[0], people[0], "teams"),
                (webinars[0], people[1], "marked"),
                (webinars[1], people[0], "import"),
                (webinars[2], people[2], "matched"),
                (meeting, people[1], "marked"),
            ]
        )
    ]
    unmatched = [
        UnmatchedAttendee.objects.create(
            meeting_id=webinars[0].pk, name="Guest", email="guest@example.org", key="guest@example.org"
        ),
        UnmatchedAttendee.objects.create(
            meeting_id=webinars[2].pk,
            name="Matched",
            email="matched@example.org",
            key="matched@example.org",
            status="matched",
            person_id=people[2].pk,
            imported_by_id=lead.pk,
            resolved_by_id=lead.pk,
            resolved_at=now,
        ),
        UnmatchedAttendee.objects.create(
            meeting_id=meeting.pk, name="Test account", key="name:test account", status="dismissed", resolved_at=now
        ),
    ]
    ExportLog.objects.create(user_id=chair.pk, network_id=network.pk, format="csv", row_count=12)
    ExportLog.objects.create(
        user_id=lead.pk,
        network_id=national.pk,
        meeting_id=webinars[0].pk,
        content="attendance",
        format="xlsx",
        row_count=2,
    )

    def history(model_name, row, **values):
        for history_type, reason in (("+", "Recorded"), ("~", "Changed")):
            History[model_name].objects.create(
                id=row.pk,
                history_date=now,
                history_type=history_type,
                history_change_reason=reason,
                history_user_id=lead.pk,
                **values,
            )

    for held in meetings:
        history(
            "HistoricalMeeting",
            held,
            network_id=held.network_id,
            kind=held.kind,
            title=held.title,
            held_on=held.held_on,
            created_at=held.created_at,
            updated_at=held.updated_at,
        )
    for attendance in attendances:
        history(
            "HistoricalAttendance",
            attendance,
            meeting_id=attendance.meeting_id,
            person_id=attendance.person_id,
            source=attendance.source,
            recorded_at=attendance.recorded_at,
        )
    for row in unmatched:
        history(
            "HistoricalUnmatchedAttendee",
            row,
            meeting_id=row.meeting_id,
            name=row.name,
            key=row.key,
            status=row.status,
            imported_at=row.imported_at,
        )
    return webinars


def test_moving_meetings_keeps_every_row_its_id_its_history_and_the_webinar_rule(before_the_move, content_types):
    lead = UserFactory(is_national_lead=True)
    chair = UserFactory()
    people = [PersonFactory(), PersonFactory(), PersonFactory()]
    national = NetworkFactory(name="National MSO network", slug="national", kind=Network.Kind.NATIONAL)
    network = NetworkFactory()
    permission = Permission.objects.get(content_type=content_types["Meeting"], codename="change_meeting")

    # Before the move: the models are the networks app's, on their old tables, and so are their
    # content types.
    assert {f"networks_{name}" for name in TABLES} <= tables()
    assert not {f"meetings_{name}" for name in TABLES} & tables()
    assert {ContentType.objects.get(pk=ct.pk).app_label for ct in content_types.values()} == {"networks"}
    webinars = write_before_the_move(
        before_the_move, lead=lead, chair=chair, people=people, national=national, network=network
    )
    before = rows(before_the_move, "networks")
    assert [len(before[name]) for name in FIELDS] == [4, 5, 3, 2, 8, 10, 6]

    migrate(AFTER_THE_MOVE)
    migrate_to_latest()

    # After the move: every row, with its id, is the meetings app's, on the renamed tables.
    models = {model.__name__: model for model in (Meeting, Attendance, UnmatchedAttendee, ExportLog)}
    models |= {f"Historical{name}": model.history.model for name, model in models.items() if name != "ExportLog"}
    assert rows(models) == before
    assert {f"meetings_{name}" for name in TABLES} <= tables()
    assert not {f"networks_{name}" for name in TABLES} & tables()
    # Constraints and indexes keep their names.
    assert {"one_attendance_per_meeting"} <= constraint_names("meetings_attendance")
    assert {
        "one_unmatched_attendee_per_meeting_and_key",
        "unmatched_attendee_has_key",
        "unmatched_attendee_person_only_when_matched",
        "unmatched_attendee_resolved_when_not_open",
    } <= constraint_names("meetings_unmatchedattendee")
    assert {"networks_me_kind_204c70_idx", "networks_me_network_77531d_idx"} <= constraint_names("meetings_meeting")
    # The content types moved with the models, so the admin's history and permissions still apply.
    assert {ContentType.objects.get(pk=ct.pk).app_label for ct in content_types.values()} == {"meetings"}
    assert Permission.objects.get(pk=permission.pk).content_type_id == content_types["Meeting"].pk

    # The models work as before: the last three webinars count, and the tables go on with the next ids.
    assert list(Meeting.objects.last_national_webinars(datetime.date(2026, 12, 1))) == [
        Meeting.objects.get(pk=webinar.pk) for webinar in reversed(webinars)
    ]
    meeting = Meeting.objects.create(network=network, title="Later meeting", held_on=datetime.date(2026, 11, 4))
    assert meeting.pk > max(row[0] for row in before["Meeting"])
    attendance = Attendance.objects.create(meeting=meeting, person=people[0])
    assert attendance.pk > max(row[0] for row in before["Attendance"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(meeting=meeting, person=people[0])

    # The triggers still keep a national webinar in the national network, on the renamed table.
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(
            network=network,
            kind=Meeting.Kind.NATIONAL_WEBINAR,
            title="Not national",
            held_on=datetime.date(2026, 11, 5),
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(kind=Meeting.Kind.NATIONAL_WEBINAR)
    with pytest.raises(IntegrityError), transaction.atomic():
        Network.objects.filter(pk=national.pk).update(kind=Network.Kind.SPECIALISED)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE '%%webinar%%'")
        assert {name for (name,) in cursor.fetchall()} == {
            "meetings_meeting_webinar_is_national",
            "meetings_network_keeps_webinars",
        }


def test_moving_back_restores_the_networks_tables_and_their_triggers(before_the_move):
    """The move can be undone: back before it, the old tables hold the rows and the old triggers the rule."""
    national = NetworkFactory(name="National MSO network", slug="national", kind=Network.Kind.NATIONAL)
    network = NetworkFactory()
    migrate(AFTER_THE_MOVE)
    migrate_to_latest()
    kept = Meeting.objects.create(
        network=national, kind=Meeting.Kind.NATIONAL_WEBINAR, title="Webinar", held_on=datetime.date(2026, 10, 14)
    )

    old_apps = migrate(BEFORE_THE_MOVE)

    OldMeeting = old_apps.get_model("networks", "Meeting")
    assert list(OldMeeting.objects.values_list("pk", "title")) == [(kept.pk, "Webinar")]
    assert not {f"meetings_{name}" for name in TABLES} & tables()
    with pytest.raises(IntegrityError), transaction.atomic():
        OldMeeting.objects.create(
            network_id=network.pk, kind="national_webinar", title="Not national", held_on=datetime.date(2026, 11, 5)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Network.objects.filter(pk=national.pk).update(kind=Network.Kind.SPECIALISED)
