"""A meeting's attendance as a CSV or XLSX file, in the columns the plain attendance import reads back."""

from django.db import transaction

from msonet.spreadsheets import write_table
from officers.models import by_surname

from .attendance_files import PLAIN_HEADERS
from .models import ExportLog, Meeting


def attendance_rows(meeting: Meeting) -> list[list]:
    """A meeting's attendance in the order of PLAIN_HEADERS, by surname (one query)."""
    attendances = meeting.attendances.select_related("person").order_by(*by_surname("person__"), "pk")
    return [
        [
            meeting.pk,
            meeting.title,
            meeting.network.name,
            meeting.held_on,
            attendance.person.full_name,
            attendance.person.work_email,
            attendance.minutes_attended,
            attendance.get_source_display(),
        ]
        for attendance in attendances
    ]


@transaction.atomic
def attendance_export(*, user, meeting: Meeting, file_format: str) -> bytes:
    """A meeting's attendance as CSV or XLSX (cells a spreadsheet would read as a formula written as
    text; the same columns the plain attendance import reads back); logged."""
    rows = attendance_rows(meeting)
    content = write_table(file_format, PLAIN_HEADERS, rows, title=f"Attendance {meeting.held_on:%Y-%m-%d}")
    ExportLog.objects.create(
        user=user,
        network=meeting.network,
        meeting=meeting,
        content=ExportLog.Content.ATTENDANCE,
        format=file_format,
        row_count=len(rows),
    )
    return content
