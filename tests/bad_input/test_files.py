"""Malformed files given to every importer: the bulk imports of organisations (ODS), people and
memberships; the Teams and plain attendance imports; the terms of reference upload; the admin's ODS
import and `manage.py import_ods`.

The files are CSV broken in every way a spreadsheet program or a person can break it (broken quotes,
wrong columns, binary, byte-order marks, UTF-16, empty, one line, one huge line, control
characters) and XLSX broken likewise (random bytes behind a ZIP header, a ZIP without the workbook
parts, a workbook with the wrong sheet first or the wrong columns, dates as text, NUL characters
escaped in cells). Whatever the file, the page never fails, the register (organisations, people,
appointments, memberships, attendance and their history) is not changed unless the whole file was
good, and a refused file is refused with a message.
"""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from committees.models import Committee
from imports.models import ImportJob
from meetings.attendance_files import PLAIN_HEADERS
from meetings.models import Attendance, UnmatchedAttendee
from networks.models import Membership
from officers.models import Appointment, Person
from organisations.models import Organisation
from tests.factories import CommitteeFactory, MeetingFactory
from tests.factories.files import MEMBERSHIP_HEADERS, PEOPLE_HEADERS, ods_row
from tests.figures import figures
from tests.strategies import (
    CSV_KINDS,
    XLSX_KINDS,
    bad_input_settings,
    bad_upload,
    db_snapshot,
    malformed_csv,
    malformed_xlsx,
    rolled_back,
    shows_error,
    snapshot_changes,
)

# The register: what an import may change only when the whole file is good.
REGISTER = (Organisation, Person, Appointment, Membership, Attendance, UnmatchedAttendee, Committee)


def register_snapshot() -> tuple:
    counts = []
    for model in REGISTER:
        counts.append(model.objects.count())
        counts.append(model.history.order_by("-history_id").values_list("history_id", flat=True).first())
    return tuple(counts)


ODS_HEADERS = [f"column {n}" for n in range(27)]
HEADERS = {"people": PEOPLE_HEADERS, "memberships": MEMBERSHIP_HEADERS, "organisations": ODS_HEADERS}


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def check_bulk_import(client, world, dataset: str, name: str, content: bytes) -> None:
    """Upload, check and (if the check passed) confirm: the register changes only when every row was
    good; otherwise the upload page or the job's page says why."""
    client.force_login(world.lead)
    with rolled_back():
        before = register_snapshot()
        response = client.post(
            reverse("imports:upload", args=[dataset]), {"file": _upload(name, content), "ods_kind": "trusts"}
        )
        assert response.status_code < 500
        assert register_snapshot() == before, "the upload (the check) wrote to the register"
        if response.status_code == 200:
            assert shows_error(response), "a refused file without a message"
            assert not ImportJob.objects.exists()
            return
        job = ImportJob.objects.get()
        page = client.get(response.url)
        assert page.status_code == 200
        if job.status == ImportJob.Status.READY:
            confirmed = client.post(reverse("imports:job-confirm", args=[job.pk]))
            assert confirmed.status_code < 500
            job.refresh_from_db()
            if job.status != ImportJob.Status.IMPORTED:
                assert register_snapshot() == before, "a failed import changed the register"
        else:
            assert job.status == ImportJob.Status.INVALID, job.status
            assert job.error_count or job.rows.exists(), "an invalid file without errors to show"
            assert shows_error(page) or "Rows with errors" in page.content.decode()


@pytest.mark.parametrize("dataset", ["people", "memberships", "organisations"])
@bad_input_settings(max_examples=8)
@given(data=st.data())
def test_bulk_import_of_a_malformed_file_never_fails_and_changes_nothing_unless_whole(client, world, dataset, data):
    name, content = data.draw(bad_upload(HEADERS[dataset]), label="file")
    check_bulk_import(client, world, dataset, name, content)
    figures.add("bad_inputs", 1)


TEAMS_HEADERS = ["Full Name", "Join Time", "Leave Time", "Duration", "Email"]


