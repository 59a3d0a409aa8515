"""Self-registration end to end in a real browser: create an account, confirm the email address,
register as the named MSO of a real NHS trust, and the national lead approves it with two-factor
authentication. The pages are found by their roles and labels, as assistive technology finds them."""

import datetime
import io
import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from networks.models import Membership, Network
from officers.models import Appointment
from organisations.models import Organisation, Region
from tests.a11y import check_page
from tests.browser.test_journeys import follow_menu
from tests.factories import MembershipFactory, NetworkFactory, PersonFactory, TOTPAuthenticatorFactory, UserFactory
from tests.factories.files import ODS_DIR

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a long enough pass phrase 42"
APPLICANT = "new.mso@nhs.net"
TRUST = "Royal Free London NHS Foundation Trust"
REGIONS = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("totp_tolerance")]


def import_real_trusts():
    # The regions come from a data migration, which an earlier transactional test may have flushed.
    for code, name in REGIONS.items():
        Region.objects.update_or_create(code=code, defaults={"name": name})
    call_command("import_ods", str(ODS_DIR / "icb_names_codes_dec_2024.csv"), kind="icbs", stdout=io.StringIO())
    call_command("import_ods", str(ODS_DIR / "etr.csv"), kind="trusts", stdout=io.StringIO())
    trust = Organisation.objects.get(ods_code="RAL")
    trust.generic_mailbox = "rf-tr.medicationsafety@nhs.net"
    trust.save(update_fields=["generic_mailbox"])
    return trust


