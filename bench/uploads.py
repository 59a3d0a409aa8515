"""Benchmark of the one upload path (msonet.uploads): the peak memory of each upload path, and the
time to refuse a bomb.

For each path (the lead's imports of people, memberships and organisations, `import_ods`, the Teams
and plain attendance imports, a committee's terms of reference, the admin's imports of people and
of ODS files) it sends, each in a child process of its own (tests/upload_child.py, the page's view
and service or the command, as a person's upload runs):

- the largest files accepted: a CSV file of good rows just under IMPORT_MAX_UPLOAD_BYTES (or of
  IMPORT_MAX_ROWS rows), a workbook at the limits (IMPORT_MAX_ROWS rows, every cell a different
  date: the most objects a sheet holds; as wide as the header, or for the headerless ODS extract as
  wide as the upload and part limits allow) and a workbook whose shared strings table is as many
  different strings as fit in the upload; for the terms of reference, a PDF just under its limit;
- every crafted file of tests/crafted_files.py, and a workbook read to its last row before it is
  refused (one row more than IMPORT_MAX_ROWS): the worst refused is the one that took most memory;

and prints the peak resident memory above the child's start (VmHWM less VmRSS once set up) of each
path's largest accepted and worst refused upload, against the 300 MB bound. Then it times, in this
process, the refusal of a workbook that unpacks to 450 MB (from its directory) and of one whose
directory lies (while inflating), against the goal of under 1 s.

Usage: .venv/bin/python bench/uploads.py [PATH ...]   (SQLite, in a scratch folder it removes)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msonet.settings.test")
BOUND_MB = 300


def main(paths: list[str]) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench-uploads-"))
    template = scratch / "template.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{template}"}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from django.conf import settings

    from tests.crafted_files import accepted_file, archive_bombs, crafted, document_bombs
    from tests.upload_child import PATHS

    paths = paths or list(PATHS)
    bombs, documents = archive_bombs(), document_bombs()
    mb = {
        name: getattr(settings, name) / 2**20
        for name in (
            "IMPORT_MAX_UPLOAD_BYTES",
            "TERMS_OF_REFERENCE_MAX_BYTES",
            "UPLOAD_MAX_UNPACKED_BYTES",
            "UPLOAD_MAX_UNPACKED_PART_BYTES",
        )
    }
    print(
        f"Limits: upload {mb['IMPORT_MAX_UPLOAD_BYTES']:.0f} MB (terms of reference "
        f"{mb['TERMS_OF_REFERENCE_MAX_BYTES']:.0f} MB), unpacked {mb['UPLOAD_MAX_UNPACKED_BYTES']:.0f} MB in all "
        f"and {mb['UPLOAD_MAX_UNPACKED_PART_BYTES']:.0f} MB per part, {settings.IMPORT_MAX_ROWS:,} rows, "
        f"{settings.IMPORT_MAX_COLUMNS} cells a row, {settings.IMPORT_MAX_CELL_CHARACTERS:,} characters a cell"
    )
    print(f"Peak resident memory above the child's start (bound {BOUND_MB} MB):")
    for path in paths:
        if path == "terms_of_reference":
            accepted = {"largest PDF": accepted_file(path, settings.TERMS_OF_REFERENCE_MAX_BYTES // 1024 - 2)}
            refused = {**documents, **crafted(path)}
        else:
            # The row limit counts every row with a value, a header row too.
            rows = settings.IMPORT_MAX_ROWS - (0 if path in ("organisations", "import_ods", "admin_ods") else 1)
            upload = settings.IMPORT_MAX_UPLOAD_BYTES - 64 * 1024
            accepted = {"largest CSV": largest_csv(path, upload, rows)}
            accepted["workbook at the limits"] = dense_workbook(path, rows, size=upload)
            accepted["workbook with the largest shared strings table"] = strings_workbook(
                path, settings.IMPORT_MAX_UPLOAD_BYTES - 64 * 1024
            )
            refused = {**bombs, **crafted(path)}
            refused["workbook refused at its last row"] = dense_workbook(path, rows + 1, size=upload)
        results = {}
        for group, files in (("accepted", accepted), ("refused", refused)):
            for label, (name, content) in files.items():
                file = scratch / f"{path}--{name}"
                file.write_bytes(content)
                started = time.perf_counter()
                report = run(path, file, template, scratch)
                outcome = report["files"][0]
                results[(group, label)] = (
                    report["peak_above_start_mb"],
                    len(content),
                    outcome,
                    time.perf_counter() - started,
                )
                file.unlink()
        show(path, results)
    shutil.rmtree(scratch)
    time_refusals(bombs, documents)


def largest_csv(path: str, size: int, max_rows: int) -> tuple[str, bytes]:
    """A CSV file of good rows for the path, just under `size` bytes and at most `max_rows` rows."""
    from tests.crafted_files import accepted_file

    rows = max_rows
    while True:
        name, content = accepted_file(path, rows)
        if len(content) <= size:
            return name, content
        rows = int(rows * size / len(content) * 0.99)


def dense_workbook(path: str, rows: int, width: int | None = None, size: int | None = None) -> tuple[str, bytes]:
    """A workbook of `rows` data rows, every cell a different date (the most objects a sheet of its
    size holds): as wide as the path's header; for the headerless ODS extract, as wide as fits in
    `size` bytes on disk and the unpacked part limit."""
    from django.conf import settings

    from tests.crafted_files import (
        CONTENT_TYPES,
        NS,
        SHEET_END,
        SHEET_START,
        WORKBOOK,
        WORKBOOK_RELS,
        good_rows,
        zip_parts,
    )

    header = good_rows(path)[0] if path not in ("organisations", "import_ods", "admin_ods") else []
    if width is None:
        width = len(header) if header else settings.UPLOAD_MAX_UNPACKED_PART_BYTES // (rows * 26)
    styles = b"<styleSheet " + NS + b'><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>'

    def sheet():
        yield SHEET_START
        if header:
            yield (
                b'<row r="1">'
                + b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % h.encode() for h in header[:width])
                + b"</row>"
            )
        serial = 1
        for number in range(2, rows + 2):
            cells = []
            for _ in range(width):
                cells.append(b'<c s="1"><v>%d</v></c>' % (1 + serial % 2958000))
                serial += 1
            yield b'<row r="%d">%s</row>' % (number, b"".join(cells))
        yield SHEET_END

    data = zip_parts(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "xl/workbook.xml": WORKBOOK,
            "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
            "xl/styles.xml": styles,
            "xl/worksheets/sheet1.xml": sheet(),
        }
    )
    if size is not None and len(data) > size and not header:
        return dense_workbook(path, rows, int(width * size / len(data) * 0.98), size)
    return "dense.xlsx", data


def strings_workbook(path: str, size: int) -> tuple[str, bytes]:
    """A workbook whose shared strings table is as many different short strings as fit in `size`
    bytes on disk (the most objects a table can make within the upload limit), its sheet the
    path's header and rows using a few of them."""
    from tests.crafted_files import NS, good_rows, sheet_rows, workbook

    count = 3_000_000
    while True:
        strings = [b"<sst " + NS + b">", *(b"<si><t>%x</t></si>" % n for n in range(count)), b"</sst>"]
        data = workbook(sheet_rows(good_rows(path)), shared_strings=iter(strings))
        if len(data) <= size:
            return "strings.xlsx", data
        count = int(count * size / len(data) * 0.99)