def check_attendance_import(client, world, where: str, name: str, content: bytes) -> None:
    """Nothing is written before the preview is confirmed; a file that cannot be read says why."""
    client.force_login(world.chair_a)
    with rolled_back():
        meeting = MeetingFactory(network=world.network_a)
        url = (
            reverse("meetings:teams-import", args=[meeting.pk])
            if where == "teams"
            else reverse("meetings:attendance-import")
        )
        before = db_snapshot()
        response = client.post(url, {"file": _upload(name, content)})
        assert response.status_code < 500
        assert db_snapshot() == before, snapshot_changes(before, db_snapshot())
        assert response.status_code == 200
        token = response.context["token"]
        if token is None:
            assert shows_error(response) or response.context["plan"] is not None
        else:
            confirmed = client.post(url, {"token": token})
            assert confirmed.status_code < 500


@pytest.mark.parametrize("where", ["teams", "plain"])
@bad_input_settings(max_examples=8)
@given(data=st.data())
def test_attendance_import_of_a_malformed_file_never_fails_and_writes_nothing_before_confirming(
    client, world, where, data
):
    name, content = data.draw(bad_upload(TEAMS_HEADERS if where == "teams" else PLAIN_HEADERS), label="file")
    check_attendance_import(client, world, where, name, content)
    figures.add("bad_inputs", 1)


def check_admin_ods_import(client, world, name: str, content: bytes) -> None:
    client.force_login(world.lead)
    with rolled_back():
        before = register_snapshot()
        response = client.post(
            reverse("admin:organisations_organisation_import"),
            {"resource": "0", "format": "0", "import_file": _upload(name, content)},
        )
        assert response.status_code < 500
        assert register_snapshot() == before, "the preview wrote to the register"


# Every kind of malformed file, once each, through each importer that reads files its own way.
EVERY_KIND = [("csv", kind) for kind in CSV_KINDS] + [("xlsx", kind) for kind in XLSX_KINDS]
IMPORTERS = {
    "people": lambda client, world, name, content: check_bulk_import(client, world, "people", name, content),
    "organisations": lambda client, world, name, content: check_bulk_import(
        client, world, "organisations", name, content
    ),
    "teams": lambda client, world, name, content: check_attendance_import(client, world, "teams", name, content),
    "admin-ods": check_admin_ods_import,
}
IMPORTER_HEADERS = {"people": PEOPLE_HEADERS, "organisations": ODS_HEADERS, "teams": TEAMS_HEADERS, "admin-ods": None}


@pytest.mark.parametrize("importer", list(IMPORTERS))
@bad_input_settings(max_examples=1)
@given(data=st.data())
def test_every_kind_of_malformed_file_through_every_importer(client, world, importer, data):
    headers = IMPORTER_HEADERS[importer] or ODS_HEADERS
    for fmt, kind in EVERY_KIND:
        content = data.draw(malformed_csv(headers, kind) if fmt == "csv" else malformed_xlsx(headers, kind), label=kind)
        IMPORTERS[importer](client, world, f"file.{fmt}", content)
        figures.add("bad_inputs", 1)


@bad_input_settings(max_examples=6)
@given(token=st.one_of(st.text(max_size=300), st.just("a" * 20_000), st.just("x:y:z\x00")))
def test_attendance_import_confirmation_with_a_forged_preview_is_refused(client, world, token):
    client.force_login(world.chair_a)
    with rolled_back():
        meeting = MeetingFactory(network=world.network_a)
        before = db_snapshot()
        response = client.post(reverse("meetings:teams-import", args=[meeting.pk]), {"token": token})
        assert response.status_code < 500
        assert db_snapshot() == before
        assert response.status_code == 200
        assert response.context["confirm_error"] or shows_error(response)
    figures.add("bad_inputs", 1)


