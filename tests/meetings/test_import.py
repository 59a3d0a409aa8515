"""Attendance imports: a Microsoft Teams attendance report into one meeting, and a plain file of
meeting and email rows into the meetings the user manages. Every import is previewed first (nothing
written), then confirmed, and commits all or nothing."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from meetings import attendance_files, attendance_import
from meetings.models import Attendance, Meeting, UnmatchedAttendee
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    PersonFactory,
    UnmatchedAttendeeFactory,
    UserFactory,
    WebinarFactory,
)

# Session, user, navigation, two-factor check, then the meeting, the people by email, the
# attendance and unmatched attendees already there.
PREVIEW_QUERIES = 12

TEAMS_HEADER = ["Name", "First Join", "Last Leave", "In-Meeting Duration", "Email", "Participant ID (UPN)", "Role"]


def teams_report(participants, *, activities=None) -> str:
    """A current Teams attendance report (the text; encode it as Teams does with `utf16`)."""
    lines = [
        ["1. Summary"],
        ["Meeting title", "National MSO webinar"],
        ["Attended participants", str(len(participants))],
        ["Start time", "10/14/26, 9:58:31 AM"],
        ["End time", "10/14/26, 11:02:10 AM"],
        ["Meeting duration", "1h 3m 39s"],
        [],
        ["2. Participants"],
        TEAMS_HEADER,
        *participants,
        [],
        ["3. In-Meeting Activities"],
        ["Name", "Join Time", "Leave Time", "Duration", "Email", "Role"],
        *(activities or []),
    ]
    return "\r\n".join("\t".join(cells) for cells in lines) + "\r\n"


def utf16(text: str) -> bytes:
    return "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")


def participant(name, email, duration="45m 10s", upn=None, role="Attendee"):
    return [name, "10/14/26, 10:00:00 AM", "10/14/26, 10:45:10 AM", duration, email, upn or email, role]


def upload(content: bytes, name="meetingAttendanceReport.csv", content_type="text/csv"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def webinar(world):
    return WebinarFactory(network=world.national, title="Insulin safety", held_on=datetime.date(2026, 10, 14))


@pytest.fixture
def report(world, webinar):
    """Amina (work email, in another case), Ben (already recorded), Priya (her sign-in email), a
    guest no one knows, and Amina again from her phone."""
    AttendanceFactory(meeting=webinar, person=world.other_person, minutes_attended=50)
    priya = PersonFactory(
        first_name="Priya", last_name="Shah", work_email="priya.shah@nhs.net", user=UserFactory(email="p.shah@nhs.net")
    )
    text = teams_report(
        [
            participant("Amina Okafor", "Mso.A@NHS.net", "1h 1m 41s", role="Organizer"),
            participant("Ben Whitaker", "mso.b@nhs.net"),
            participant("Priya Shah", "P.Shah@nhs.net", "30m"),
            participant("Guest Visitor", "visitor@example.org", "20m 5s"),
            participant("Amina Okafor (phone)", "mso.a@nhs.net", "5m"),
        ],
        activities=[["Amina Okafor", "10/14/26, 9:58:31 AM", "10/14/26, 11:00:12 AM", "1h 1m 41s", "mso.a@nhs.net"]],
    )
    return utf16(text), priya


def teams_url(meeting):
    return reverse("meetings:teams-import", args=[meeting.pk])


def preview(client, url, content, **kwargs):
    response = client.post(url, {"file": upload(content, **kwargs)})
    assert response.status_code == 200
    return response


def confirm(client, url, response):
    return client.post(url, {"token": response.context["token"]})


# Teams reports


def test_teams_preview_sorts_matched_unmatched_and_already_recorded_and_writes_nothing(
    client, world, webinar, report, django_assert_max_num_queries
):
    content, priya = report
    client.force_login(world.lead)
    with django_assert_max_num_queries(PREVIEW_QUERIES):
        response = preview(client, teams_url(webinar), content)
    plan = response.context["plan"]
    assert plan.errors == []
    assert {row.person for row in plan.to_record} == {world.mso_person, priya}
    assert [row.person for row in plan.already_recorded] == [world.other_person]
    assert [(row.attendee.name, row.attendee.email) for row in plan.unmatched] == [
        ("Guest Visitor", "visitor@example.org")
    ]
    page = response.content.decode()
    assert "Check the import" in page
    assert ">Import 3 new rows</button>" in page  # two attendances to record, one attendee to list
    assert "Guest Visitor" in page
    # A preview writes nothing.
    assert list(Attendance.objects.values_list("person", flat=True)) == [world.other_person.pk]
    assert not UnmatchedAttendee.objects.exists()


def test_confirming_a_teams_import_records_the_matched_and_lists_the_unmatched(client, world, webinar, report):
    content, priya = report
    client.force_login(world.lead)
    response = confirm(client, teams_url(webinar), preview(client, teams_url(webinar), content))
    assert response.status_code == 302
    assert response["Location"] == webinar.get_absolute_url()
    minutes = dict(Attendance.objects.filter(meeting=webinar).values_list("person", "minutes_attended"))
    # Amina twice in the participants (62 + 5 minutes), once only in the activities section, which is not read.
    assert minutes == {world.mso_person.pk: 67, priya.pk: 30, world.other_person.pk: 50}
    imported = Attendance.objects.get(person=priya)
    assert (imported.source, imported.recorded_by) == (Attendance.Source.TEAMS, world.lead)
    history = Attendance.history.get(person_id=priya.pk)
    assert (history.history_user, history.history_change_reason) == (
        world.lead,
        "Imported from a Teams attendance report",
    )
    guest = UnmatchedAttendee.objects.get()
    assert (guest.meeting, guest.name, guest.email, guest.minutes_attended, guest.status) == (
        webinar,
        "Guest Visitor",
        "visitor@example.org",
        20,
        "open",
    )
    assert guest.history.get().history_user == world.lead
    page = client.get(webinar.get_absolute_url()).content.decode()
    assert "Imported attendees waiting to be matched" in page
    assert "visitor@example.org" in page


def test_importing_the_same_report_again_adds_nothing(client, world, webinar, report):
    content, _priya = report
    client.force_login(world.lead)
    confirm(client, teams_url(webinar), preview(client, teams_url(webinar), content))
    UnmatchedAttendee.objects.update(status="dismissed", resolved_at=webinar.created_at)
    response = preview(client, teams_url(webinar), content)
    plan = response.context["plan"]
    assert (len(plan.to_record), len(plan.unmatched), len(plan.already_recorded), len(plan.already_listed)) == (
        0,
        0,
        3,
        1,
    )
    assert response.context["token"] is None
    assert "This file adds nothing new" in response.content.decode()


def test_the_oldest_teams_log_of_joins_and_leaves_is_read_by_name(client, world):
    meeting = MeetingFactory(network=world.network_a)
    text = "\n".join(
        [
            "Full Name\tUser Action\tTimestamp",
            "Amina Okafor\tJoined\t10/14/2026, 9:58:00 AM",
            "Guest Visitor\tJoined before\t10/14/2026, 10:00:00 AM",
            "Amina Okafor\tLeft\t10/14/2026, 10:28:00 AM",
            "Amina Okafor\tJoined\t10/14/2026, 10:40:00 AM",
            "Amina Okafor\tLeft\t10/14/2026, 10:50:00 AM",
            "Guest Visitor\tLeft\t10/14/2026, 10:15:00 AM",
        ]
    )
    client.force_login(world.chair_a)
    response = preview(client, teams_url(meeting), utf16(text))
    plan = response.context["plan"]
    assert plan.errors == []
    assert [(row.attendee.name, row.attendee.minutes) for row in plan.unmatched] == [
        ("Amina Okafor", 40),
        ("Guest Visitor", 15),
    ]
    confirm(client, teams_url(meeting), response)
    assert set(UnmatchedAttendee.objects.values_list("key", flat=True)) == {"name:amina okafor", "name:guest visitor"}


def test_a_utf8_comma_separated_report_takes_minutes_from_join_and_leave_times(client, world):
    meeting = MeetingFactory(network=world.network_a)
    text = (
        "Full Name,Join Time,Leave Time,Email\n"
        '"Okafor, Amina",14/10/2026 09:58:00,14/10/2026 10:43:29,mso.a@nhs.net\n'
        "Chloe Adeyemi,14/10/2026 10:00:00,,chair.a@nhs.net\n"
    )
    client.force_login(world.chair_a)
    response = preview(client, teams_url(meeting), text.encode("utf-8"))
    plan = response.context["plan"]
    assert plan.errors == []
    assert {(row.person.full_name, row.attendee.minutes) for row in plan.to_record} == {
        ("Amina Okafor", 45),
        ("Chloe Adeyemi", None),
    }


def test_a_teams_report_saved_as_xlsx_is_read(client, world):
    meeting = MeetingFactory(network=world.network_a)
    workbook = Workbook()
    sheet = workbook.active
    for row in [["1. Summary"], ["Meeting title", "London"], [], ["2. Participants"], TEAMS_HEADER]:
        sheet.append(row)
    sheet.append(participant("Amina Okafor", "mso.a@nhs.net", "1:02:03"))
    out = io.BytesIO()
    workbook.save(out)
    client.force_login(world.chair_a)
    response = preview(client, teams_url(meeting), out.getvalue(), name="report.xlsx", content_type="application/zip")
    plan = response.context["plan"]
    assert [(row.person, row.attendee.minutes) for row in plan.to_record] == [(world.mso_person, 62)]


def test_a_malformed_report_names_the_line_and_field_and_writes_nothing(client, world, webinar):
    text = teams_report(
        [
            participant("Amina Okafor", "mso.a@nhs.net"),
            participant("Ben Whitaker", "mso.b@nhs.net", "about an hour"),
            participant("Guest", "not-an-email"),
        ]
    )
    client.force_login(world.lead)
    response = preview(client, teams_url(webinar), utf16(text))
    errors = [str(error) for error in response.context["plan"].errors]
    assert errors == [
        "Line 11, In-Meeting Duration: “about an hour” is not a duration such as 1h 2m 3s.",
        "Line 12, Email: “not-an-email” is not an email address.",
    ]
    assert response.context["token"] is None
    page = response.content.decode()
    assert "Nothing can be imported from this file" in page
    assert "new row" not in page  # no confirm button
    assert not Attendance.objects.exists()
    assert not UnmatchedAttendee.objects.exists()


def test_a_file_with_no_participants_header_is_refused_with_a_message(client, world, webinar):
    client.force_login(world.lead)
    response = preview(client, teams_url(webinar), b"Some notes\nabout the meeting\n")
    assert "No list of participants was found" in response.content.decode()
    assert response.context["token"] is None


def test_a_csv_that_cannot_be_parsed_names_its_line(client, world, webinar):
    client.force_login(world.lead)
    content = b'Name,Email,Duration\n"Amina Okafor,mso.a@nhs.net,1h\n'
    response = preview(client, teams_url(webinar), content)
    assert "Line 2 is not valid CSV" in response.content.decode()
    assert response.context["plan"] is None


# Upload checks


def test_a_file_over_the_upload_limit_is_refused_before_it_is_read(client, world, webinar, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    client.force_login(world.lead)
    response = preview(client, teams_url(webinar), b"x" * 150)
    assert response.context["form"].errors["file"] == [
        "The file is 150\xa0bytes; the largest file accepted is 100\xa0bytes. "
        "Split it into smaller files and send each."
    ]
    assert response.context["plan"] is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "The file is a PNG image, not a CSV file or an Excel workbook (.xlsx)."),
        (b"%PDF-1.7\n" + b"\x01\x02" * 20, "The file is a PDF document, not a CSV file or an Excel workbook (.xlsx)."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "old-style Excel (.xls)"),
        (b"PK\x03\x04" + b"\x00" * 40, "The file is a damaged ZIP archive"),
        (bytes(range(1, 32)) * 4, "The file is not text"),
    ],
)
def test_a_file_that_is_not_csv_or_xlsx_is_refused_by_its_content(client, world, webinar, content, message):
    client.force_login(world.lead)
    response = preview(client, teams_url(webinar), content, name="attendance.csv")
    assert message in response.content.decode()
    assert response.context["plan"] is None


# Confirming


def test_a_tampered_preview_is_refused_and_writes_nothing(client, world, webinar, report):
    content, _priya = report
    client.force_login(world.lead)
    token = preview(client, teams_url(webinar), content).context["token"]
    response = client.post(teams_url(webinar), {"token": token[:-3] + "abc"})
    assert response.status_code == 200
    assert "The preview could not be read" in response.content.decode()
    assert Attendance.objects.count() == 1


def test_a_preview_for_one_meeting_cannot_be_confirmed_into_another(client, world, webinar, report):
    content, _priya = report
    client.force_login(world.lead)
    token = preview(client, teams_url(webinar), content).context["token"]
    other = WebinarFactory(network=world.national)
    response = client.post(teams_url(other), {"token": token})
    assert "The preview was made for another import" in response.content.decode()
    assert Attendance.objects.count() == 1


def test_an_import_with_one_invalid_row_commits_nothing(world, webinar):
    """The service plans again inside its transaction: one row naming a meeting the user does not
    manage refuses the whole import, including the valid rows before it."""
    london = MeetingFactory(network=world.network_a)
    north_west = MeetingFactory(network=world.network_b)
    attendees = [
        attendance_files.Attendee(2, london.pk, "Amina Okafor", "mso.a@nhs.net", 30),
        attendance_files.Attendee(3, london.pk, "Guest", "guest@example.org", 30),
        attendance_files.Attendee(4, north_west.pk, "Ben Whitaker", "mso.b@nhs.net", 30),
    ]
    with pytest.raises(attendance_import.ImportRefused) as refused:
        attendance_import.attendance_import_commit(
            user=world.chair_a, attendees=attendees, source=Attendance.Source.IMPORT
        )
    assert [(error.line, error.field) for error in refused.value.errors] == [(4, "Meeting ID")]
    assert not Attendance.objects.exists()
    assert not UnmatchedAttendee.objects.exists()
    assert not Attendance.history.exists()
    attendance_import.attendance_import_commit(
        user=world.chair_a, attendees=attendees[:2], source=Attendance.Source.IMPORT
    )
    assert Attendance.objects.get().person == world.mso_person
    assert UnmatchedAttendee.objects.get().email == "guest@example.org"


@pytest.mark.parametrize("role", ["chair_b", "mso", "no_role"])
def test_others_cannot_import_into_a_meeting(client, world, webinar, report, role):
    content, _priya = report
    client.force_login(getattr(world, role))
    assert client.post(teams_url(webinar), {"file": upload(content)}).status_code == 404
    client.force_login(world.lead)
    token = preview(client, teams_url(webinar), content).context["token"]
    client.force_login(getattr(world, role))
    assert client.post(teams_url(webinar), {"token": token}).status_code == 404
    assert Attendance.objects.count() == 1


# Plain attendance files (meeting and email rows)


def plain_csv(rows) -> bytes:
    return ("Meeting ID,Email,Minutes attended\n" + "".join(f"{m},{e},{n}\n" for m, e, n in rows)).encode()


def test_lead_imports_a_plain_attendance_file_for_several_meetings(client, world, webinar):
    london = MeetingFactory(network=world.network_a)
    content = plain_csv(
        [
            (webinar.pk, "mso.a@nhs.net", 40),
            (webinar.pk, "MSO.B@nhs.net", ""),
            (london.pk, "mso.a@nhs.net", 55),
            (london.pk, "someone@example.org", 10),
        ]
    )
    url = reverse("meetings:attendance-import")
    client.force_login(world.lead)
    response = preview(client, url, content)
    assert response.context["plan"].errors == []
    assert not Attendance.objects.exists()
    response = confirm(client, url, response)
    assert response.status_code == 302
    assert set(Attendance.objects.values_list("meeting", "person", "minutes_attended", "source")) == {
        (webinar.pk, world.mso_person.pk, 40, "import"),
        (webinar.pk, world.other_person.pk, None, "import"),
        (london.pk, world.mso_person.pk, 55, "import"),
    }
    assert list(UnmatchedAttendee.objects.values_list("meeting", "email")) == [(london.pk, "someone@example.org")]


def test_a_plain_attendance_file_in_xlsx_is_read(client, world, webinar):
    workbook = Workbook()
    workbook.active.append(["Meeting ID", "Email"])
    workbook.active.append([webinar.pk, "mso.a@nhs.net"])
    out = io.BytesIO()
    workbook.save(out)
    client.force_login(world.lead)
    response = preview(client, reverse("meetings:attendance-import"), out.getvalue(), name="attendance.xlsx")
    assert [row.person for row in response.context["plan"].to_record] == [world.mso_person]


def test_plain_file_errors_name_each_line_and_field(client, world, webinar):
    content = plain_csv([(webinar.pk, "mso.a@nhs.net", 40), ("abc", "mso.b@nhs.net", ""), (webinar.pk, "", "x")])
    client.force_login(world.lead)
    response = preview(client, reverse("meetings:attendance-import"), content)
    assert [str(error) for error in response.context["plan"].errors] == [
        "Line 3, Meeting ID: “abc” is not a meeting ID (a whole number).",
        "Line 4, Email: An email address is needed.",
        "Line 4, Minutes attended: “x” is not a whole number.",
    ]
    assert response.context["token"] is None


def test_a_chair_cannot_import_into_another_networks_meeting(client, world, webinar):
    london = MeetingFactory(network=world.network_a)
    north_west = MeetingFactory(network=world.network_b)
    content = plain_csv([(london.pk, "mso.a@nhs.net", 40), (north_west.pk, "mso.b@nhs.net", 40)])
    client.force_login(world.chair_a)
    response = preview(client, reverse("meetings:attendance-import"), content)
    assert [str(error) for error in response.context["plan"].errors] == [
        f"Line 3, Meeting ID: There is no meeting {north_west.pk} that you manage."
    ]
    assert response.context["token"] is None
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("role", ["mso", "no_role"])
def test_the_plain_import_page_is_404_for_people_who_manage_no_network(client, world, role):
    client.force_login(getattr(world, role))
    assert client.get(reverse("meetings:attendance-import")).status_code == 404


def test_a_plain_file_needs_the_meeting_and_email_columns(client, world):
    client.force_login(world.lead)
    response = preview(client, reverse("meetings:attendance-import"), b"Name,Minutes\nAmina,4\n")
    assert "Line 1: The header row needs a column Meeting ID and Email." in [
        str(error) for error in response.context["plan"].errors
    ]


# Reading files


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("1h 2m 3s", 62), ("45m", 45), ("30s", 1), ("1:02:03", 62), ("62:03", 62), ("2 hrs 5 mins", 125), ("", None)],
)
def test_teams_durations_are_read_as_minutes(text, minutes):
    assert attendance_files.parse_duration(text) == minutes


def test_utf16_without_a_byte_order_mark_is_read():
    content = "Name\tEmail\r\nAmina\tmso.a@nhs.net\r\n".encode("utf-16-le")
    rows = attendance_files.read_upload(upload(content))
    assert rows == [(1, ["Name", "Email"]), (2, ["Amina", "mso.a@nhs.net"])]


def test_unmatched_keys_are_the_email_or_the_name():
    assert UnmatchedAttendee.key_for(name="Amina", email=" A@B.org ") == "a@b.org"
    assert UnmatchedAttendee.key_for(name="  Amina   Okafor ", email="") == "name:amina okafor"


def test_an_already_listed_attendee_is_not_listed_twice(world, webinar):
    UnmatchedAttendeeFactory(meeting=webinar, name="Guest", email="guest@example.org", key="guest@example.org")
    plan = attendance_import.attendance_import_plan(
        user=world.lead, attendees=[attendance_files.Attendee(2, webinar.pk, "Guest", "GUEST@example.org", 5)]
    )
    assert (len(plan.unmatched), len(plan.already_listed)) == (0, 1)


def test_meetings_are_untouched_by_an_import(world, webinar, report):
    content, _priya = report
    attendees, errors = attendance_files.parse_teams_report(
        attendance_files.read_upload(upload(content)), meeting_id=webinar.pk
    )
    attendance_import.attendance_import_commit(
        user=world.lead, attendees=attendees, source=Attendance.Source.TEAMS, meeting_ids={webinar.pk}
    )
    assert errors == []
    assert Meeting.objects.get() == webinar
    assert webinar.history.count() == 1
