"""Benchmark of the spreadsheets the lead uploads and downloads: the check of an XLSX (and CSV)
upload of 25,000 rows and the export of 50,000 rows as XLSX and CSV, each with its peak memory.

Builds a scratch PostgreSQL database (msonet_bench_sheets, or BENCH_DATABASE; dropped at the end,
BENCH_KEEP_DATABASE=1 keeps it) with 50,000 GP practices imported through
`organisations.services.ods_import`, then runs each measurement in a child process of its own
(`--step NAME`), so that its peak memory (ru_maxrss: the whole process, Django included) is its own.
Each child runs what the page runs:

- check: the upload form's read of the file (imports.forms.read_import_file) and the check that makes
  the preview (imports.services.import_job_create, a Celery task run in-process above
  IMPORT_BACKGROUND_ROWS), 25,000 new GP practices, as XLSX and as CSV; and the reading alone
  (msonet.uploads.iter_rows), to tell the reading from the organisations service's own work, and for
  XLSX the streaming reader alone, without python-calamine;
- export: imports.services.export_create of the organisations (50,042 rows with the ICBs), as XLSX
  and as CSV, and the writing alone (msonet.spreadsheets.write_table of the same rows, held in a list).

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/spreadsheets.py
"""

import io
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bulk_import import admin_dsn, csv_data, ods_rows, run_sql, xlsx_data  # noqa: E402

# The scratch database (dropped and created again): BENCH_DATABASE names another.
BENCH_DB = os.environ.get("BENCH_DATABASE", "msonet_bench_sheets")
CHECK_ROWS = int(os.environ.get("BENCH_CHECK_ROWS", 25_000))
EXPORT_ORGANISATIONS = int(os.environ.get("BENCH_EXPORT_ORGANISATIONS", 50_000))
# What a request may take: an export that writes in less stays in the request.
REQUEST_SECONDS = 2.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django() -> None:
    os.environ.pop("REDIS_URL", None)  # Celery tasks in-process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msonet.settings.test")
    import django

    django.setup()