terms_of_reference_file = st.one_of(
    bad_upload(["Terms", "of reference"]),
    st.tuples(
        st.sampled_from(["terms.pdf", "terms.docx", "terms.doc", "terms", "terms.exe", "terms\x00.pdf"]),
        st.one_of(
            st.binary(max_size=2000),
            st.just(b"%PDF"),
            st.just(b"%PDF-1.7\n" + b"\x00" * 100),
            malformed_xlsx(),
            st.just(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50),
        ),
    ),
)


@bad_input_settings(max_examples=10)
@given(file=terms_of_reference_file)
def test_terms_of_reference_upload_refuses_a_malformed_file_with_a_message(client, world, file):
    name, content = file
    client.force_login(world.mso)
    with rolled_back():
        committee = CommitteeFactory(organisation=world.org_a)
        before = db_snapshot()
        response = client.post(
            reverse("committees:terms-of-reference-upload", args=[world.org_a.ods_code]),
            {"file": _upload(name, content)},
        )
        assert response.status_code < 500
        if response.status_code == 200 or db_snapshot() == before:
            assert db_snapshot() == before
            assert shows_error(response)
        else:
            committee.refresh_from_db()
            assert committee.terms_of_reference
    figures.add("bad_inputs", 1)


@bad_input_settings(max_examples=6)
@given(file=bad_upload(ODS_HEADERS))
def test_admin_ods_import_of_a_malformed_file_never_fails_nor_writes(client, world, file):
    check_admin_ods_import(client, world, *file)
    figures.add("bad_inputs", 1)


def _ods_csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


ods_file = st.one_of(
    malformed_csv(ODS_HEADERS),
    malformed_xlsx(ODS_HEADERS),
    # ODS rows with bad values in them: codes, dates and regions that are no such thing.
    st.builds(
        lambda code, opened, region, good: _ods_csv(
            [ods_row("RZZ01", "Good Trust"), ods_row(code, "Bad Trust", opened=opened, region=region)]
            + ([ods_row("RZZ02", "Another Trust")] if good else [])
        ),
        st.sampled_from(["", "R", "r z!", "TOOLONGCODE1", "RZZ\u202e", "=1+1"]),
        st.sampled_from(["20150401", "20153201", "2015-04-01", "yesterday", "99999999", ""]),
        st.sampled_from(["Y56", "", "ZZZ", "Y5\u0336"]),
        st.booleans(),
    ),
)


@bad_input_settings(max_examples=8)
@given(content=ods_file)
def test_import_ods_command_stops_with_a_message_and_imports_nothing(world, tmp_path_factory, content):
    path = tmp_path_factory.mktemp("ods") / "etr.csv"
    path.write_bytes(content)
    with rolled_back():
        before = register_snapshot()
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("import_ods", str(path), kind="trusts", stdout=out, stderr=err)
        except CommandError as error:
            assert str(error), "a command error without a message"
            assert register_snapshot() == before, "a refused ODS file changed the register"
    figures.add("bad_inputs", 1)


@pytest.mark.parametrize("code", ["R", "r z!", "TOOLONGCODE1", "RZZ\u202e", "=1+1", "RZZ\x00"])
def test_import_ods_refuses_a_file_with_one_bad_code_and_imports_none_of_it(world, tmp_path, code):
    """All or nothing: the good rows around a bad ODS code are not imported either."""
    path = tmp_path / "etr.csv"
    path.write_bytes(_ods_csv([ods_row("RZZ01", "Good Trust"), ods_row(code, "Bad Trust"), ods_row("RZZ02", "Other")]))
    before = register_snapshot()
    with pytest.raises(CommandError) as error:
        call_command("import_ods", str(path), kind="trusts", stdout=io.StringIO(), stderr=io.StringIO())
    assert "Nothing was imported" in str(error.value) or "cannot" in str(error.value).lower()
    assert register_snapshot() == before
    assert not Organisation.objects.filter(ods_code__in=["RZZ01", "RZZ02"]).exists()
    figures.add("bad_inputs", 1)


