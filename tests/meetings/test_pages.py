"""Meeting pages: recording and changing meetings, the meeting page, marking and removing attendance,
matching or dismissing imported attendees; for the lead (every network) and a network's chairs and
vice-chairs (their networks only). Everyone else gets 404 on every page."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from meetings.models import Attendance, Meeting, UnmatchedAttendee
from networks.models import Membership, Network
from tests.factories import (
    AttendanceFactory,
    MeetingFactory,
    MembershipFactory,
    PersonFactory,
    TOTPAuthenticatorFactory,
    UnmatchedAttendeeFactory,
    UserFactory,
    WebinarFactory,
)

# Session, user, the header's navigation (chaired networks, person record), the two-factor check,
# then the page's own queries.
MEETING_LIST_QUERIES = 9
MEETING_PAGE_QUERIES = 12
ATTENDANCE_ADD_QUERIES = 11
MATCH_PAGE_QUERIES = 12


@pytest.fixture
def meeting(world):
    return MeetingFactory(network=world.network_a, title="London MSO meeting", held_on=datetime.date(2026, 10, 1))


def meeting_urls(meeting, attendance, row):
    """Every page and action of a meeting (GET), with the network-level ones."""
    slug = meeting.network.slug
    return [
        reverse("meetings:list", args=[slug]),
        reverse("meetings:create", args=[slug]),
        reverse("meetings:detail", args=[meeting.pk]),
        reverse("meetings:edit", args=[meeting.pk]),
        reverse("meetings:attendance-add", args=[meeting.pk]),
        reverse("meetings:attendance-remove", args=[meeting.pk, attendance.pk]),
        reverse("meetings:teams-import", args=[meeting.pk]),
        reverse("meetings:attendance-export", args=[meeting.pk, "csv"]),
        reverse("meetings:attendance-export", args=[meeting.pk, "xlsx"]),
        reverse("meetings:unmatched-match", args=[meeting.pk, row.pk]),
    ]


@pytest.fixture
def recorded(world, meeting):
    attendance = AttendanceFactory(meeting=meeting, person=world.mso_person)
    row = UnmatchedAttendeeFactory(meeting=meeting, name="Guest Speaker", email="guest@example.org")
    return meeting, attendance, row


# Who may see what


@pytest.mark.parametrize("role", ["lead", "chair_a"])
def test_lead_and_the_networks_chair_open_every_meeting_page(client, world, recorded, role):
    client.force_login(getattr(world, role))
    for url in meeting_urls(*recorded):
        assert client.get(url).status_code == 200, url


def test_vice_chair_opens_every_meeting_page_of_their_network(client, world, recorded):
    user = UserFactory(email="vice.a@nhs.net")
    TOTPAuthenticatorFactory(user=user)
    MembershipFactory(person=PersonFactory(user=user), network=world.network_a, role=Membership.Role.VICE_CHAIR)
    client.force_login(user)
    for url in meeting_urls(*recorded):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ["chair_b", "mso", "no_role"])
def test_other_chairs_and_officers_get_404_on_every_meeting_page(client, world, recorded, role):
    client.force_login(getattr(world, role))
    for url in meeting_urls(*recorded):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("role", ["chair_b", "mso"])
def test_other_chairs_and_officers_change_nothing_by_posting(client, world, recorded, role):
    meeting, attendance, row = recorded
    client.force_login(getattr(world, role))
    posts = [
        (reverse("meetings:create", args=[meeting.network.slug]), meeting_data("x", datetime.date(2026, 1, 1))),
        (reverse("meetings:edit", args=[meeting.pk]), {"title": "Changed"}),
        (reverse("meetings:attendance-add", args=[meeting.pk]), {"people": [world.chair_a.person.pk]}),
        (reverse("meetings:attendance-remove", args=[meeting.pk, attendance.pk]), {}),
        (reverse("meetings:unmatched-match", args=[meeting.pk, row.pk]), {"person": world.mso_person.pk}),
        (reverse("meetings:unmatched-dismiss", args=[meeting.pk, row.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    meeting.refresh_from_db()
    row.refresh_from_db()
    assert meeting.title == "London MSO meeting"
    assert Meeting.objects.count() == 1
    assert list(Attendance.objects.values_list("person", flat=True)) == [world.mso_person.pk]
    assert row.status == UnmatchedAttendee.Status.OPEN


def test_anonymous_visitors_are_sent_to_sign_in(client, world, recorded):
    for url in meeting_urls(*recorded):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"]


def test_meetings_visible_to_scopes_by_network(world):
    london = MeetingFactory(network=world.network_a)
    north_west = MeetingFactory(network=world.network_b)
    webinar = WebinarFactory(network=world.national)
    assert set(Meeting.objects.visible_to(world.lead)) == {london, north_west, webinar}
    assert set(Meeting.objects.visible_to(world.chair_a)) == {london}
    assert not Meeting.objects.visible_to(world.mso).exists()


def test_the_national_webinar_list_is_for_whoever_manages_the_national_network(client, world):
    WebinarFactory(network=world.national, title="Insulin safety webinar")
    MeetingFactory(network=world.network_a, title="London MSO meeting")
    client.force_login(world.lead)
    response = client.get(reverse("meetings:webinar-list"))
    assert response.status_code == 200
    assert "Insulin safety webinar" in response.content.decode()
    assert "London MSO meeting" not in response.content.decode()
    client.force_login(world.chair_a)
    assert client.get(reverse("meetings:webinar-list")).status_code == 404


# Recording and changing meetings


def meeting_data(title, day: datetime.date, **extra):
    return {"title": title, "held_on_day": day.day, "held_on_month": day.month, "held_on_year": day.year, **extra}


def test_chair_records_a_meeting_of_their_network_with_who_recorded_it(client, world):
    client.force_login(world.chair_a)
    response = client.post(
        reverse("meetings:create", args=["london"]),
        meeting_data("  London   MSO meeting ", datetime.date(2026, 11, 3)),
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == meeting.get_absolute_url()
    assert (meeting.network, meeting.kind, meeting.title) == (
        world.network_a,
        Meeting.Kind.NETWORK_MEETING,
        "London MSO meeting",
    )
    assert meeting.held_on == datetime.date(2026, 11, 3)
    assert meeting.recorded_by == world.chair_a
    history = meeting.history.get()
    assert (history.history_type, history.history_user, history.history_change_reason) == (
        "+",
        world.chair_a,
        "Meeting recorded",
    )


def test_lead_records_a_national_webinar(client, world):
    client.force_login(world.lead)
    client.post(
        reverse("meetings:create", args=["national"]),
        meeting_data("Insulin safety", datetime.date(2026, 11, 11), kind="national_webinar"),
    )
    meeting = Meeting.objects.get()
    assert (meeting.network, meeting.kind) == (world.national, Meeting.Kind.NATIONAL_WEBINAR)


def test_a_regional_meeting_cannot_be_made_a_national_webinar_by_the_form(client, world):
    client.force_login(world.lead)
    client.post(
        reverse("meetings:create", args=["london"]),
        meeting_data("Sneaky webinar", datetime.date(2026, 11, 11), kind="national_webinar"),
    )
    assert Meeting.objects.get().kind == Meeting.Kind.NETWORK_MEETING


def test_the_database_keeps_national_webinars_in_the_national_network(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(
            network=world.network_a, kind=Meeting.Kind.NATIONAL_WEBINAR, title="x", held_on=datetime.date(2026, 1, 1)
        )
    webinar = WebinarFactory(network=world.national)
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=webinar.pk).update(network=world.network_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Network.objects.filter(pk=world.national.pk).update(kind=Network.Kind.SPECIALISED)
    assert Meeting.objects.get(pk=webinar.pk).network == world.national


def test_a_meeting_with_no_title_or_date_is_refused_with_messages(client, world):
    client.force_login(world.chair_a)
    response = client.post(reverse("meetings:create", args=["london"]), {"title": " "})
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert "Enter the date of the meeting" in content
    assert not Meeting.objects.exists()


def test_chair_changes_a_meeting_and_the_history_says_who(client, world, meeting):
    client.force_login(world.chair_a)
    response = client.post(
        reverse("meetings:edit", args=[meeting.pk]), meeting_data("Renamed", datetime.date(2026, 10, 2))
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.held_on) == ("Renamed", datetime.date(2026, 10, 2))
    latest = meeting.history.first()
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
        "~",
        world.chair_a,
        "Meeting details changed",
    )


# Marking and removing attendance


def test_chair_marks_members_as_attending_with_history(client, world, meeting):
    member = PersonFactory(first_name="Priya", last_name="Shah")
    MembershipFactory(person=member, network=world.network_a)
    client.force_login(world.chair_a)
    response = client.post(
        reverse("meetings:attendance-add", args=[meeting.pk]), {"people": [member.pk, world.mso_person.pk]}
    )
    assert response.status_code == 302
    attendances = Attendance.objects.filter(meeting=meeting)
    assert {a.person for a in attendances} == {member, world.mso_person}
    assert {(a.source, a.recorded_by) for a in attendances} == {(Attendance.Source.MARKED, world.chair_a)}
    history = Attendance.history.filter(person=member).get()
    assert (history.history_user, history.history_change_reason) == (
        world.chair_a,
        "Marked as attending on the meeting page",
    )


def test_only_current_members_not_yet_recorded_can_be_marked(client, world, meeting):
    AttendanceFactory(meeting=meeting, person=world.mso_person)
    outsider = world.other_person  # a member of the North West and national networks, not London
    client.force_login(world.chair_a)
    response = client.post(reverse("meetings:attendance-add", args=[meeting.pk]), {"people": [outsider.pk]})
    assert response.status_code == 200
    assert "Choose people who are current members of the network" in response.content.decode()
    response = client.post(reverse("meetings:attendance-add", args=[meeting.pk]), {"people": [world.mso_person.pk]})
    assert response.status_code == 200
    assert list(Attendance.objects.values_list("person", flat=True)) == [world.mso_person.pk]


def test_the_mark_attendance_page_lists_and_searches_members_not_yet_recorded(client, world, meeting):
    MembershipFactory(person=PersonFactory(first_name="Priya", last_name="Shah"), network=world.network_a)
    AttendanceFactory(meeting=meeting, person=world.mso_person)
    client.force_login(world.chair_a)  # Chloe Adeyemi, named in the header on every page

    def main(response) -> str:
        return response.content.decode().partition("<main")[2]

    content = main(client.get(reverse("meetings:attendance-add", args=[meeting.pk])))
    assert "Priya Shah" in content
    assert "Chloe Adeyemi" in content
    assert "Amina Okafor" not in content  # already recorded
    assert "Ben Whitaker" not in content  # not a member of this network
    content = main(client.get(reverse("meetings:attendance-add", args=[meeting.pk]), {"q": "shah"}))
    assert "Priya Shah" in content
    assert "Chloe Adeyemi" not in content


def test_chair_removes_an_attendance_after_confirming_and_history_keeps_it(client, world, meeting):
    attendance = AttendanceFactory(meeting=meeting, person=world.mso_person)
    client.force_login(world.chair_a)
    url = reverse("meetings:attendance-remove", args=[meeting.pk, attendance.pk])
    assert "Remove Amina Okafor from the attendance?" in client.get(url).content.decode()
    assert Attendance.objects.exists()
    response = client.post(url)
    assert response.status_code == 302
    assert not Attendance.objects.exists()
    deleted = Attendance.history.filter(history_type="-").get()
    assert (deleted.person_id, deleted.history_user, deleted.history_change_reason) == (
        world.mso_person.pk,
        world.chair_a,
        "Attendance removed on the meeting page",
    )


def test_an_attendance_of_another_meeting_cannot_be_removed_through_this_one(client, world, meeting):
    other = AttendanceFactory(meeting=MeetingFactory(network=world.network_b), person=world.other_person)
    client.force_login(world.chair_a)
    assert client.post(reverse("meetings:attendance-remove", args=[meeting.pk, other.pk])).status_code == 404
    assert Attendance.objects.filter(pk=other.pk).exists()


# Unmatched attendees


def test_meeting_page_lists_attendees_and_the_unmatched_waiting(client, world, recorded):
    meeting, _attendance, _row = recorded
    UnmatchedAttendeeFactory(
        meeting=meeting, name="Dismissed Guest", status="dismissed", resolved_at=meeting.created_at
    )
    client.force_login(world.chair_a)
    content = client.get(meeting.get_absolute_url()).content.decode()
    assert "Amina Okafor" in content
    assert "Guest Speaker" in content
    assert "Dismissed Guest" not in content


@pytest.fixture
def london_member(world):
    person = PersonFactory(first_name="Cara", last_name="Whitfield", work_email="cara.whitfield@nhs.net")
    MembershipFactory(person=person, network=world.network_a)
    return person


def test_match_page_searches_the_networks_members_by_name_or_email(client, world, recorded, london_member):
    meeting, _attendance, row = recorded
    client.force_login(world.chair_a)
    url = reverse("meetings:unmatched-match", args=[meeting.pk, row.pk])
    content = client.get(url, {"q": "whitfield"}).content.decode()
    assert "Cara Whitfield" in content
    assert "Amina Okafor" not in content
    content = client.get(url, {"q": "mso.a@nhs"}).content.decode()
    assert "Amina Okafor" in content
    content = client.get(url, {"q": "cara whit"}).content.decode()
    assert "Cara Whitfield" in content


def test_a_chairs_match_page_finds_no_one_outside_the_network(client, world, recorded):
    meeting, _attendance, row = recorded
    url = reverse("meetings:unmatched-match", args=[meeting.pk, row.pk])
    client.force_login(world.chair_a)
    for query in ("whitaker", "mso.b@nhs.net"):  # Ben Whitaker, the North West trust's MSO
        assert "Ben Whitaker" not in client.get(url, {"q": query}).content.decode()
    client.force_login(world.lead)
    assert "Ben Whitaker" in client.get(url, {"q": "whitaker"}).content.decode()


def test_a_chair_cannot_match_an_attendee_to_someone_outside_the_network(client, world, recorded):
    meeting, _attendance, row = recorded
    client.force_login(world.chair_a)
    response = client.post(
        reverse("meetings:unmatched-match", args=[meeting.pk, row.pk]), {"person": world.other_person.pk}
    )
    assert response.status_code == 302
    assert not Attendance.objects.filter(person=world.other_person).exists()
    row.refresh_from_db()
    assert row.status == "open"
    client.force_login(world.lead)
    client.post(reverse("meetings:unmatched-match", args=[meeting.pk, row.pk]), {"person": world.other_person.pk})
    assert Attendance.objects.filter(person=world.other_person, meeting=meeting).exists()


def test_matching_an_imported_attendee_records_their_attendance(client, world, recorded, london_member):
    meeting, _attendance, row = recorded
    client.force_login(world.chair_a)
    response = client.post(reverse("meetings:unmatched-match", args=[meeting.pk, row.pk]), {"person": london_member.pk})
    assert response.status_code == 302
    attendance = Attendance.objects.get(person=london_member)
    assert (attendance.meeting, attendance.minutes_attended, attendance.source) == (
        meeting,
        30,
        Attendance.Source.MATCHED,
    )
    row.refresh_from_db()
    assert (row.status, row.person, row.resolved_by) == ("matched", london_member, world.chair_a)
    assert row.history.first().history_change_reason == "Matched to Cara Whitfield"
    assert client.get(meeting.get_absolute_url()).context["unmatched"] == []


def test_matching_someone_already_recorded_keeps_one_attendance(client, world, recorded):
    meeting, attendance, row = recorded
    client.force_login(world.chair_a)
    client.post(reverse("meetings:unmatched-match", args=[meeting.pk, row.pk]), {"person": world.mso_person.pk})
    assert list(Attendance.objects.all()) == [attendance]
    row.refresh_from_db()
    assert row.status == UnmatchedAttendee.Status.MATCHED


def test_dismissing_an_imported_attendee_keeps_them_off_the_list(client, world, recorded):
    meeting, _attendance, row = recorded
    client.force_login(world.chair_a)
    response = client.post(reverse("meetings:unmatched-dismiss", args=[meeting.pk, row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.resolved_by, row.person) == ("dismissed", world.chair_a, None)
    assert row.history.first().history_user == world.chair_a
    assert Attendance.objects.count() == 1
    # Dismissed once, gone: neither page nor action finds it open any more.
    assert client.post(reverse("meetings:unmatched-dismiss", args=[meeting.pk, row.pk])).status_code == 404


def test_the_database_refuses_a_person_on_an_open_unmatched_attendee(world, meeting):
    with pytest.raises(IntegrityError), transaction.atomic():
        UnmatchedAttendeeFactory(meeting=meeting, person=world.mso_person)


# Queries


def populate(world, meeting, size):
    for index in range(size):
        person = PersonFactory()
        MembershipFactory(person=person, network=world.network_a)
        if index % 2:
            AttendanceFactory(meeting=meeting, person=person)
        UnmatchedAttendeeFactory(meeting=meeting)
        MeetingFactory(network=world.network_a)


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize("role", ["chair_a", "lead"])
def test_meeting_pages_queries_do_not_grow_with_the_data(
    client, world, meeting, size, role, django_assert_max_num_queries
):
    populate(world, meeting, size)
    row = UnmatchedAttendee.objects.filter(meeting=meeting).first()
    client.force_login(getattr(world, role))
    with django_assert_max_num_queries(MEETING_LIST_QUERIES):
        response = client.get(reverse("meetings:list", args=["london"]))
    assert len(response.context["page_obj"].object_list) > 3
    with django_assert_max_num_queries(MEETING_PAGE_QUERIES):
        response = client.get(meeting.get_absolute_url())
    assert len(response.context["unmatched"]) == size
    with django_assert_max_num_queries(ATTENDANCE_ADD_QUERIES):
        response = client.get(reverse("meetings:attendance-add", args=[meeting.pk]))
    assert len(response.context["page_obj"].object_list) > 1
    with django_assert_max_num_queries(MATCH_PAGE_QUERIES):
        response = client.get(reverse("meetings:unmatched-match", args=[meeting.pk, row.pk]), {"q": "a"})
    assert response.status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_national_webinar_list_queries_do_not_grow_with_the_data(client, world, size, django_assert_max_num_queries):
    for index in range(size):
        webinar = WebinarFactory(network=world.national, held_on=datetime.date(2026, 1, 1) + datetime.timedelta(index))
        AttendanceFactory(meeting=webinar)
    client.force_login(world.lead)
    with django_assert_max_num_queries(MEETING_LIST_QUERIES):
        response = client.get(reverse("meetings:webinar-list"))
    assert len(response.context["page_obj"].object_list) == min(size, 25)
