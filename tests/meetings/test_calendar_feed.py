"""Each user's calendar feed and their Webinars and meetings page: the national webinars and the
meetings of the networks they are a current member of, valid iCalendar (parsed back), naming no
one; the feed's secret link can be reset, after which the old one answers 404."""

import datetime
import json

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from audit.personal_data import personal_data
from meetings.models import CalendarFeed
from meetings.services import calendar_feed_for
from tests.factories import (
    AttendanceFactory,
    CalendarFeedFactory,
    MeetingFactory,
    MembershipFactory,
    PersonFactory,
    ScheduledMeetingFactory,
    ScheduledWebinarFactory,
    UnmatchedAttendeeFactory,
)

# Session, user, the header's navigation (chaired networks, person record), the two-factor check,
# then the page's own: the meetings and their count, the managed networks, the feed.
UPCOMING_QUERIES = 12
FEED_QUERIES = 2


@pytest.fixture
def calendar(world):
    """A webinar to come, one cancelled, one long past; a meeting of each regional network; a
    record of a meeting held (no times)."""
    webinar = ScheduledWebinarFactory(network=world.national, title="Insulin safety webinar")
    cancelled = ScheduledWebinarFactory(
        network=world.national, title="Opioids webinar", cancelled_at=timezone.now(), sequence=1
    )
    old = ScheduledWebinarFactory(
        network=world.national,
        title="Last year's webinar",
        starts_at=timezone.now() - datetime.timedelta(days=365),
        ends_at=timezone.now() - datetime.timedelta(days=365, hours=-1),
        held_on=timezone.localdate() - datetime.timedelta(days=365),
    )
    london = ScheduledMeetingFactory(network=world.network_a, title="London network meeting")
    north_west = ScheduledMeetingFactory(network=world.network_b, title="North West network meeting")
    held = MeetingFactory(network=world.network_a, title="A meeting held in October")
    # Other people's data around the meetings: attendance, imported attendees.
    AttendanceFactory(meeting=webinar, person=world.other_person)
    UnmatchedAttendeeFactory(meeting=london, name="Guest Speaker", email="guest.speaker@example.org")
    return {
        "webinar": webinar,
        "cancelled": cancelled,
        "old": old,
        "london": london,
        "north_west": north_west,
        "held": held,
    }


def feed_of(client, user):
    feed = calendar_feed_for(user=user)
    client.logout()
    return client.get(reverse("meetings:calendar-feed", args=[feed.token]))


def test_the_feed_lists_the_national_webinars_and_the_meetings_of_the_users_networks(client, world, calendar):
    response = feed_of(client, world.mso)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    parsed = icalendar.Calendar.from_ical(response.content)
    assert str(parsed["VERSION"]) == "2.0" and "METHOD" not in parsed
    events = {str(event["SUMMARY"]): event for event in parsed.events}
    assert set(events) == {"Insulin safety webinar", "Opioids webinar", "London network meeting"}
    webinar = events["Insulin safety webinar"]
    assert str(webinar["UID"]) == calendar["webinar"].uid
    assert webinar.start == calendar["webinar"].starts_at and webinar.end == calendar["webinar"].ends_at
    assert str(webinar["STATUS"]) == "CONFIRMED"
    assert str(webinar["URL"]) == calendar["webinar"].joining_link
    cancelled = events["Opioids webinar"]
    assert (str(cancelled["STATUS"]), cancelled["SEQUENCE"]) == ("CANCELLED", 1)
    # Every event is complete for RFC 5545: UID, DTSTAMP, DTSTART, DTEND.
    for event in parsed.events:
        assert all(name in event for name in ("UID", "DTSTAMP", "DTSTART", "DTEND"))


def test_the_feed_names_no_one(client, world, calendar):
    content = feed_of(client, world.mso).content.decode()
    for person in (world.other_person, world.mso_person, world.chair_a.person, world.chair_b.person):
        assert person.first_name not in content and person.last_name not in content
        assert person.work_email not in content
    assert world.lead.email not in content
    assert "guest.speaker@example.org" not in content and "Guest Speaker" not in content
    assert "ATTENDEE" not in content and "ORGANIZER" not in content and "mailto:" not in content


def test_another_users_feed_lists_their_own_networks(client, world, calendar):
    parsed = icalendar.Calendar.from_ical(feed_of(client, world.other_mso).content)
    titles = {str(event["SUMMARY"]) for event in parsed.events}
    assert titles == {"Insulin safety webinar", "Opioids webinar", "North West network meeting"}


def test_a_member_who_left_the_network_no_longer_sees_its_meetings(client, world, calendar):
    person = PersonFactory(user=None)
    feed = CalendarFeedFactory()
    person.user = feed.user
    person.save()
    MembershipFactory(person=person, network=world.network_a, left_on=timezone.localdate())
    response = client.get(reverse("meetings:calendar-feed", args=[feed.token]))
    titles = {str(event["SUMMARY"]) for event in icalendar.Calendar.from_ical(response.content).events}
    assert "London network meeting" not in titles and "Insulin safety webinar" in titles