def build(folder: Path) -> None:
    """The scratch database's organisations, and the files to check (written to `folder`)."""
    from django.core.management import call_command

    from organisations.models import Organisation
    from organisations.services import ods_import
    from users.models import User

    call_command("migrate", verbosity=0)
    call_command("import_ods", str(ROOT / "data/ods/icb_names_codes_dec_2024.csv"), kind="icbs", stdout=io.StringIO())
    User.objects.create_user(email="bench.lead@england.nhs.uk", is_national_lead=True, is_staff=True)
    icb_codes = list(Organisation.objects.filter(kind="icb").values_list("ods_code", flat=True))
    rows = ods_rows(icb_codes)  # BENCH_ORGANISATIONS rows, codes B00000...
    for prefix in "CD"[: max(1, EXPORT_ORGANISATIONS // len(rows))]:
        other = [[prefix + row[0][1:], *row[1:]] for row in rows]
        ods_import(data=csv_data(other), kind="gp-practices", file_name=f"{prefix}.csv")
    check = rows[:CHECK_ROWS]
    (folder / "every-cell.xlsx").write_bytes(xlsx_data(check))
    (folder / "shared-strings.xlsx").write_bytes(shared_strings_xlsx(check))
    (folder / "check.csv").write_bytes(csv_data(check))


def shared_strings_xlsx(rows) -> bytes:
    """The rows as Excel saves a workbook: text in the shared strings table, empty cells left out
    (openpyxl's normal mode). bulk_import.xlsx_data writes every cell, the empty ones too, inline."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append([value or None for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


FILES = {
    "xlsx": ("every-cell.xlsx", "XLSX, every cell written inline (openpyxl write-only)"),
    "xlsx-shared": ("shared-strings.xlsx", "XLSX as Excel saves it (shared strings, no empty cells)"),
    "csv": ("check.csv", "CSV"),
}


def step_check(folder: Path, which: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from imports.forms import read_import_file
    from imports.services import import_job_create
    from msonet import uploads
    from users.models import User

    lead = User.objects.get(email="bench.lead@england.nhs.uk")
    file_name, label = FILES[which]
    file_format = "csv" if which == "csv" else "xlsx"
    name = f"epraccur.{file_format}"
    data = (folder / file_name).read_bytes()
    base = peak_mb()
    start = time.perf_counter()
    rows_read = sum(1 for _ in uploads.iter_rows(data, file_format, uploads.import_limits()))
    read_seconds = time.perf_counter() - start
    start = time.perf_counter()
    uploaded = SimpleUploadedFile(name, data)
    read = read_import_file(uploaded, file_format, dataset="organisations", ods_kind="gp-practices")
    rows_total = read.rows_total
    form_seconds = time.perf_counter() - start
    job = import_job_create(
        user=lead,
        dataset="organisations",
        file_name=name,
        file_format=file_format,
        data=data,
        ods_kind="gp-practices",
        rows_total=rows_total,
        table=read.table,
    )
    seconds = time.perf_counter() - start
    job.refresh_from_db()
    via = "Celery task in-process" if job.in_background else "in the request"
    print(f"  {label}, {len(data) / 1e6:.1f} MB:")
    print(
        f"    check of {rows_total:,} rows {seconds:6.2f} s (the upload form's read {form_seconds:.2f} s, then the "
        f"check, {via})  peak {peak_mb():.0f} MB (after start-up {base:.0f} MB)  new={job.new_count} "
        f"errors={job.error_count}"
    )
    print(f"    reading alone (msonet.uploads.iter_rows): {rows_read:,} rows in {read_seconds:.2f} s")
    if file_format == "xlsx" and hasattr(uploads, "CALAMINE_MAX_BYTES"):
        fast_bytes, uploads.CALAMINE_MAX_BYTES = uploads.CALAMINE_MAX_BYTES, 0  # the streaming reader only
        start = time.perf_counter()
        rows_streamed = sum(1 for _ in uploads.iter_rows(data, file_format, uploads.import_limits()))
        streamed_seconds = time.perf_counter() - start
        uploads.CALAMINE_MAX_BYTES = fast_bytes
        print(f"    the streaming reader alone (without calamine): {rows_streamed:,} rows in {streamed_seconds:.2f} s")


def step_export(file_format: str) -> None:
    from django.conf import settings

    from imports.datasets import DATASETS
    from imports.services import export_create
    from msonet.spreadsheets import write_table
    from users.models import User

    lead = User.objects.get(email="bench.lead@england.nhs.uk")
    base = peak_mb()
    start = time.perf_counter()
    job, content = export_create(user=lead, dataset="organisations", file_format=file_format)
    if content is None:
        job.refresh_from_db()
        content = bytes(job.data)
    seconds = time.perf_counter() - start
    via = "Celery task in-process" if job.in_background else "in the request"
    print(
        f"  {file_format:4} {job.rows_total:,} rows {seconds:6.2f} s = {job.rows_total / seconds:,.0f} rows/s, "
        f"{int(job.rows_total / seconds * REQUEST_SECONDS):,} rows in {REQUEST_SECONDS:.0f} s (EXPORT_BACKGROUND_ROWS "
        f"{settings.EXPORT_BACKGROUND_ROWS:,})"
    )
    print(
        f"    {len(content) / 1e6:.1f} MB, {via}, "
        f"peak {peak_mb():.0f} MB (after start-up {base:.0f} MB)  {job.get_status_display()}"
    )
    spec = DATASETS["organisations"]
    rows = list(spec.export_rows())
    start = time.perf_counter()
    write_table(file_format, spec.export_headers(), rows, spec.label)
    written = time.perf_counter() - start
    print(f"    writing alone (msonet.spreadsheets.write_table): {written:.2f} s = {len(rows) / written:,.0f} rows/s")


def child(step: str, folder: str) -> None:
    url = admin_dsn().rsplit("/", 1)[0] + "/" + BENCH_DB
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, __file__, "--step", step, folder], env=env, check=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        step, folder = sys.argv[2], Path(sys.argv[3])
        setup_django()
        if step == "build":
            build(folder)
        elif step.startswith("check-"):
            step_check(folder, step.removeprefix("check-"))
        elif step.startswith("export-"):
            step_export(step.removeprefix("export-"))
        return
    url = admin_dsn()
    run_sql(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    run_sql(url, f"CREATE DATABASE {BENCH_DB}")
    load = os.getloadavg()
    print(
        f"spreadsheets bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load average before "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    try:
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            child("build", folder)
            print(f"data set: {EXPORT_ORGANISATIONS:,} GP practices and the ICBs ({time.perf_counter() - start:.0f} s)")
            print(f"checks of {CHECK_ROWS:,} new GP practices (ODS layout, 27 columns), each in its own process:")
            for which in FILES:
                child(f"check-{which}", folder)
            print("exports of the organisations, each in its own process:")
            child("export-xlsx", folder)
            child("export-csv", folder)
    finally:
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            run_sql(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    load = os.getloadavg()
    print(f"load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
