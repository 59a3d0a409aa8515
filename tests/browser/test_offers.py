"""Offers to present in a real browser: an officer offers a topic from their home page (first with no
summary, refused), sees it waiting; the national lead finds it from the national webinars page,
accepts it onto an upcoming webinar, and the webinar's page lists the presenter; the officer sees it
accepted. When an accepted presenter's webinar is cancelled the officer is told another date will
follow, and the lead moves the offer from the queue's warning to another webinar. Every page is
checked by axe-core (WCAG 2.2 AA), at 320 px wide, and screenshotted."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from meetings.services import meeting_cancel
from presentations.models import Offer
from tests.a11y import check_page
from tests.browser.test_journeys import sign_in
from tests.factories import OfferFactory, ScheduledWebinarFactory, WebinarFactory

TITLE = "Learning from insulin omissions"
SUMMARY = "What our wards changed after a year of insulin omission incidents, and the numbers since."

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("totp_tolerance")]


def test_an_officer_offers_to_present_and_the_lead_accepts_it_onto_a_webinar(open_page, confirmed):
    world = confirmed
    held_on = timezone.localdate() + datetime.timedelta(days=21)
    webinar = WebinarFactory(network=world.national, title="National MSO webinar", held_on=held_on)

    officer = open_page()
    sign_in(officer, world.mso)
    officer.get_by_role("link", name="Offer to present at the national webinar").click()
    expect(officer.get_by_role("heading", name="Offer to present at the national webinar", level=1)).to_be_visible()
    check_page(officer, "offers-01-offer-form")

    # No summary: the error summary and the field's error, and nothing is written.
    officer.get_by_label("Title of your presentation").fill(TITLE)
    officer.get_by_role("button", name="Send the offer").click()
    expect(officer.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(officer.get_by_role("link", name="Enter a summary of your presentation")).to_be_visible()
    check_page(officer, "offers-02-offer-form-error")
    assert not Offer.objects.exists()

    officer.get_by_label("Summary").fill(SUMMARY)
    officer.get_by_label(held_on.strftime("%B %Y")).check()
    officer.get_by_role("button", name="Send the offer").click()
    expect(officer.get_by_role("heading", name="Your offers to present", level=1)).to_be_visible()
    expect(officer.locator(".nhsuk-tag", has_text="Waiting for a decision")).to_be_visible()
    check_page(officer, "offers-03-your-offers")
    (to_review,) = mail.outbox
    assert to_review.to == [world.lead.email]

    lead = open_page()
    sign_in(lead, world.lead)
    lead.goto("/networks/meetings/national-webinars/")
    lead.get_by_role("link", name="Offers to present at a webinar").click()
    expect(lead.get_by_role("heading", name="Offers to present", level=1)).to_be_visible()
    check_page(lead, "offers-04-queue")
    lead.get_by_role("link", name=TITLE).click()
    expect(lead.get_by_role("heading", name=re.compile(TITLE), level=1)).to_be_visible()
    check_page(lead, "offers-05-review")
    lead.get_by_label("Which webinar will they present at?").select_option(str(webinar.pk))
    lead.get_by_role("button", name="Accept the offer").click()
    expect(lead.get_by_text("Offer accepted")).to_be_visible()
    check_page(lead, "offers-06-queue-after-accepting")

    lead.goto(webinar.get_absolute_url())
    presenters = lead.locator("#presenters + ul")
    expect(presenters).to_contain_text(TITLE)
    expect(presenters).to_contain_text("Amina Okafor, Royal Free London NHS Foundation Trust")
    check_page(lead, "offers-07-webinar-with-presenter")

    officer.reload()
    expect(officer.locator(".nhsuk-tag", has_text="Accepted")).to_be_visible()
    check_page(officer, "offers-08-your-offers-accepted")
    accepted = mail.outbox[-1]
    assert accepted.to == [world.mso.email]
    assert "National MSO webinar" in accepted.body


def test_the_lead_moves_a_presenter_whose_webinar_was_cancelled_and_the_officer_sees_the_new_date(open_page, confirmed):
    world = confirmed
    december = ScheduledWebinarFactory(network=world.national, title="December national webinar")
    january = WebinarFactory(
        network=world.national,
        title="January national webinar",
        held_on=timezone.localdate() + datetime.timedelta(days=45),
    )
    offer = OfferFactory(person=world.mso_person, title=TITLE, status=Offer.Status.ACCEPTED, meeting=december)
    meeting_cancel(meeting=december, user=world.lead)
    mail.outbox.clear()

    officer = open_page()
    sign_in(officer, world.mso)
    officer.goto(f"/presentations/offers/{offer.pk}/")
    expect(officer.get_by_text(f"The webinar of {december.held_on:%-d %B %Y} was cancelled.")).to_be_visible()
    check_page(officer, "offers-09-offer-webinar-cancelled")

    lead = open_page()
    sign_in(lead, world.lead)
    lead.goto("/presentations/queue/")
    callout = lead.locator(".nhsuk-warning-callout")
    expect(callout).to_contain_text("1 accepted offer is on a webinar that was cancelled")
    check_page(lead, "offers-10-queue-webinar-cancelled")
    callout.get_by_role("link", name="See the offer whose webinar was cancelled").click()
    lead.get_by_role("link", name=TITLE).click()
    expect(lead.get_by_role("heading", name="Move to another webinar")).to_be_visible()
    check_page(lead, "offers-11-review-move")

    # No webinar chosen: the error summary and the field's error, and nothing is written.
    lead.get_by_role("button", name="Move the offer").click()
    expect(lead.get_by_role("link", name="Choose the webinar they will present at instead")).to_be_visible()
    check_page(lead, "offers-12-review-move-error")
    offer.refresh_from_db()
    assert offer.meeting == december

    lead.get_by_label("Which webinar will they present at instead?").select_option(str(january.pk))
    lead.get_by_role("button", name="Move the offer").click()
    expect(lead.get_by_text("Offer moved")).to_be_visible()
    expect(lead.get_by_text("No accepted offer is on a webinar that was cancelled.")).to_be_visible()
    check_page(lead, "offers-13-queue-after-moving")
    (moved,) = mail.outbox
    assert moved.to == [world.mso.email]
    assert "January national webinar" in moved.body

    officer.reload()
    expect(officer.get_by_text(f"you present at the national webinar of {january.held_on:%-d %B %Y}")).to_be_visible()
