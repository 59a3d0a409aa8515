"""Benchmark of the lead's bulk import and export (the imports app) on PostgreSQL.

Runs the same code as the portal's pages, through the services behind them: the upload check
(size and type by content), the check that makes the preview, and the import on confirmation.
A file of more than IMPORT_BACKGROUND_ROWS rows goes through the Celery tasks; without REDIS_URL
they run in-process, as here. Prints:

- the ODS import service alone on 25,000 rows (a dry run and a first import), for comparison;
- 25,000 ODS organisation rows (GP practices, CSV): check, then import, first run and again;
- the same rows as an XLSX workbook, checked;
- 10,000 people with an appointment each (CSV): check, then import;
- exports of the 25,000 organisations and of the people, as CSV and XLSX.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bulk_import.py
The scratch database (msonet_bench_imports) is created and dropped by the script
(BENCH_KEEP_DATABASE=1 keeps it).
"""

import csv
import io
import os
import random
import sys
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORGANISATIONS = int(os.environ.get("BENCH_ORGANISATIONS", 25_000))
PEOPLE = int(os.environ.get("BENCH_PEOPLE", 10_000))
REGIONS = ["Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63"]
BENCH_DB = "msonet_bench_imports"


def admin_dsn() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not url.startswith("postgres"):
        sys.exit("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    return url


def run_sql(url: str, sql: str) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


def ods_rows(icb_codes: list[str]) -> list[list[str]]:
    """Synthetic GP-practice rows in the standard 27-column ODS layout."""
    rng = random.Random(2026)
    rows = []
    for n in range(ORGANISATIONS):
        closed = n % 10 == 0
        row = [""] * 27
        row[0] = f"B{n:05d}"
        row[1] = f"{rng.choice(['PARK', 'HIGH STREET', 'VALLEY', 'RIVERSIDE', 'ABBEY'])} SURGERY {n}"
        row[2] = rng.choice(REGIONS)
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


def people_rows(ods_codes: list[str]) -> list[list[str]]:
    rng = random.Random(7)
    header = ["Work email", "First name", "Last name", "Job title", "Profession", "Work telephone"]
    header += ["Organisation ODS code", "Role", "Status", "Start date"]
    rows = [header]
    for n in range(PEOPLE):
        rows.append(
            [
                f"person{n}.bench@nhs.net",
                f"First{n}",
                f"Last{n}",
                "Medication safety pharmacist",
                "Pharmacist",
                f"+44 161 {n:06d}",
                rng.choice(ods_codes),
                rng.choice(["Deputy MSO", "Team member"]),
                "Active",
                "2025-01-06",
            ]
        )
    return rows


def csv_data(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL).writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_data(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("ODS")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    url = admin_dsn()
    run_sql(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    run_sql(url, f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + BENCH_DB
    os.environ.pop("REDIS_URL", None)  # Celery tasks in-process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msonet.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from imports.services import export_create, import_job_confirm, import_job_create
    from msonet import uploads
    from organisations.models import Organisation
    from organisations.services import ods_import
    from users.models import User

    def upload_and_check(data: bytes, name: str, dataset: str, ods_kind: str = ""):
        uploads.check_size(len(data), settings.IMPORT_MAX_UPLOAD_BYTES)
        file_format = uploads.spreadsheet_format(
            name, data, uploads.import_limits(), expected="a CSV file or an Excel workbook (.xlsx)", require_suffix=True
        )
        job = import_job_create(
            user=lead, dataset=dataset, file_name=name, file_format=file_format, data=data, ods_kind=ods_kind
        )
        job.refresh_from_db()
        return job

    def confirm(job):
        job = import_job_confirm(job_id=job.pk, user=lead)
        job.refresh_from_db()
        return job

    def show(label: str, job, check_seconds: float, import_seconds: float | None, rows: int) -> None:
        print(f"{label}")
        via = "Celery task (in-process)" if job.in_background else "in the request"
        print(f"  check (preview), {via}: {check_seconds:.2f} s = {rows / check_seconds:,.0f} rows/s")
        print(
            f"    new={job.new_count} changed={job.changed_count} "
            f"unchanged={job.unchanged_count} errors={job.error_count}"
        )
        if import_seconds is not None:
            print(f"  import on confirmation:   {import_seconds:.2f} s = {rows / import_seconds:,.0f} rows/s")
            total = check_seconds + import_seconds
            print(f"  check and import:         {total:.2f} s  status {job.status}")

    try:
        call_command("migrate", verbosity=0)
        call_command(
            "import_ods", str(ROOT / "data/ods/icb_names_codes_dec_2024.csv"), kind="icbs", stdout=io.StringIO()
        )
        lead = User.objects.create_user(email="bench.lead@england.nhs.uk", is_national_lead=True, is_staff=True)
        icb_codes = list(Organisation.objects.filter(kind="icb").values_list("ods_code", flat=True))
        rows = ods_rows(icb_codes)
        data = csv_data(rows)
        n = len(rows)
        print(
            f"{n:,} ODS rows (GP practices), CSV of {len(data) / 1e6:.1f} MB; background above "
            f"{settings.IMPORT_BACKGROUND_ROWS:,} rows"
        )

        # The ODS import service alone, for comparison: its dry run on these rows, and a first import
        # of the same number of other organisations (other codes), as `manage.py import_ods` runs it.
        _, dry_seconds = timed(ods_import, data=data, kind="gp-practices", file_name="epraccur.csv", dry_run=True)
        other = csv_data([["C" + row[0][1:], *row[1:]] for row in rows])
        _, service_seconds = timed(ods_import, data=other, kind="gp-practices", file_name="other.csv", user=lead)
        print("the ODS import service alone (organisations.services.ods_import), for comparison:")
        print(f"  dry run of {n:,} new rows:      {dry_seconds:.2f} s = {n / dry_seconds:,.0f} rows/s")
        print(f"  first import of {n:,} rows:     {service_seconds:.2f} s = {n / service_seconds:,.0f} rows/s")

        job, check_seconds = timed(upload_and_check, data, "epraccur.csv", "organisations", "gp-practices")
        job, import_seconds = timed(confirm, job)
        show(
            f"organisations, first import of {n:,} rows through the import pages' services:",
            job,
            check_seconds,
            import_seconds,
            n,
        )
        print(
            f"  the check takes {check_seconds / dry_seconds:.2f} times the service's dry run; the import "
            f"{import_seconds / service_seconds:.2f} times the service's import"
        )

        job, check_seconds = timed(upload_and_check, data, "epraccur.csv", "organisations", "gp-practices")
        show(f"organisations, the same {n:,} rows again (nothing to import):", job, check_seconds, None, n)

        workbook = xlsx_data(rows)
        job, check_seconds = timed(upload_and_check, workbook, "epraccur.xlsx", "organisations", "gp-practices")
        show(f"organisations, the same rows as XLSX ({len(workbook) / 1e6:.1f} MB):", job, check_seconds, None, n)

        people = people_rows(icb_codes)
        people_data = csv_data(people)
        job, check_seconds = timed(upload_and_check, people_data, "people.csv", "people")
        job, import_seconds = timed(confirm, job)
        show(f"people and appointments, {PEOPLE:,} new rows:", job, check_seconds, import_seconds, PEOPLE)

        print("exports (Celery task in-process above the threshold):")
        for dataset in ("organisations", "people"):
            for file_format in ("csv", "xlsx"):
                (job, content), seconds = timed(export_create, user=lead, dataset=dataset, file_format=file_format)
                if content is None:
                    job.refresh_from_db()
                    content = bytes(job.data)
                print(
                    f"  {dataset:14} {file_format:5} {job.rows_total:7,} rows  {seconds:5.2f} s  "
                    f"{len(content) / 1e6:5.1f} MB  {job.get_status_display()}"
                )
    finally:
        from django.db import connections

        connections.close_all()
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            run_sql(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