# One bad value per row of a people file, and the column its error must name.
BAD_PEOPLE_ROWS = [
    ({"email": "not-an-email"}, "Work email"),
    ({"email": "nul\u2028@nhs.net"}, "Work email"),
    ({"email": "ok1@nhs.net", "first": ""}, "First name"),
    ({"email": "ok2@nhs.net", "first": "A" * 101}, "First name"),
    ({"email": "ok3@nhs.net", "phone": "call the switchboard"}, "Work telephone"),
    ({"email": "ok4@nhs.net", "phone": "+1 212 555 0100"}, "Work telephone"),
    ({"email": "ok5@nhs.net", "ods": "ral!", "role": "MSO", "start": "2024-01-01"}, "Organisation ODS code"),
    ({"email": "ok6@nhs.net", "ods": "RAL", "role": "MSO", "start": "31/02/2024"}, "Start date"),
    ({"email": "ok7@nhs.net", "ods": "RAL", "role": "MSO", "start": "yesterday"}, "Start date"),
    ({"email": "ok8@nhs.net", "ods": "RAL", "role": "Chief", "start": "2024-01-01"}, "Role"),
    ({"email": "ok9@nhs.net", "profession": "Wizard"}, "Profession"),
    (
        {
            "email": "ok10@nhs.net",
            "ods": "RAL",
            "role": "Deputy MSO",
            "status": "Ended",
            "start": "2024-06-01",
            "end": "2024-05-31",
        },
        "End date",
    ),
]


@pytest.mark.parametrize(("values", "column"), BAD_PEOPLE_ROWS, ids=[column for _, column in BAD_PEOPLE_ROWS])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_people_import_names_the_line_and_column_of_a_bad_value_and_writes_nothing(
    client, world, values, column, file_format
):
    """A good row, then a row with one bad value: the check names line 3 and the column, and the
    good row is not imported either."""
    from tests.factories.files import csv_bytes, person_row, xlsx_bytes

    values = dict(values)
    email = values.pop("email")
    rows = [PEOPLE_HEADERS, person_row("good.row@nhs.net"), person_row(email, **values)]
    content = csv_bytes(rows) if file_format == "csv" else xlsx_bytes(rows)
    client.force_login(world.lead)
    before = register_snapshot()
    response = client.post(
        reverse("imports:upload", args=["people"]), {"file": _upload(f"people.{file_format}", content)}
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.INVALID
    errors = list(job.rows.values_list("line", "column", "message"))
    assert any(line == 3 and col == column and message for line, col, message in errors), errors
    assert client.post(reverse("imports:job-confirm", args=[job.pk])).status_code == 302
    assert register_snapshot() == before
    assert not Person.objects.filter(work_email="good.row@nhs.net").exists()
    figures.add("bad_inputs", 1)


upload_names = st.one_of(
    st.sampled_from(
        [
            "terms\r\nX-Injected: yes.pdf",
            'terms";filename=evil.exe.pdf',
            "../../../etc/passwd.pdf",
            "terms\u202efdp.exe.pdf",
            "💊 terms of reference.pdf",
            "a" * 400 + ".pdf",
            ".pdf",
            "terms.PDF",
        ]
    ),
    st.text(
        alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="/\\\x00"), min_size=1, max_size=40
    ).map(lambda s: s + ".pdf"),
)


@bad_input_settings(max_examples=8)
@given(name=upload_names)
def test_a_good_file_under_any_name_is_kept_and_downloaded_without_failing(client, world, name):
    """The name a browser sends is kept only as text: control characters, quotes, paths and very
    long names neither fail the upload nor the download's headers."""
    from tests.factories.files import pdf_bytes

    client.force_login(world.mso)
    with rolled_back():
        CommitteeFactory(organisation=world.org_a)
        response = client.post(
            reverse("committees:terms-of-reference-upload", args=[world.org_a.ods_code]),
            {"file": SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")},
        )
        assert response.status_code < 500
        download = client.get(reverse("committees:terms-of-reference", args=[world.org_a.ods_code]))
        assert download.status_code < 500
        for header, value in download.headers.items():
            assert "\n" not in value and "\r" not in value, header
    figures.add("bad_inputs", 1)
