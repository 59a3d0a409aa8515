"""A national webinar is a meeting of the national network, kept by the database, as it was before
the meetings moved here (networks/0006_national_webinar_trigger, whose triggers
networks/0007_meetings_move_to_meetings_app dropped).

A check constraint cannot look at another table, so triggers keep the rule: one on meetings (a
national webinar must name the national network) and one on networks (the network that holds
national webinars cannot stop being the national network). PostgreSQL raises check_violation,
SQLite aborts; Django reports both as IntegrityError. Meeting.clean() gives the same rule its
message in forms and the admin.

The content types of the moved models are renamed to the meetings app too, so that the admin's
change history and any permission granted on them keep pointing at them.
"""

from django.db import migrations

POSTGRESQL_CREATE = """
CREATE OR REPLACE FUNCTION meetings_meeting_webinar_is_national() RETURNS trigger AS $$
BEGIN
    IF NEW.kind = 'national_webinar' AND NOT EXISTS (
        SELECT 1 FROM networks_network WHERE id = NEW.network_id AND kind = 'national'
    ) THEN
        RAISE EXCEPTION 'A national webinar is a meeting of the national network.' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER meetings_meeting_webinar_is_national
    BEFORE INSERT OR UPDATE OF kind, network_id ON meetings_meeting
    FOR EACH ROW EXECUTE FUNCTION meetings_meeting_webinar_is_national();

CREATE OR REPLACE FUNCTION meetings_network_keeps_webinars() RETURNS trigger AS $$
BEGIN
    IF NEW.kind <> 'national' AND EXISTS (
        SELECT 1 FROM meetings_meeting WHERE network_id = NEW.id AND kind = 'national_webinar'
    ) THEN
        RAISE EXCEPTION 'This network holds national webinars, so it must stay the national network.'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER meetings_network_keeps_webinars
    BEFORE UPDATE OF kind ON networks_network
    FOR EACH ROW EXECUTE FUNCTION meetings_network_keeps_webinars();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS meetings_network_keeps_webinars ON networks_network;
DROP FUNCTION IF EXISTS meetings_network_keeps_webinars();
DROP TRIGGER IF EXISTS meetings_meeting_webinar_is_national ON meetings_meeting;
DROP FUNCTION IF EXISTS meetings_meeting_webinar_is_national();
"""

SQLITE_MEETING_CHECK = """
WHEN NEW.kind = 'national_webinar' AND NOT EXISTS (
    SELECT 1 FROM networks_network WHERE id = NEW.network_id AND kind = 'national'
)
BEGIN SELECT RAISE(ABORT, 'A national webinar is a meeting of the national network.'); END;
"""

SQLITE_CREATE = [
    "CREATE TRIGGER meetings_meeting_webinar_is_national_insert BEFORE INSERT ON meetings_meeting "
    + SQLITE_MEETING_CHECK,
    "CREATE TRIGGER meetings_meeting_webinar_is_national_update BEFORE UPDATE OF kind, network_id "
    "ON meetings_meeting " + SQLITE_MEETING_CHECK,
    """CREATE TRIGGER meetings_network_keeps_webinars BEFORE UPDATE OF kind ON networks_network
    WHEN NEW.kind <> 'national' AND EXISTS (
        SELECT 1 FROM meetings_meeting WHERE network_id = NEW.id AND kind = 'national_webinar'
    )
    BEGIN SELECT RAISE(ABORT, 'This network holds national webinars, so it must stay the national network.'); END;""",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS meetings_network_keeps_webinars",
    "DROP TRIGGER IF EXISTS meetings_meeting_webinar_is_national_update",
    "DROP TRIGGER IF EXISTS meetings_meeting_webinar_is_national_insert",
]

# The models that moved here from the networks app.
MOVED = [
    "meeting",
    "attendance",
    "unmatchedattendee",
    "exportlog",
    "historicalmeeting",
    "historicalattendance",
    "historicalunmatchedattendee",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [POSTGRESQL_CREATE])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_CREATE)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [POSTGRESQL_DROP])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)


def _move_content_types(apps, schema_editor, *, from_app: str, to_app: str):
    """Rename the moved models' content types from `from_app` to `to_app`, unless `to_app` already
    has one (made by a migrate run since): that one is then kept and the old one left alone."""
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    taken = set(
        content_type.objects.using(db).filter(app_label=to_app, model__in=MOVED).values_list("model", flat=True)
    )
    content_type.objects.using(db).filter(app_label=from_app, model__in=set(MOVED) - taken).update(app_label=to_app)
    content_type.objects.clear_cache()


def content_types_forwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, from_app="networks", to_app="meetings")


def content_types_backwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, from_app="meetings", to_app="networks")


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0001_initial"),
        ("networks", "0007_meetings_move_to_meetings_app"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(content_types_forwards, content_types_backwards),
    ]
