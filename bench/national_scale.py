"""National-scale benchmark of the registry on PostgreSQL.

Builds a data set the size of the national network (25,000 organisations, 30,000 people,
40,000 appointments) in a scratch database, then prints in one run:

- the ODS import rate (rows/s, with validation and history) next to a raw PostgreSQL COPY
  of the same rows into a plain table;
- the directory and organisation pages' median and 95th-percentile time and query count.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/national_scale.py
The scratch database (msonet_bench) is created and dropped by the script
(BENCH_KEEP_DATABASE=1 keeps it for a closer look).
"""

import csv
import datetime
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORGANISATIONS = int(os.environ.get("BENCH_ORGANISATIONS", 25_000))
PEOPLE = int(os.environ.get("BENCH_PEOPLE", 30_000))
APPOINTMENTS = int(os.environ.get("BENCH_APPOINTMENTS", 40_000))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 200))
REGIONS = ["Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63"]
BENCH_DB = "msonet_bench"


def admin_dsn() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not url.startswith("postgres"):
        sys.exit("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    return url


def recreate_database(url: str, name: str = BENCH_DB) -> str:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {name}")
    conn.close()
    return url.rsplit("/", 1)[0] + "/" + name


def database_exists(url: str, name: str = BENCH_DB) -> bool:
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        found = cur.fetchone() is not None
    conn.close()
    return found


def drop_database(url: str, name: str = BENCH_DB) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    conn.close()


def ods_rows(icb_codes: list[str]) -> list[list[str]]:
    """Synthetic GP-practice rows in the standard 27-column ODS layout."""
    rng = random.Random(2026)
    rows = []
    for n in range(ORGANISATIONS):
        region = rng.choice(REGIONS)
        closed = n % 10 == 0
        row = [""] * 27
        row[0] = f"B{n:05d}"
        row[1] = f"{rng.choice(['PARK', 'HIGH STREET', 'VALLEY', 'RIVERSIDE', 'ABBEY'])} SURGERY {n}"
        row[2] = region
        row[3] = rng.choice(icb_codes)
        row[4] = f"{n} HIGH STREET"
        row[7] = "TOWN"
        row[9] = f"AB{n % 99} {n % 9}CD"
        row[10] = "19740401"
        row[11] = "20240331" if closed else ""
        row[12] = "C" if closed else "A"
        row[17] = f"0161 {n:06d}"
        rows.append(row)
    return rows


def write_csv(rows, path: Path) -> None:
    with path.open("w", newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(rows)


def time_copy(dsn: str, rows) -> float:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        columns = ", ".join(f"c{i} text" for i in range(1, 28))
        cur.execute(f"CREATE TEMP TABLE ods_raw ({columns})")
        buffer.seek(0)
        start = time.perf_counter()
        cur.copy_expert("COPY ods_raw FROM STDIN WITH (FORMAT csv)", buffer)
        conn.commit()
        elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def build_officers() -> None:
    from officers.models import Appointment, Person
    from organisations.models import Organisation

    rng = random.Random(7)
    people = Person.objects.bulk_create(
        Person(
            first_name=f"First{n}",
            last_name=f"Last{n}",
            work_email=f"person{n}.bench@nhs.net",
            phone=f"07700 {n:06d}",
            job_title="Medication Safety Officer",
        )
        for n in range(PEOPLE)
    )
    org_ids = list(Organisation.objects.values_list("id", flat=True))
    appointments = []
    # One named MSO at 70% of organisations, one MDSO at 40%, deputies and team members for the rest.
    person_iter = iter(rng.choices(people, k=APPOINTMENTS))
    for org_id in org_ids:
        if len(appointments) >= APPOINTMENTS:
            break
        if rng.random() < 0.7:
            appointments.append(
                Appointment(
                    person=next(person_iter),
                    organisation_id=org_id,
                    role="mso",
                    status="active",
                    start_date=datetime.date(2023, 1, 1),
                )
            )
        if rng.random() < 0.4 and len(appointments) < APPOINTMENTS:
            appointments.append(
                Appointment(
                    person=next(person_iter),
                    organisation_id=org_id,
                    role="mdso",
                    status="active",
                    start_date=datetime.date(2023, 1, 1),
                )
            )
    while len(appointments) < APPOINTMENTS:
        appointments.append(
            Appointment(
                person=next(person_iter),
                organisation_id=rng.choice(org_ids),
                role=rng.choice(["deputy_mso", "team_member"]),
                status="active",
                start_date=datetime.date(2024, 1, 1),
            )
        )
    Appointment.objects.bulk_create(appointments, batch_size=5000)


def measure(client, url: str) -> tuple[float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    queries = 0
    status = 0
    for _ in range(REQUESTS):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        status = response.status_code
        queries = len(ctx.captured_queries)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    return statistics.median(timings), p95, queries, status


def main() -> None:
    url = admin_dsn()
    dsn = recreate_database(url)
    os.environ["DATABASE_URL"] = dsn
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msonet.settings.test")
    import django

    django.setup()
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import generate_totp_secret
    from allauth.mfa.utils import encrypt
    from django.core.management import call_command
    from django.test import Client

    from organisations.models import Organisation
    from users.models import User

    try:
        call_command("migrate", verbosity=0)
        call_command(
            "import_ods", str(ROOT / "data/ods/icb_names_codes_dec_2024.csv"), kind="icbs", stdout=io.StringIO()
        )
        icb_codes = list(Organisation.objects.filter(kind="icb").values_list("ods_code", flat=True))
        rows = ods_rows(icb_codes)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "epraccur.csv"
            write_csv(rows, path)
            out = io.StringIO()
            start = time.perf_counter()
            call_command("import_ods", str(path), kind="gp-practices", stdout=out)
            import_seconds = time.perf_counter() - start
            summary = out.getvalue().strip().splitlines()[-1]
            out = io.StringIO()
            start = time.perf_counter()
            call_command("import_ods", str(path), kind="gp-practices", stdout=out)
            reimport_seconds = time.perf_counter() - start
            resummary = out.getvalue().strip().splitlines()[-1]
        copy_seconds = time_copy(dsn, rows)
        build_officers()
        call_command("shell", command="from django.db import connection; connection.cursor().execute('ANALYZE')")

        n = len(rows)
        print(f"data set: {Organisation.objects.count()} organisations, {PEOPLE} people, {APPOINTMENTS} appointments")
        print(f"import_ods, first run of {n} rows: {import_seconds:.2f} s = {n / import_seconds:,.0f} rows/s")
        print(f"  {summary}")
        print(f"import_ods, same file again: {reimport_seconds:.2f} s = {n / reimport_seconds:,.0f} rows/s")
        print(f"  {resummary}")
        print(f"raw COPY of the same rows: {copy_seconds:.3f} s = {n / copy_seconds:,.0f} rows/s")
        print(f"  the import takes {import_seconds / copy_seconds:.0f} times as long as COPY")

        lead = User.objects.create_user(email="bench.lead@england.nhs.uk", is_national_lead=True, is_staff=True)
        # The lead has two-factor authentication set up, as every lead must.
        Authenticator.objects.create(
            user=lead, type=Authenticator.Type.TOTP, data={"secret": encrypt(generate_totp_secret())}
        )
        client = Client()
        client.force_login(lead)
        busy = Organisation.objects.filter(appointments__role="mso").order_by("?").first()
        pages = {
            "directory, first page": "/organisations/",
            "directory, page 200": "/organisations/?page=200",
            f"directory, search '{busy.name.lower()}'": "/organisations/?" + urlencode({"q": busy.name.lower()}),
            "directory, search 'surgery 12' (1,111 hits)": "/organisations/?q=surgery+12",
            "directory, region filter": "/organisations/?region=Y62",
            "organisation page": busy.get_absolute_url(),
        }
        print(f"pages ({REQUESTS} requests each, in-process test client, signed in as the national lead):")
        for label, page in pages.items():
            median, p95, queries, status = measure(client, page)
            print(f"  {label:44} median {median:6.1f} ms  p95 {p95:6.1f} ms  queries {queries:3d}  status {status}")
    finally:
        from django.db import connections

        connections.close_all()
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            drop_database(url)


if __name__ == "__main__":
    main()
