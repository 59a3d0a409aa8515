"""A meeting's attendance as CSV or XLSX: formula-like cells written as text, every download logged,
the same scoping as the meeting page, and a download that the plain import reads back."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from meetings.models import ExportLog
from tests.factories import AttendanceFactory, MeetingFactory, PersonFactory

EXPORT_QUERIES = 10


@pytest.fixture
def meeting(world):
    meeting = MeetingFactory(
        network=world.network_a, title='=HYPERLINK("http://x")', held_on=datetime.date(2026, 10, 1)
    )
    AttendanceFactory(meeting=meeting, person=world.mso_person, minutes_attended=45)
    AttendanceFactory(
        meeting=meeting,
        person=PersonFactory(first_name="+Plus", last_name="Minus", work_email="plus.minus@nhs.net"),
        minutes_attended=None,
    )
    AttendanceFactory(
        meeting=meeting,
        person=PersonFactory(first_name="@At", last_name="Sign", work_email="at.sign@nhs.net"),
        minutes_attended=12,
    )
    return meeting


def export_url(meeting, file_format):
    return reverse("meetings:attendance-export", args=[meeting.pk, file_format])


def test_csv_export_writes_formula_like_cells_as_text(client, world, meeting):
    client.force_login(world.chair_a)
    response = client.get(export_url(meeting, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"attendance-london-2026-10-01-{meeting.pk}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Meeting ID",
        "Meeting",
        "Network",
        "Held on",
        "Name",
        "Email",
        "Minutes attended",
        "Recorded from",
    ]
    # By surname: Minus, Okafor, Sign.
    assert rows[2] == [
        str(meeting.pk),
        '\'=HYPERLINK("http://x")',
        "London MSO network",
        "2026-10-01",
        "Amina Okafor",
        "mso.a@nhs.net",
        "45",
        "Marked on the meeting page",
    ]
    assert [row[4] for row in rows[1:]] == ["'+Plus Minus", "Amina Okafor", "'@At Sign"]
    assert rows[1][6] == ""


def test_xlsx_export_read_back_has_every_formula_like_cell_as_text(client, world, meeting):
    client.force_login(world.lead)
    response = client.get(export_url(meeting, "xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Meeting ID"
    # Text exactly as entered, held as text: no quote, never a formula.
    assert [row[4] for row in rows[1:]] == ["+Plus Minus", "Amina Okafor", "@At Sign"]
    assert rows[1][1] == '=HYPERLINK("http://x")'
    assert rows[2][0] == meeting.pk
    assert rows[2][3] == datetime.datetime(2026, 10, 1)  # a date cell
    assert rows[2][6] == 45
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert cell.data_type == "s", cell.coordinate


def test_every_attendance_export_is_logged(client, world, meeting):
    client.force_login(world.chair_a)
    client.get(export_url(meeting, "csv"))
    client.get(export_url(meeting, "xlsx"))
    logs = list(
        ExportLog.objects.order_by("pk").values_list("user", "network", "meeting", "content", "format", "row_count")
    )
    assert logs == [
        (world.chair_a.pk, world.network_a.pk, meeting.pk, "attendance", "csv", 3),
        (world.chair_a.pk, world.network_a.pk, meeting.pk, "attendance", "xlsx", 3),
    ]


@pytest.mark.parametrize("role", ["chair_b", "mso", "no_role"])
def test_others_get_404_for_the_export_and_nothing_is_logged(client, world, meeting, role):
    client.force_login(getattr(world, role))
    assert client.get(export_url(meeting, "csv")).status_code == 404
    assert client.get(export_url(meeting, "xlsx")).status_code == 404
    assert not ExportLog.objects.exists()


def test_an_unknown_export_format_is_404(client, world, meeting):
    client.force_login(world.lead)
    assert client.get(export_url(meeting, "pdf")).status_code == 404


def test_a_download_imported_back_finds_everyone_already_recorded(client, world, meeting):
    client.force_login(world.lead)
    content = client.get(export_url(meeting, "xlsx")).content
    upload = SimpleUploadedFile("attendance.xlsx", content)
    response = client.post(reverse("meetings:attendance-import"), {"file": upload})
    plan = response.context["plan"]
    assert plan.errors == []
    assert len(plan.already_recorded) == 3
    assert plan.to_record == []


@pytest.mark.parametrize("size", [3, 30])
def test_export_queries_do_not_grow_with_the_data(client, world, size, django_assert_max_num_queries):
    meeting = MeetingFactory(network=world.network_a)
    for _index in range(size):
        AttendanceFactory(meeting=meeting)
    client.force_login(world.chair_a)
    with django_assert_max_num_queries(EXPORT_QUERIES):
        response = client.get(export_url(meeting, "xlsx"))
    assert response.status_code == 200
    assert ExportLog.objects.get().row_count == size
