"""The monthly webinar in a real browser: the national lead schedules it from the Webinars page, and
an officer finds it on theirs, with its joining link, agenda and their calendar link. The invitation
emails are read from the outbox and their `.ics` parsed back. Every page is checked by axe-core
(WCAG 2.2 AA), at 320 px wide, and screenshotted."""

import datetime
import re

import icalendar
import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from meetings.models import Meeting
from tests.a11y import check_page
from tests.browser.test_journeys import follow_menu, sign_in

LINK = "https://teams.microsoft.com/l/meetup-join/insulin-safety"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("totp_tolerance")]


def test_lead_schedules_a_webinar_and_an_officer_sees_it_on_their_webinars_page(open_page, confirmed):
    world = confirmed
    day = timezone.localdate() + datetime.timedelta(days=21)

    lead = open_page()
    sign_in(lead, world.lead)
    follow_menu(lead, "Webinars")
    expect(lead.get_by_role("heading", name="Webinars and meetings", level=1)).to_be_visible()
    check_page(lead, "webinars-01-lead-page")
    lead.get_by_role("button", name="Schedule a national webinar").click()
    expect(lead.get_by_role("heading", name="Schedule or record a meeting", level=1)).to_be_visible()
    check_page(lead, "webinars-02-schedule-form")

    # A first try ends before it starts: refused with a message, nothing scheduled.
    lead.get_by_label("Title").fill("National MSO webinar: insulin safety")
    lead.get_by_label("Day").fill(str(day.day))
    lead.get_by_label("Month").fill(str(day.month))
    lead.get_by_label("Year").fill(str(day.year))
    lead.get_by_label("Start time").fill("14:00")
    lead.get_by_label("End time").fill("13:00")
    lead.get_by_label("Joining link").fill(LINK)
    lead.get_by_label("Agenda").fill("Insulin errors this year\nQuestions from the network")
    lead.get_by_role("button", name="Save the meeting").click()
    expect(lead.get_by_role("alert").get_by_text("The end time must be after the start time.")).to_be_visible()
    check_page(lead, "webinars-03-schedule-error")
    assert not Meeting.objects.exists() and mail.outbox == []

    lead.get_by_label("End time").fill("15:00")
    lead.get_by_role("button", name="Save the meeting").click()
    expect(lead.get_by_text(re.compile("Meeting scheduled, and the invitations are on their way"))).to_be_visible()
    check_page(lead, "webinars-04-webinar-page")
    webinar = Meeting.objects.get()
    assert webinar.is_scheduled and webinar.kind == Meeting.Kind.NATIONAL_WEBINAR

    # Both officers on the register are invited, each with an .ics naming only them.
    invited = {message.to[0]: message for message in mail.outbox}
    assert set(invited) == {"mso.a@nhs.net", "mso.b@nhs.net"}
    ics = icalendar.Calendar.from_ical(invited["mso.a@nhs.net"].attachments[0][1])
    (event,) = ics.events
    assert (str(event["UID"]), event["SEQUENCE"], str(ics["METHOD"])) == (webinar.uid, 0, "REQUEST")
    assert str(event["ATTENDEE"]) == "mailto:mso.a@nhs.net"

    officer = open_page()
    sign_in(officer, world.mso)
    follow_menu(officer, "Webinars")
    expect(officer.get_by_role("heading", name="National MSO webinar: insulin safety")).to_be_visible()
    expect(officer.get_by_role("link", name="Join National MSO webinar: insulin safety")).to_have_attribute(
        "href", LINK
    )
    expect(officer.get_by_text("Insulin errors this year")).to_be_visible()
    expect(officer.get_by_text(f"{day:%A} {day.day} {day:%B %Y}, 14:00 to 15:00")).to_be_visible()
    feed_link = re.compile(r"/networks/meetings/calendar/.+\.ics$")
    expect(officer.get_by_label("Your calendar link")).to_have_value(feed_link)
    check_page(officer, "webinars-05-officer-page")
