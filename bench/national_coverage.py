"""The whole of ODS at once, at real size, and the compliance scan over it, on PostgreSQL.

Builds in a scratch database, through `import_ods` as an operator would:

- the real NHS trusts (etr.csv), ICBs and sub-ICB locations (eccg.csv) from data/ods;
- community pharmacy companies from a synthetic head-office file (epharmacyhq.csv, fictional
  names) naming every company code the pharmacy sample uses;
- community pharmacies at real size: the real sample (data/ods/edispensary_sample.csv, every 7th
  row of the national file) 7 times, each copy with new unique ODS codes but each row's own parent
  company, region, ICB, dates and status, so the company structure is the real one scaled up;
- GP practices at real size: synthetic rows in the 27-column layout, spread over the open sub-ICB
  locations (and so the regions and ICBs), a tenth of them closed;

then a covering body whose MSO covers every small pharmacy company (a SMALL_PHARMACY_COMPANIES
rule cover), and a named MSO and MDSO at about 70% of the open trusts, bulk-created. It prints, in
one run and as one block, the counts, the first compliance scan (time, queries, flags opened), a
second scan that changes nothing (median of 5) and, next to each, one plain `~Exists` query over
the same data (open organisations with no active MSO appointment, median of 5), with the ratio;
then each coverage flag query alone, with the planner's cost estimate and the time PostgreSQL spent
compiling it with JIT. All of that twice: with the portal's connection settings (JIT off, as
msonet.settings.base sets it), then with `SET jit = on` for comparison (the flags are cleared in
between, so the second first run opens them again).

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/national_coverage.py
The scratch database (msonet_bench_coverage) is created and dropped by the script
(BENCH_KEEP_DATABASE=1 keeps it; BENCH_EXPLAIN=1 also prints EXPLAIN ANALYZE of the flag queries).
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

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ODS_DIR = ROOT / "data" / "ods"
PHARMACY_SAMPLE = ODS_DIR / "edispensary_sample.csv"
COPIES = int(os.environ.get("BENCH_PHARMACY_COPIES", 7))  # the sample is every 7th row of the national file
GP_PRACTICES = int(os.environ.get("BENCH_GP_PRACTICES", 7_200))  # a tenth closed: about 6,500 open
TRUSTS_WITH_OFFICERS = 0.7
RUNS = int(os.environ.get("BENCH_RUNS", 5))
BENCH_DB = "msonet_bench_coverage"
TODAY = datetime.date(2026, 3, 2)
ENGLISH_REGIONS = ("Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63")
FIRST_SCAN_GOAL_SECONDS = 10
STEADY_SCAN_GOAL_RATIO = 20


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


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(rows)


def ods_row(code: str, name: str, **columns: str) -> list[str]:
    """A 27-column ODS row; other columns by 1-based number, e.g. c11="19740401"."""
    row = [""] * 27
    row[0], row[1] = code, name
    for key, value in columns.items():
        row[int(key[1:]) - 1] = value
    return row


def pharmacy_rows(sample: list[list[str]]) -> list[list[str]]:
    """The sample `COPIES` times: copy 0 as it is, copy k with the code plus the digit k (the sample's
    codes are 5 characters, so a 6-character code is new), every other column kept."""
    rows = []
    for copy in range(COPIES):
        for row in sample:
            rows.append([row[0] + (str(copy) if copy else ""), *row[1:]])
    return rows


def head_office_rows(pharmacies: list[list[str]]) -> list[list[str]]:
    """One head-office row per company code the pharmacies name, with a fictional name: in the region
    of its first open English pharmacy, or with no region (companies are national)."""
    regions: dict[str, str] = {}
    for row in pharmacies:
        if row[14] and not row[11] and row[2] in ENGLISH_REGIONS:
            regions.setdefault(row[14], row[2])
    codes = sorted({row[14] for row in pharmacies if row[14]})
    return [
        ods_row(code, f"BENCH PHARMACY COMPANY {n}", c3=regions.get(code, ""), c11="19900101")
        for n, code in enumerate(codes)
    ]


def gp_practice_rows(sub_icbs: list[tuple[str, str]]) -> list[list[str]]:
    """Synthetic GP practices, each under one open sub-ICB location's region and ICB."""
    rng = random.Random(2026)
    rows = []
    for n in range(GP_PRACTICES):
        region, icb = rng.choice(sub_icbs)
        closed = n % 10 == 0
        rows.append(
            ods_row(
                f"Z{n:05d}",
                f"{rng.choice(['PARK', 'HIGH STREET', 'VALLEY', 'RIVERSIDE', 'ABBEY'])} SURGERY {n}",
                c3=region,
                c4=icb,
                c5=f"{n} HIGH STREET",
                c8="TOWN",
                c10=f"AB{n % 99} {n % 9}CD",
                c11="19740401",
                c12="20240331" if closed else "",
                c13="C" if closed else "A",
                c18=f"0161 {n:06d}",
            )
        )
    return rows