def test_an_unknown_token_or_a_deactivated_account_gets_404(client, world):
    assert client.get(reverse("meetings:calendar-feed", args=["no-such-token"])).status_code == 404
    feed = CalendarFeedFactory(user=world.mso)
    world.mso.is_active = False
    world.mso.save()
    assert client.get(reverse("meetings:calendar-feed", args=[feed.token])).status_code == 404


def test_resetting_the_link_makes_the_old_one_404_and_keeps_history(client, world, calendar):
    client.force_login(world.mso)
    old = calendar_feed_for(user=world.mso).token
    old_url = reverse("meetings:calendar-feed", args=[old])
    assert client.get(old_url).status_code == 200
    assert client.get(reverse("meetings:calendar-reset")).status_code == 405
    response = client.post(reverse("meetings:calendar-reset"))
    assert response.status_code == 302 and response["Location"] == reverse("meetings:upcoming")
    feed = CalendarFeed.objects.get(user=world.mso)
    assert feed.token != old and feed.reset_at is not None
    assert client.get(old_url).status_code == 404
    assert client.get(reverse("meetings:calendar-feed", args=[feed.token])).status_code == 200
    latest = feed.history.first()
    assert (latest.history_user, latest.history_change_reason) == (world.mso, "Calendar feed link reset")
    assert not hasattr(latest, "token")  # the secret is not kept in the history
    page = client.get(reverse("meetings:upcoming")).content.decode()
    assert feed.token in page and old not in page


@pytest.mark.parametrize("size", [2, 20])
def test_the_feed_answers_in_a_fixed_number_of_queries(client, world, size, django_assert_max_num_queries):
    for _ in range(size):
        ScheduledWebinarFactory(network=world.national)
        ScheduledMeetingFactory(network=world.network_a)
    feed = CalendarFeedFactory(user=world.mso)
    with django_assert_max_num_queries(FEED_QUERIES):
        response = client.get(reverse("meetings:calendar-feed", args=[feed.token]))
    assert len(icalendar.Calendar.from_ical(response.content).events) == 2 * size


# The Webinars and meetings page


def test_an_officer_sees_what_they_are_invited_to_with_the_joining_link_and_agenda(client, world, calendar):
    client.force_login(world.mso)
    response = client.get(reverse("meetings:upcoming"))
    assert response.status_code == 200
    content = response.content.decode()
    listed = [meeting.title for meeting in response.context["page_obj"].object_list]
    assert sorted(listed) == ["Insulin safety webinar", "London network meeting", "Opioids webinar"]
    assert calendar["webinar"].joining_link in content
    assert "Incidents this month" in content  # the agenda
    assert "Cancelled" in content
    assert "Manage the meeting" not in content
    feed = CalendarFeed.objects.get(user=world.mso)
    assert f"http://127.0.0.1:8000/networks/meetings/calendar/{feed.token}.ics" in content
    assert "Reset the link" in content


def test_the_lead_and_chairs_see_the_page_with_links_to_manage_their_meetings(client, world, calendar):
    client.force_login(world.lead)
    content = client.get(reverse("meetings:upcoming")).content.decode()
    assert "Schedule a national webinar" in content and "Manage the meeting" in content
    client.force_login(world.chair_a)
    response = client.get(reverse("meetings:upcoming"))
    listed = {meeting.title for meeting in response.context["page_obj"].object_list}
    assert listed == {"Insulin safety webinar", "Opioids webinar", "London network meeting"}
    assert response.context["managed"] == {world.network_a.pk}


def test_someone_with_no_person_record_gets_404(client, world):
    client.force_login(world.no_role)
    assert client.get(reverse("meetings:upcoming")).status_code == 404
    assert client.post(reverse("meetings:calendar-reset")).status_code == 404
    assert not CalendarFeed.objects.exists()


@pytest.mark.parametrize("size", [2, 30])
def test_the_page_answers_in_a_fixed_number_of_queries(client, world, size, django_assert_max_num_queries):
    for _ in range(size):
        ScheduledWebinarFactory(network=world.national)
        ScheduledMeetingFactory(network=world.network_a)
    calendar_feed_for(user=world.chair_a)
    client.force_login(world.chair_a)
    with django_assert_max_num_queries(UPCOMING_QUERIES):
        response = client.get(reverse("meetings:upcoming"))
    assert len(response.context["page_obj"].object_list) == min(2 * size, 25)


def test_a_users_own_data_download_leaves_out_the_feed_token(world):
    feed = calendar_feed_for(user=world.mso)
    data = json.dumps(personal_data(world.mso), default=str)
    assert "meetings.calendarfeed" in data
    assert feed.token not in data


@pytest.mark.parametrize(("role", "shown"), [("mso", True), ("chair_a", True), ("lead", True), ("no_role", False)])
def test_the_menu_links_to_the_webinars_page_for_whoever_has_one(client, world, role, shown):
    client.force_login(getattr(world, role))
    html = client.get(reverse("directory:home")).content.decode()
    start = html.index('<nav class="nhsuk-header__navigation"')
    menu = html[start : html.index("</nav>", start)]
    assert (f'href="{reverse("meetings:upcoming")}"' in menu) is shown
