"""Meetings, attendance, unmatched attendees and the export log (with their history) move to the
meetings app, every row kept.

The state: meetings/0001_initial has created the models in the meetings app; here they leave the
networks app. The database: each table is renamed from networks_* to meetings_* (its rows, ids,
indexes and constraints as they are). The national-webinar triggers of 0006_national_webinar_trigger
name the tables in their bodies, so they are dropped first; meetings/0002_national_webinar_trigger
creates them again on the renamed table. Backwards, the tables get their old names and the old
triggers come back.
"""

from django.db import migrations

# The models that move, those that point at another of them first.
MOVED = [
    "exportlog",
    "historicalunmatchedattendee",
    "unmatchedattendee",
    "historicalattendance",
    "attendance",
    "historicalmeeting",
    "meeting",
]

# 0006_national_webinar_trigger's triggers, as it made them.
POSTGRESQL_CREATE = """
CREATE OR REPLACE FUNCTION networks_meeting_webinar_is_national() RETURNS trigger AS $$
BEGIN
    IF NEW.kind = 'national_webinar' AND NOT EXISTS (
        SELECT 1 FROM networks_network WHERE id = NEW.network_id AND kind = 'national'
    ) THEN
        RAISE EXCEPTION 'A national webinar is a meeting of the national network.' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER networks_meeting_webinar_is_national
    BEFORE INSERT OR UPDATE OF kind, network_id ON networks_meeting
    FOR EACH ROW EXECUTE FUNCTION networks_meeting_webinar_is_national();

CREATE OR REPLACE FUNCTION networks_network_keeps_webinars() RETURNS trigger AS $$
BEGIN
    IF NEW.kind <> 'national' AND EXISTS (
        SELECT 1 FROM networks_meeting WHERE network_id = NEW.id AND kind = 'national_webinar'
    ) THEN
        RAISE EXCEPTION 'This network holds national webinars, so it must stay the national network.'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER networks_network_keeps_webinars
    BEFORE UPDATE OF kind ON networks_network
    FOR EACH ROW EXECUTE FUNCTION networks_network_keeps_webinars();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS networks_network_keeps_webinars ON networks_network;
DROP FUNCTION IF EXISTS networks_network_keeps_webinars();
DROP TRIGGER IF EXISTS networks_meeting_webinar_is_national ON networks_meeting;
DROP FUNCTION IF EXISTS networks_meeting_webinar_is_national();
"""

SQLITE_MEETING_CHECK = """
WHEN NEW.kind = 'national_webinar' AND NOT EXISTS (
    SELECT 1 FROM networks_network WHERE id = NEW.network_id AND kind = 'national'
)
BEGIN SELECT RAISE(ABORT, 'A national webinar is a meeting of the national network.'); END;
"""

SQLITE_CREATE = [
    "CREATE TRIGGER networks_meeting_webinar_is_national_insert BEFORE INSERT ON networks_meeting "
    + SQLITE_MEETING_CHECK,
    "CREATE TRIGGER networks_meeting_webinar_is_national_update BEFORE UPDATE OF kind, network_id "
    "ON networks_meeting " + SQLITE_MEETING_CHECK,
    """CREATE TRIGGER networks_network_keeps_webinars BEFORE UPDATE OF kind ON networks_network
    WHEN NEW.kind <> 'national' AND EXISTS (
        SELECT 1 FROM networks_meeting WHERE network_id = NEW.id AND kind = 'national_webinar'
    )
    BEGIN SELECT RAISE(ABORT, 'This network holds national webinars, so it must stay the national network.'); END;""",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS networks_network_keeps_webinars",
    "DROP TRIGGER IF EXISTS networks_meeting_webinar_is_national_update",
    "DROP TRIGGER IF EXISTS networks_meeting_webinar_is_national_insert",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement)


def drop_old_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [POSTGRESQL_DROP])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)


def create_old_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [POSTGRESQL_CREATE])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_CREATE)


class Migration(migrations.Migration):
    dependencies = [
        ("networks", "0006_national_webinar_trigger"),
        ("meetings", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_old_triggers, create_old_triggers),
                *(migrations.AlterModelTable(name=name, table=f"meetings_{name}") for name in MOVED),
            ],
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
        ),
    ]