def import_file(path: Path, kind: str) -> tuple[float, str]:
    from django.core.management import call_command

    out = io.StringIO()
    start = time.perf_counter()
    call_command("import_ods", str(path), kind=kind, stdout=out)
    return time.perf_counter() - start, out.getvalue().strip().splitlines()[-1]


def build(tmp: Path) -> list[str]:
    """The data set; returns the lines describing each import."""
    from organisations.models import Organisation

    lines = []

    def run(path: Path, kind: str, rows: int) -> None:
        seconds, summary = import_file(path, kind)
        lines.append(f"  {kind:13} {path.name:30} {rows:>6,} rows  {seconds:6.2f} s  {summary}")

    run(ODS_DIR / "icb_names_codes_dec_2024.csv", "icbs", 42)
    run(ODS_DIR / "etr.csv", "trusts", len(read_rows(ODS_DIR / "etr.csv")))
    run(ODS_DIR / "eccg.csv", "sub-icbs", len(read_rows(ODS_DIR / "eccg.csv")))

    pharmacies = pharmacy_rows(read_rows(PHARMACY_SAMPLE))
    head_offices = head_office_rows(pharmacies)
    write_rows(tmp / "epharmacyhq.csv", head_offices)
    run(tmp / "epharmacyhq.csv", "pharmacy-hqs", len(head_offices))
    write_rows(tmp / "edispensary.csv", pharmacies)
    run(tmp / "edispensary.csv", "pharmacies", len(pharmacies))

    sub_icbs = list(
        Organisation.objects.filter(kind=Organisation.Kind.SUB_ICB, region__isnull=False, parent_icb__isnull=False)
        .open_on(TODAY)
        .values_list("region__code", "parent_icb__ods_code")
    )
    practices = gp_practice_rows(sub_icbs)
    write_rows(tmp / "epraccur.csv", practices)
    run(tmp / "epraccur.csv", "gp-practices", len(practices))
    return lines


def build_cover_and_officers() -> None:
    """The covering body and its rule cover (with its MSO), and named officers at about 70% of the open
    trusts, in bulk."""
    from officers.models import Appointment, Person
    from organisations.models import Cover, Organisation

    rng = random.Random(70)
    body = Organisation.objects.create(
        ods_code="BENCHCB1", name="Bench covering body", kind=Organisation.Kind.COVERING_BODY
    )
    Cover.objects.create(
        covering=body,
        rule=Cover.Rule.SMALL_PHARMACY_COMPANIES,
        role="mso",
        starts_on=datetime.date(2025, 1, 1),
        reason="Small pharmacy companies are covered by the body's MSO",
    )
    trusts = list(
        Organisation.objects.filter(kind=Organisation.Kind.NHS_TRUST).open_on(TODAY).values_list("pk", flat=True)
    )
    staffed = [pk for pk in trusts if rng.random() < TRUSTS_WITH_OFFICERS] + [body.pk]
    people = Person.objects.bulk_create(
        Person(
            first_name=f"First{n}",
            last_name=f"Last{n}",
            work_email=f"person{n}.bench@nhs.net",
            details_confirmed_on=datetime.date(2025, 9, 1),
        )
        for n in range(2 * len(staffed))
    )
    appointments = []
    for n, organisation_id in enumerate(staffed):
        for person, role in ((people[2 * n], "mso"), (people[2 * n + 1], "mdso")):
            appointments.append(
                Appointment(
                    person=person,
                    organisation_id=organisation_id,
                    role=role,
                    status="active",
                    start_date=datetime.date(2024, 1, 1),
                    mhra_registered_on=datetime.date(2024, 1, 1),
                )
            )
    Appointment.objects.bulk_create(appointments, batch_size=5000)


