"""Messages to the network in a real browser: the national lead writes a message (first with a link
that is not http(s), refused), checks who it reaches, sends it and follows its sending; the officer
finds it on their Messages page and reads it. Every page is checked by axe-core (WCAG 2.2 AA), at
320 px wide, and screenshotted."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from mailings.models import Message
from tests.a11y import check_page
from tests.browser.test_journeys import follow_menu, sign_in

SUBJECT = "Insulin safety: a new National Patient Safety Alert"
BODY = (
    "Dear colleagues,\n\n"
    "A new National Patient Safety Alert on insulin was issued today. Please read it at "
    "https://www.england.nhs.uk/patient-safety/patient-safety-alerts/ and share it with your team.\n\n"
    "With thanks,\nThe national MSO team"
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("totp_tolerance")]


def test_the_lead_sends_a_message_and_an_officer_reads_it_on_their_messages_page(open_page, confirmed):
    world = confirmed

    lead = open_page()
    sign_in(lead, world.lead)
    follow_menu(lead, "Messages")
    expect(lead.get_by_role("heading", name="Messages", level=1)).to_be_visible()
    check_page(lead, "messages-01-lead-messages")
    lead.get_by_role("button", name="Write a message").click()
    expect(lead.get_by_role("heading", name="Write a message", level=1)).to_be_visible()
    check_page(lead, "messages-02-write")

    # A link that is not http(s) is refused, with the error summary, and nothing is sent.
    lead.get_by_label("Subject").fill(SUBJECT)
    lead.get_by_label("Message", exact=True).fill(BODY + "\n\nOr open javascript:alert(1)")
    lead.get_by_label("Medication safety officer", exact=True).check()
    expect(lead.get_by_label("Send a copy to each organisation's generic MSO mailbox")).to_be_checked()
    lead.get_by_role("button", name="Check who it reaches").click()
    expect(lead.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(lead.get_by_role("link", name=re.compile("^Links must start with http"))).to_be_visible()
    check_page(lead, "messages-03-write-error")
    assert not Message.objects.exists()

    lead.get_by_label("Message", exact=True).fill(BODY)
    lead.get_by_role("button", name="Check who it reaches").click()
    expect(lead.get_by_role("heading", name="Check your message before sending it", level=1)).to_be_visible()
    expect(lead.get_by_text("It goes to 4 addresses: 2 people and 2 generic MSO mailboxes.")).to_be_visible()
    recipients = lead.get_by_role("table", name=re.compile("4 addresses"))
    expect(recipients.get_by_role("cell", name="mso.a@nhs.net")).to_be_visible()
    expect(recipients.get_by_role("cell", name="ral.mso@nhs.net")).to_be_visible()
    check_page(lead, "messages-04-preview")
    lead.get_by_role("button", name="Send the message").click()

    expect(lead.get_by_role("heading", name=re.compile(SUBJECT), level=1)).to_be_visible()
    expect(lead.get_by_text("Your message is being sent to 4 addresses.")).to_be_visible()
    check_page(lead, "messages-05-message-page")
    message = Message.objects.get()
    assert message.recipients.count() == 4
    # Sent through the outbox by the bulk sender when the request committed (in-process here).
    assert sorted(address for email in mail.outbox for address in email.to) == [
        "mso.a@nhs.net",
        "mso.b@nhs.net",
        "r0a.mso@nhs.net",
        "ral.mso@nhs.net",
    ]
    lead.get_by_role("link", name="Messages sent").first.click()
    expect(lead.get_by_role("table", name=re.compile("1 message"))).to_be_visible()
    check_page(lead, "messages-06-sent-list")

    officer = open_page()
    sign_in(officer, world.mso)
    follow_menu(officer, "Messages")
    expect(officer.get_by_role("heading", name="Messages", level=1)).to_be_visible()
    check_page(officer, "messages-07-officer-messages")
    officer.get_by_role("link", name=SUBJECT).click()
    expect(officer.get_by_role("heading", name=re.compile(SUBJECT), level=1)).to_be_visible()
    expect(
        officer.get_by_role("link", name="https://www.england.nhs.uk/patient-safety/patient-safety-alerts/")
    ).to_be_visible()
    check_page(officer, "messages-08-officer-reads")
