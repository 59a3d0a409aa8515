"""The compliance scan at national scale, on PostgreSQL.

Builds 25,000 organisations (GP practices, trusts, community pharmacies under their companies;
a tenth closed), 30,000 people and 40,000 appointments in a scratch database, then prints in one run
the scan's time and query count (the first run, which opens the flags, and a second, which changes
nothing) next to the time of one plain `~Exists` query for "open organisations with no active named
MSO".

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/compliance_scan.py
The scratch database (msonet_bench_compliance) is created and dropped by the script
(BENCH_KEEP_DATABASE=1 keeps it).
"""

import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORGANISATIONS = int(os.environ.get("BENCH_ORGANISATIONS", 25_000))
PEOPLE = int(os.environ.get("BENCH_PEOPLE", 30_000))
APPOINTMENTS = int(os.environ.get("BENCH_APPOINTMENTS", 40_000))
HANDOVERS = int(os.environ.get("BENCH_HANDOVERS", 500))
RUNS = int(os.environ.get("BENCH_RUNS", 5))
REGIONS = ["Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63"]
BENCH_DB = "msonet_bench_compliance"
TODAY = datetime.date(2026, 3, 2)


def admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not url.startswith("postgres"):
        sys.exit("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    return url


def run_admin(url: str, sql: str) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


def build() -> None:
    """The data set, in bulk: what the scan reads, with every kind of finding somewhere."""
    from handovers.models import Handover
    from officers.models import Appointment, Person
    from organisations.models import Organisation, Region

    rng = random.Random(2026)
    regions = list(Region.objects.filter(code__in=REGIONS))  # created by the migrations
    companies = Organisation.objects.bulk_create(
        Organisation(ods_code=f"C{n:04d}", name=f"PHARMACY COMPANY {n}", kind="pharmacy_company", region=regions[0])
        for n in range(50)
    )
    organisations = []
    for n in range(ORGANISATIONS - len(companies)):
        kind = rng.choices(["gp_practice", "pharmacy", "nhs_trust"], weights=[60, 36, 4])[0]
        organisations.append(
            Organisation(
                ods_code=f"B{n:05d}",
                name=f"ORGANISATION {n}",
                kind=kind,
                region=rng.choice(regions),
                parent=rng.choice(companies) if kind == "pharmacy" and rng.random() < 0.9 else None,
                opened_on=datetime.date(1974, 4, 1) if n % 50 != 1 else datetime.date(2026, 6, 1),
                closed_on=datetime.date(2024, 3, 31) if n % 10 == 0 else None,
                generic_mailbox="" if rng.random() < 0.15 else f"b{n}.mso@nhs.net",
            )
        )
    Organisation.objects.bulk_create(organisations, batch_size=5000)
    people = Person.objects.bulk_create(
        (
            Person(
                first_name=f"First{n}",
                last_name=f"Last{n}",
                work_email=f"person{n}.bench@nhs.net",
                details_confirmed_on=rng.choice([None, datetime.date(2024, 6, 1), datetime.date(2025, 9, 1)]),
            )
            for n in range(PEOPLE)
        ),
        batch_size=5000,
    )
    org_ids = list(Organisation.objects.exclude(kind="pharmacy").values_list("id", flat=True))
    pharmacy_ids = list(Organisation.objects.filter(kind="pharmacy", parent__isnull=True).values_list("id", flat=True))
    rng.shuffle(org_ids)
    person_iter = iter(rng.choices(people, k=APPOINTMENTS))
    appointments = []

    def named(org_id, role):
        start = rng.choice([datetime.date(2023, 1, 1), datetime.date(2026, 1, 5), datetime.date(2026, 2, 20)])
        appointments.append(
            Appointment(
                person=next(person_iter),
                organisation_id=org_id,
                role=role,
                status="active",
                start_date=start,
                mhra_registered_on=start if rng.random() < 0.8 else None,
            )
        )

    for org_id in org_ids + pharmacy_ids:
        if len(appointments) >= APPOINTMENTS - 1:
            break
        if rng.random() < 0.7:
            named(org_id, "mso")
        if rng.random() < 0.4:
            named(org_id, "mdso")
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
    msos = list(Appointment.objects.filter(role="mso").values_list("id", "organisation_id")[:HANDOVERS])
    Handover.objects.bulk_create(
        Handover(
            organisation_id=org_id,
            outgoing_appointment_id=appointment_id,
            leaving_date=datetime.date(2026, 2, 1),
            due_date=rng.choice([datetime.date(2026, 2, 27), datetime.date(2026, 3, 30)]),
        )
        for appointment_id, org_id in msos
    )


def timed(function):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        result = function()
        elapsed = (time.perf_counter() - start) * 1000
    return elapsed, len(ctx.captured_queries), result


def main() -> None:
    url = admin_url()
    run_admin(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    run_admin(url, f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + BENCH_DB
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msonet.settings.test")
    import django

    django.setup()
    import time_machine
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from compliance.models import Flag
    from compliance.services import compliance_scan
    from officers.models import Appointment
    from organisations.models import Organisation

    try:
        call_command("migrate", verbosity=0)
        build()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        open_count = Organisation.objects.open_on(TODAY).count()
        print(
            f"data set: {Organisation.objects.count():,} organisations ({open_count:,} open), "
            f"{PEOPLE:,} people, {Appointment.objects.count():,} appointments, {HANDOVERS} handovers"
        )

        noon = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=timezone.get_current_timezone())
        with time_machine.travel(noon, tick=True):
            first_ms, first_queries, first = timed(compliance_scan)
            repeats = [timed(compliance_scan) for _ in range(RUNS)]

            def no_mso():
                has_mso = Exists(Appointment.objects.current().filter(organisation=OuterRef("pk"), role="mso"))
                return list(Organisation.objects.open().filter(~has_mso).values_list("pk", flat=True))

            plain = [timed(no_mso) for _ in range(RUNS)]

        by_kind = dict(Flag.objects.open().values_list("kind").annotate(n=django.db.models.Count("pk")))
        print(
            f"scan, first run (opens the flags): {first_ms:8.1f} ms  queries {first_queries:2d}  {first.summary_line()}"
        )
        print("  open flags by kind: " + ", ".join(f"{kind} {n:,}" for kind, n in sorted(by_kind.items())))
        print(
            f"scan, again ({RUNS} runs, nothing changes): median {statistics.median(r[0] for r in repeats):8.1f} ms  "
            f"queries {repeats[-1][1]:2d}  {repeats[-1][2].summary_line()}"
        )
        print(
            f"one plain ~Exists query, open organisations with no active named MSO ({RUNS} runs): "
            f"median {statistics.median(p[0] for p in plain):6.1f} ms  queries {plain[-1][1]}  "
            f"rows {len(plain[-1][2]):,}"
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            run_admin(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