def timed(function):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        result = function()
        elapsed = (time.perf_counter() - start) * 1000
    return elapsed, len(ctx.captured_queries), result


def counts_block() -> list[str]:
    from django.db.models import Count, Max

    from organisations.coverage import above_threshold, english_pharmacy_count, in_england
    from organisations.models import Organisation, TypeExpectation

    labels = dict(Organisation.Kind.choices)
    everyone = dict(Organisation.objects.order_by().values_list("kind").annotate(n=Count("pk")))
    open_ = dict(Organisation.objects.open_on(TODAY).order_by().values_list("kind").annotate(n=Count("pk")))
    england = dict(
        Organisation.objects.open_on(TODAY)
        .filter(in_england(TODAY))
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    lines = [f"  {'type':28} {'all':>7} {'open':>7} {'open, in England':>17}"]
    for kind in sorted(everyone, key=lambda kind: -everyone[kind]):
        label = str(labels[kind])
        lines.append(f"  {label:28} {everyone[kind]:>7,} {open_.get(kind, 0):>7,} {england.get(kind, 0):>17,}")
    lines.append(f"  {'all':28} {sum(everyone.values()):>7,} {sum(open_.values()):>7,} {sum(england.values()):>17,}")
    threshold = TypeExpectation.objects.get(kind=Organisation.Kind.PHARMACY_COMPANY).own_officer_threshold
    companies = Organisation.objects.filter(kind=Organisation.Kind.PHARMACY_COMPANY).annotate(
        n=english_pharmacy_count(TODAY)
    )
    running = companies.filter(n__gt=0)
    largest = running.aggregate(largest=Max("n"))["largest"]
    lines.append(
        f"  pharmacy companies running an open pharmacy in England: {running.count():,}; "
        f"above the threshold of {threshold}: {companies.filter(above_threshold(TODAY)).count():,}; "
        f"the largest runs {largest:,}"
    )
    return lines


def flag_query_plans() -> str:
    """For each coverage flag query: the planner's estimated cost, and from EXPLAIN ANALYZE the time spent
    compiling it with JIT out of its whole execution time."""
    import json

    from django.db import connection

    from compliance.coverage import to_flag
    from organisations.models import Duty, Organisation

    parts = []
    for duty in (Duty.MSO, Duty.MDSO, Duty.MAILBOX):
        queryset = Organisation.objects.order_by().in_england(TODAY).open_on(TODAY).filter(to_flag(duty, TODAY))
        sql, params = queryset.values_list("pk", flat=True).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            output = cursor.fetchone()[0]
        plan = (json.loads(output) if isinstance(output, str) else output)[0]
        jit_ms = plan.get("JIT", {}).get("Timing", {}).get("Total", 0.0)
        parts.append(
            f"{duty} cost {plan['Plan']['Total Cost']:,.0f}, JIT {jit_ms:.0f} of {plan['Execution Time']:.0f} ms"
        )
    return "    planner's cost and JIT compile time of each: " + "; ".join(parts)


def explain_flag_queries() -> None:
    """EXPLAIN ANALYZE of the three coverage flag queries, as flag_findings builds them."""
    from django.db import connection

    from compliance.coverage import to_flag
    from organisations.models import Duty, Organisation

    for duty in (Duty.MSO, Duty.MDSO, Duty.MAILBOX):
        queryset = Organisation.objects.order_by().in_england(TODAY).open_on(TODAY).filter(to_flag(duty, TODAY))
        sql, params = queryset.values_list("pk", flat=True).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"\nEXPLAIN ANALYZE, flag query for {duty}:\n{plan}")


