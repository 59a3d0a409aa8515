"""Backup and restore as docs/operations.md describes them: scripts/backup.sh dumps the PostgreSQL
database with pg_dump -Fc, pg_restore loads the dump into a fresh database, and every table (every
model and its history) comes back with the same rows; on SQLite the script's online copy holds the
same rows as the original."""

import datetime
import os
import shutil
import sqlite3
import subprocess

import psycopg2
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from audit.services import contact_details_reveal
from officers.changes import change_details_submit, change_request_approve
from officers.models import Appointment, Person
from registrations.services import registration_approve, registration_submit
from tests.factories import OrganisationFactory, UserFactory

SCRIPT = settings.BASE_DIR / "scripts" / "backup.sh"
BINARIES = ("pg_dump", "pg_restore", "createdb", "dropdb")


def make_data(world):
    """Records made through the services, so that each has its history."""
    applicant = UserFactory(email="backup.applicant@nhs.net")
    request = registration_submit(
        user=applicant,
        organisation=OrganisationFactory(region=world.london),
        role=Appointment.Role.MSO,
        start_date=datetime.date(2026, 11, 2),
        first_name="Ruth",
        last_name="Backhouse",
        job_title="Lead pharmacist",
        profession="pharmacist",
    )
    registration_approve(request_id=request.pk, reviewer=world.lead)
    person = Person.objects.get(user=applicant)
    values = {name: getattr(person, name) for name in ("first_name", "last_name", "job_title", "profession")}
    values |= {"registration_number": "", "work_email": person.work_email, "phone": "020 7946 0123"}
    [change] = change_details_submit(requested_by=applicant, person_values=values)
    change_request_approve(request_id=change.pk, reviewer=world.lead)
    contact_details_reveal(viewer=world.chair_a, person=person, path="/people/")
    return person


def table_fingerprints(cursor) -> dict[str, tuple[int, str]]:
    """Every table of the public schema: its number of rows and a checksum of all of them."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [name for (name,) in cursor.fetchall()]
    fingerprints = {}
    for table in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        cursor.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {quoted} t")
        fingerprints[table] = cursor.fetchone()
    return fingerprints


def libpq_environment(database: dict) -> dict:
    env = {**os.environ, "PGHOST": database["HOST"] or "127.0.0.1", "PGPORT": str(database["PORT"] or 5432)}
    env["PGUSER"] = database["USER"] or "postgres"
    if database["PASSWORD"]:
        env["PGPASSWORD"] = database["PASSWORD"]
    return env


@pytest.mark.django_db(transaction=True)
def test_a_postgresql_dump_restores_every_record_and_its_history(world, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: on SQLite the backup is a file copy (see the SQLite test)")
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if missing:
        pytest.skip(f"PostgreSQL client programs missing: {', '.join(missing)}")
    person = make_data(world)
    database = connection.settings_dict
    env = libpq_environment(database)
    source_url = f"postgresql:///{database['NAME']}"

    backup = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path)], env={**env, "DATABASE_URL": source_url}, capture_output=True, text=True
    )
    assert backup.returncode == 0, backup.stderr
    [dump] = list(tmp_path.glob("msonet-*.dump"))

    fresh = f"{database['NAME']}_restored_{os.getpid()}"
    subprocess.run(["dropdb", "--if-exists", fresh], env=env, check=True)
    subprocess.run(["createdb", fresh], env=env, check=True)
    try:
        restore = subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", fresh, str(dump)],
            env=env,
            capture_output=True,
            text=True,
        )
        assert restore.returncode == 0, restore.stderr

        with connection.cursor() as cursor:
            original = table_fingerprints(cursor)
        restored_connection = psycopg2.connect(
            dbname=fresh, host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], password=database["PASSWORD"]
        )
        try:
            with restored_connection.cursor() as cursor:
                restored = table_fingerprints(cursor)
                cursor.execute(
                    "SELECT phone, history_change_reason FROM officers_historicalperson WHERE id = %s "
                    "ORDER BY history_date DESC, history_id DESC LIMIT 1",
                    [person.pk],
                )
                latest_history = cursor.fetchone()
        finally:
            restored_connection.close()
    finally:
        subprocess.run(["dropdb", "--if-exists", fresh], env=env, check=True)

    # Every model's table (and each history table) is there, with the same rows.
    model_tables = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    assert model_tables <= set(restored)
    assert restored == original
    assert original["officers_historicalperson"][0] >= 2
    assert original["audit_contactview"][0] == 1
    assert latest_history[0] == "020 7946 0123"
    assert latest_history[1].startswith("Change request #")


def test_the_sqlite_backup_is_a_consistent_copy(tmp_path):
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 program is missing")
    database = tmp_path / "db.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE officers_person (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("CREATE TABLE officers_historicalperson (history_id INTEGER PRIMARY KEY, id INTEGER, name TEXT)")
        db.executemany("INSERT INTO officers_person (name) VALUES (?)", [(f"Person {n}",) for n in range(50)])
        db.executemany(
            "INSERT INTO officers_historicalperson (id, name) VALUES (?, ?)", [(n, f"Person {n}") for n in range(50)]
        )
    folder = tmp_path / "backups"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "MEDIA_ROOT": str(tmp_path / "no-media")}

    result = subprocess.run(["bash", str(SCRIPT), str(folder)], env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    [copy] = list(folder.glob("msonet-*.sqlite3"))
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        for table in ("officers_person", "officers_historicalperson"):
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone() == (50,)


def test_the_backup_script_refuses_an_unknown_database(tmp_path):
    result = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path)],
        env={**os.environ, "DATABASE_URL": "mysql://somewhere/msonet"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "DATABASE_URL must start with postgres:// or sqlite://" in result.stderr
