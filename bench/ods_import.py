"""The ODS import's rates on PostgreSQL, next to a raw COPY of the same rows, in one run.

Builds a scratch database (msonet_bench_ods, created and dropped by the script), imports the ICB
names file, then times `manage.py import_ods` on a synthetic 25,000-row GP practice file in the
standard 27-column layout (the file bench/national_scale.py writes):

- the first import (every row new: validation, COPY of the rows and their history rows);
- the same file again (nothing changes, nothing is written);
- a file in which a tenth of the rows changed (a new telephone number, some closed);
- a raw PostgreSQL COPY of the same rows into a plain table of 27 text columns.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/ods_import.py
BENCH_ORGANISATIONS sets the number of rows (25,000); BENCH_PROFILE=first, again or changed runs
that import under cProfile and prints its 30 most costly functions (cumulative time), and
BENCH_KEEP_DATABASE=1 keeps the database for a closer look.
"""

import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national_scale import ROOT, admin_dsn, drop_database, ods_rows, recreate_database, time_copy, write_csv  # noqa: E402

BENCH_DB = "msonet_bench_ods"
REPEATS = int(os.environ.get("BENCH_REPEATS", 3))


def changed_rows(rows: list[list[str]]) -> list[list[str]]:
    """A tenth of the rows with a new telephone number; one in three of those closes."""
    changed = [list(row) for row in rows]
    for n, row in enumerate(changed):
        if n % 10 == 5:
            row[17] = f"0161 9{n:05d}"
            if n % 30 == 5:
                row[11], row[12] = "20251231", "C"
    return changed


def timed_import(path: Path, profile: bool) -> tuple[float, str]:
    from django.core.management import call_command

    out = io.StringIO()
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    call_command("import_ods", str(path), kind="gp-practices", stdout=out)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
    return seconds, out.getvalue().strip().splitlines()[-1]


def main() -> None:
    url = admin_dsn()
    dsn = recreate_database(url, BENCH_DB)
    os.environ["DATABASE_URL"] = dsn
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msonet.settings.test")
    profile = os.environ.get("BENCH_PROFILE", "")
    import django

    django.setup()
    from django.core.management import call_command

    from organisations.models import Organisation

    try:
        call_command("migrate", verbosity=0)
        call_command(
            "import_ods", str(ROOT / "data/ods/icb_names_codes_dec_2024.csv"), kind="icbs", stdout=io.StringIO()
        )
        icb_codes = list(Organisation.objects.filter(kind="icb").values_list("ods_code", flat=True))
        rows = ods_rows(icb_codes)
        n = len(rows)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "epraccur.csv"
            write_csv(rows, path)
            changed_path = Path(tmp) / "epraccur_changed.csv"
            write_csv(changed_rows(rows), changed_path)

            first, summary = timed_import(path, profile == "first")
            again = []
            for _ in range(REPEATS):
                seconds, resummary = timed_import(path, profile == "again")
                again.append(seconds)
            changed, changed_summary = timed_import(changed_path, profile == "changed")
        copies = [time_copy(dsn, rows) for _ in range(REPEATS)]
        copy_seconds = statistics.median(copies)
        again_seconds = statistics.median(again)

        print(f"import_ods, first run of {n} rows: {first:.2f} s = {n / first:,.0f} rows/s")
        print(f"  {summary}")
        print(
            f"import_ods, same file again (median of {REPEATS}): {again_seconds:.3f} s = "
            f"{n / again_seconds:,.0f} rows/s"
        )
        print(f"  {resummary}")
        print(f"import_ods, a tenth of the rows changed: {changed:.2f} s = {n / changed:,.0f} rows/s")
        print(f"  {changed_summary}")
        print(f"raw COPY of the same rows (median of {REPEATS}): {copy_seconds:.3f} s = {n / copy_seconds:,.0f} rows/s")
        print(
            f"  the first import takes {first / copy_seconds:.0f} times as long as COPY, "
            f"the unchanged re-import {again_seconds / copy_seconds:.0f} times"
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            drop_database(url, BENCH_DB)


if __name__ == "__main__":
    main()