def scan_figures(label: str) -> list[str]:
    """The first scan (with no flags open), the scan again, each coverage flag query alone and the plain
    query, on this connection's settings."""
    from django.db.models import Count, Exists, OuterRef

    from compliance.coverage import to_flag
    from compliance.models import Flag
    from compliance.services import compliance_scan
    from officers.models import Appointment
    from organisations.models import Duty, Organisation

    Flag.history.all().delete()
    Flag.objects.all().delete()
    first_ms, first_queries, first = timed(compliance_scan)
    repeats = [timed(compliance_scan) for _ in range(RUNS)]
    by_kind = dict(Flag.objects.open().order_by().values_list("kind").annotate(n=Count("pk")))

    def no_mso():
        has_mso = Exists(Appointment.objects.current().filter(organisation=OuterRef("pk"), role="mso"))
        return list(Organisation.objects.open_on(TODAY).filter(~has_mso).values_list("pk", flat=True))

    plain = [timed(no_mso) for _ in range(RUNS)]
    each_flag_query = {}
    for duty in (Duty.MSO, Duty.MDSO, Duty.MAILBOX):
        queryset = Organisation.objects.order_by().in_england(TODAY).open_on(TODAY).filter(to_flag(duty, TODAY))
        runs = [timed(lambda q=queryset: list(q.values_list("pk", flat=True))) for _ in range(RUNS)]
        each_flag_query[duty] = statistics.median(r[0] for r in runs)

    plans = flag_query_plans()
    steady_ms = statistics.median(r[0] for r in repeats)
    plain_ms = statistics.median(p[0] for p in plain)
    steady_queries = sorted({r[1] for r in repeats})
    first_met = "met" if first_ms < FIRST_SCAN_GOAL_SECONDS * 1000 else "MISSED"
    steady_met = "met" if steady_ms <= STEADY_SCAN_GOAL_RATIO * plain_ms else "MISSED"
    fixed_met = "met" if len(steady_queries) == 1 else "MISSED"
    return [
        f"{label}:",
        f"  plain ~Exists query, open organisations with no active MSO appointment ({RUNS} runs): "
        f"median {plain_ms:7.1f} ms  queries {plain[-1][1]}  rows {len(plain[-1][2]):,}",
        f"  scan, first run (opens the flags):       {first_ms:8.1f} ms  queries {first_queries:2d}  "
        f"{first.summary_line():32} = {first_ms / plain_ms:5.1f}x the plain query",
        "    flags by kind: " + ", ".join(f"{kind} {n:,}" for kind, n in sorted(by_kind.items())),
        f"  scan, again ({RUNS} runs, nothing changes): median {steady_ms:8.1f} ms  "
        f"queries {'/'.join(str(q) for q in steady_queries)}  {repeats[-1][2].summary_line():32} "
        f"= {steady_ms / plain_ms:5.1f}x the plain query",
        "    each coverage flag query alone (median): "
        + ", ".join(f"{duty} {ms:.1f} ms" for duty, ms in each_flag_query.items()),
        plans,
        f"  goals: first scan under {FIRST_SCAN_GOAL_SECONDS} s {first_met}; steady scan within "
        f"{STEADY_SCAN_GOAL_RATIO}x the plain query {steady_met}; the same number of queries on every run {fixed_met}",
    ]


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
    from django.utils import timezone

    load_before = os.getloadavg()
    try:
        call_command("migrate", verbosity=0)
        noon = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=timezone.get_current_timezone())
        with time_machine.travel(noon, tick=True), tempfile.TemporaryDirectory() as tmp:
            import_lines = build(Path(tmp))
            build_cover_and_officers()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
                cursor.execute("SELECT current_setting('jit')")
                (jit,) = cursor.fetchone()
            counts = counts_block()
            # The portal's own settings first (msonet.settings.base turns JIT off on its connections),
            # then PostgreSQL's default JIT for comparison.
            portal = scan_figures(f"the portal's connection settings (jit = {jit})")
            if os.environ.get("BENCH_EXPLAIN"):
                explain_flag_queries()
            with connection.cursor() as cursor:
                cursor.execute("SET jit = on")
                cursor.execute("SELECT current_setting('jit_above_cost')")
                (jit_above_cost,) = cursor.fetchone()
            jit_on = scan_figures(f"with PostgreSQL's JIT on (jit_above_cost = {jit_above_cost}), for comparison")
        load_after = os.getloadavg()

        print(f"national coverage bench, PostgreSQL {connection.pg_version // 10000}, day {TODAY}")
        print("imports (import_ods, with history):")
        print("\n".join(import_lines))
        print("organisations by type:")
        print("\n".join(counts))
        print("\n".join(portal))
        print("\n".join(jit_on))
        print(
            "load average (1, 5, 15 min): before "
            + " ".join(f"{n:.2f}" for n in load_before)
            + ", after "
            + " ".join(f"{n:.2f}" for n in load_after)
            + f"; {os.cpu_count()} CPUs"
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            run_admin(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
