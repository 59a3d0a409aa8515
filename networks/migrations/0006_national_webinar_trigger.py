"""A national webinar is a meeting of the national network, kept by the database.

A check constraint cannot look at another table, so triggers keep the rule: one on meetings (a
national webinar must name the national network) and one on networks (the network that holds
national webinars cannot stop being the national network). PostgreSQL raises check_violation,
SQLite aborts; Django reports both as IntegrityError. Meeting.clean() gives the same rule its
message in forms and the admin.
"""

from django.db import migrations

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


class Migration(migrations.Migration):
    dependencies = [
        ("networks", "0005_meetings_attendance_unmatched"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
    ]