def wait_for_email(to: str, subject: str = "", timeout: float = 10):
    """The first email to `to` whose subject contains `subject`. The live server sends email when
    its request's transaction commits, in its own thread, so it may arrive just after the page."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(mail.outbox):
            if to in message.to and subject in message.subject:
                return message
        time.sleep(0.1)
    sent = [(message.to, message.subject) for message in mail.outbox]
    raise AssertionError(f"No email to {to} about {subject!r}; the outbox has {sent}")


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_a_new_officer_registers_and_the_national_lead_approves(page, tmp_path):
    trust = import_real_trusts()
    london = Region.objects.get(code="Y56")
    national = NetworkFactory(name="National MSO network", slug="national", kind=Network.Kind.NATIONAL)
    london_network = NetworkFactory(
        name="London MSO network", slug="london", kind=Network.Kind.REGIONAL, region=london, parent=national
    )
    chair = PersonFactory(work_email="chair.london@nhs.net")
    MembershipFactory(person=chair, network=london_network, role=Membership.Role.CHAIR)
    lead = UserFactory(email="lead@england.nhs.uk", name="Nadia Lead", is_national_lead=True, is_staff=True)
    EmailAddress.objects.create(user=lead, email=lead.email, verified=True, primary=True)
    secret = generate_totp_secret()
    TOTPAuthenticatorFactory(user=lead, secret=secret)
    started = timezone.localdate() - datetime.timedelta(days=30)
    registered = timezone.localdate() - datetime.timedelta(days=10)

    # Create an account.
    page.goto("/accounts/signup/")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    check_page(page, "mso-01-sign-up")
    page.get_by_label("Work email address").fill(APPLICANT)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    check_page(page, "mso-02-check-your-email")

    # Confirm the email address from the link in the email.
    confirmation = wait_for_email(APPLICANT)
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^/\s]+/)", confirmation.body).group(1)
    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    check_page(page, "mso-03-confirm-email")
    page.get_by_role("button", name="Confirm email address").click()
    expect(page.get_by_role("heading", name="You do not have a role in the network yet")).to_be_visible()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(APPLICANT)
    check_page(page, "mso-04-home-no-role")

    # Find the organisation: the suggestions appear as the name is typed.
    page.get_by_role("link", name="Register as a medication safety officer").click()
    expect(page.get_by_role("heading", name="Register as a medication safety officer")).to_be_visible()
    search = page.get_by_label("Organisation name or ODS code")
    search.press_sequentially("Royal Free")
    suggestions = page.get_by_role("list", name="Suggested organisations")
    expect(suggestions).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^1 organisation found"))
    check_page(page, "mso-05-find-organisation")
    # Chosen with the keyboard: the down arrow moves from the field to the first suggestion.
    search.press("ArrowDown")
    suggestion = suggestions.get_by_role("link", name=TRUST)
    expect(suggestion).to_be_focused()
    suggestion.press("Enter")

    # Send the request.
    expect(page.get_by_role("heading", name=f"Your role at {TRUST}")).to_be_visible()
    check_page(page, "mso-06-registration-form")
    page.get_by_role("group", name="Which role are you registering for?").get_by_label(
        "Medication safety officer", exact=True
    ).check()
    start = page.get_by_role("group", name="When did you start in this role?")
    start.get_by_label("Day").fill(str(started.day))
    start.get_by_label("Month").fill(str(started.month))
    start.get_by_label("Year").fill(str(started.year))
    page.get_by_label("First name", exact=True).fill("Priya")
    page.get_by_label("Last name", exact=True).fill("Shah")
    page.get_by_label("Job title", exact=True).fill("Lead Medication Safety Pharmacist")
    page.get_by_label("Profession", exact=True).select_option(label="Pharmacist")
    page.get_by_label("Professional registration number (optional)", exact=True).fill("2045678")
    page.get_by_label("Work telephone number", exact=True).fill("020 7794 0500")
    mhra = page.get_by_role("group", name="Are you registered with the MHRA as your organisation's named officer?")
    mhra_date = mhra.get_by_role("group", name="Date you registered with the MHRA")
    expect(mhra_date).to_be_hidden()
    mhra.get_by_label("Yes", exact=True).check()
    expect(mhra_date).to_be_visible()
    mhra_date.get_by_label("Day").fill(str(registered.day))
    mhra_date.get_by_label("Month").fill(str(registered.month))
    mhra_date.get_by_label("Year").fill(str(registered.year))
    page.get_by_role(
        "group", name="Do you have access to the generic MSO mailbox, rf-tr.medicationsafety@nhs.net?"
    ).get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Send registration request").click()
    expect(page.get_by_role("heading", name="Registration request sent")).to_be_visible()
    expect(page.get_by_text(f"at {TRUST}")).to_be_visible()
    check_page(page, "mso-07-registration-sent")

    # The national lead signs in, with the code from their authenticator app.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email address").fill(lead.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your security code")).to_be_visible()
    page.get_by_label("Security code").fill(current_code(secret))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Welcome, Nadia Lead")).to_be_visible()

    # The lead approves the request.
    follow_menu(page, "Registrations")
    queue = page.get_by_role("table", name=re.compile("1 request waiting for review"))
    expect(queue).to_be_visible()
    queue.get_by_role("link", name="Priya Shah").click()
    expect(page.get_by_role("heading", name="Priya Shah")).to_be_visible()
    page.get_by_role("button", name="Approve registration").click()
    expect(
        page.get_by_text(f"Registration approved: Priya Shah is now the medication safety officer at {TRUST}.")
    ).to_be_visible()

    # The trust's page names her as its MSO.
    page.goto("/organisations/RAL/")
    officers = page.get_by_role("table", name="Named medication safety and medical device safety officers")
    row = officers.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Priya Shah"))
    expect(row.get_by_role("cell").first).to_have_text(re.compile(r"Medication safety officer$"))
    expect(page.get_by_text("has no named MSO")).to_have_count(0)
    page.screenshot(path=tmp_path / "organisation.png", full_page=True)

    # The new officer signs in and sees the role she was approved for.
    page.get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(APPLICANT)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("main")).to_contain_text(f"Medication safety officer at {TRUST}")
    check_page(page, "mso-08-home-approved")
    page.goto("/people/me/registrations/")
    request = page.get_by_role("row").filter(has_text=TRUST)
    expect(request.get_by_role("cell").filter(has_text="Approved")).to_be_visible()
    check_page(page, "mso-09-registration-approved")

    appointment = Appointment.objects.get(organisation=trust, person__user__email=APPLICANT)
    assert appointment.role == Appointment.Role.MSO
    assert appointment.status == Appointment.Status.ACTIVE
    assert appointment.start_date == started
    assert appointment.mhra_registered_on == registered
    networks = set(Membership.objects.current().filter(person=appointment.person).values_list("network", flat=True))
    assert networks == {national.pk, london_network.pk}
    wait_for_email(APPLICANT, f"You are now registered as medication safety officer at {TRUST}")
    wait_for_email(chair.work_email, "has joined the London MSO network: Priya Shah")