def run(path: str, file: Path, template: Path, scratch: Path) -> dict:
    database = scratch / "child.sqlite3"
    shutil.copy(template, database)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "msonet.settings.test", "DATABASE_URL": f"sqlite:///{database}"}
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.upload_child", path, str(file)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def show(path: str, results: dict) -> None:
    print(f"{path}:")
    for group in ("accepted", "refused"):
        rows = [(label, *values) for (kind, label), values in results.items() if kind == group]
        label, peak, size, outcome, seconds = max(rows, key=lambda row: row[1])
        word = "largest accepted" if group == "accepted" else "worst refused"
        said = outcome["message"].replace("\n", " ")[:110]
        print(f"  {word}: {label} ({size / 2**20:.2f} MB): peak {peak:.1f} MB, {seconds:.1f} s; {said}")
        if group == "accepted":
            for other_label, other_peak, other_size, other, other_seconds in rows:
                if other_label != label:
                    print(
                        f"    also: {other_label} ({other_size / 2**20:.2f} MB): peak {other_peak:.1f} MB, "
                        f"{other_seconds:.1f} s; {other['message'].replace(chr(10), ' ')[:70]}"
                    )
    worst = max(values[0] for values in results.values())
    print(f"  bound {BOUND_MB} MB: {'met' if worst < BOUND_MB else 'MISSED'} (worst {worst:.1f} MB)")


def time_refusals(bombs: dict, documents: dict) -> None:
    from msonet import uploads

    limits = uploads.import_limits()
    print("Time to refuse a bomb (goal under 1 s, before inflating):")
    cases = [
        ("workbook unpacking to 450 MB, from its directory", bombs["unpacks past the part limit"][1], "directory"),
        ("workbook whose directory lies (sheet of 100 MB said to be 1,000 bytes)", bombs["lying directory"][1], "rows"),
        ("shared strings whose directory lies (100 MB)", bombs["huge shared strings, lying directory"][1], "rows"),
        (
            "terms of reference unpacking to 450 MB, from its directory",
            documents["unpacks past the part limit"][1],
            "docx",
        ),
        ("terms of reference whose directory lies (100 MB)", documents["lying directory"][1], "docx"),
    ]
    for label, data, how in cases:
        best = None
        for _ in range(5):
            started = time.perf_counter()
            try:
                if how == "directory":
                    uploads.spreadsheet_format("bomb.xlsx", data, limits, expected="a workbook")
                elif how == "rows":
                    list(uploads.iter_rows(data, "xlsx", limits))
                else:
                    uploads.check_archive(data, uploads.document_limits(), what="document")
            except uploads.UploadRefused:
                pass
            else:
                raise AssertionError(f"{label} was not refused")
            seconds = time.perf_counter() - started
            best = seconds if best is None else min(best, seconds)
        print(
            f"  {label} ({len(data) / 2**10:,.0f} KB on disk): {best * 1000:.1f} ms: {'met' if best < 1 else 'MISSED'}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
