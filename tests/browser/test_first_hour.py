"""Each role's first hour in a real browser, walked through the links and buttons a user would click:
a new MSO signs up and is approved, the national lead's first import, a chair's first look at their
network, and an outgoing MSO's handover. The emails are read from the outbox and their links opened
in the browser; every page is checked by axe-core (WCAG 2.2 AA), at 320 px wide, and screenshotted.
Each user has a browser context of their own, on one Chromium for the module."""

import datetime
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from compliance.services import compliance_scan
from handovers.models import Handover
from officers.models import Appointment, Person, Profession
from registrations.services import registration_approve, registration_submit
from tests.a11y import check_page
from tests.browser.test_journeys import PASSWORD, follow_menu, open_people_import, sign_in, upload_people
from tests.browser.test_registration import wait_for_email
from tests.factories import OrganisationFactory, PersonFactory, UserFactory
from tests.factories.files import PEOPLE_HEADERS, person_row

NEW_PASSWORD = "a long enough pass phrase 42"
APPLICANT = "priya.shah@nhs.net"
VACANT = "Guy's and St Thomas' NHS Foundation Trust"
ROYAL_FREE = "Royal Free London NHS Foundation Trust"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("totp_tolerance")]


@pytest.fixture
def vacant(confirmed):
    """A London trust with a generic MSO mailbox and no named MSO yet."""
    return OrganisationFactory(
        ods_code="RJ1", name=VACANT, region=confirmed.london, generic_mailbox="gstt.medicationsafety@nhs.net"
    )


def link_in(message, path: str) -> str:
    """The path of the first link in an email's text that starts with `path`."""
    found = re.search(rf"https?://[^/\s]+({re.escape(path)}\S*)", message.body)
    assert found, f"No link to {path} in the email {message.subject!r}:\n{message.body}"
    return found.group(1)


def fill_date(group, day: datetime.date) -> None:
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def sign_in_as_applicant(page, password: str = NEW_PASSWORD) -> None:
    """Signs in from the start page (the approval email has no link to follow)."""
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email address").fill(APPLICANT)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^Welcome"))).to_be_visible()


def test_a_new_mso_signs_up_registers_and_the_lead_approves_them_from_the_queue(open_page, confirmed, vacant):
    world = confirmed
    started = timezone.localdate() - datetime.timedelta(days=30)
    page = open_page()

    # The start page asks a visitor to sign in, and leads to the creation of an account.
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    check_page(page, "first-mso-01-sign-in")
    page.get_by_role("main").get_by_role("link", name="create an account").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    check_page(page, "first-mso-02-sign-up")
    page.get_by_label("Work email address").fill(APPLICANT)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    check_page(page, "first-mso-03-check-your-email")

    # The confirmation email's link, which signs them in once confirmed.
    page.goto(link_in(wait_for_email(APPLICANT), "/accounts/confirm-email/"))
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    check_page(page, "first-mso-04-confirm-email")
    page.get_by_role("button", name="Confirm email address").click()
    expect(page.get_by_role("heading", name="You do not have a role in the network yet")).to_be_visible()
    check_page(page, "first-mso-05-home-no-role")

    # Register as the MSO of a trust found by the search (without waiting for its suggestions).
    page.get_by_role("link", name="Register as a medication safety officer").click()
    expect(page.get_by_role("heading", name="Register as a medication safety officer")).to_be_visible()
    page.get_by_label("Organisation name or ODS code").fill("RJ1")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Choose your organisation")).to_be_visible()
    check_page(page, "first-mso-06-choose-organisation")
    page.get_by_role("link", name=VACANT).click()
    expect(page.get_by_role("heading", name=f"Your role at {VACANT}")).to_be_visible()
    page.get_by_role("group", name="Which role are you registering for?").get_by_label(
        "Medication safety officer", exact=True
    ).check()
    fill_date(page.get_by_role("group", name="When did you start in this role?"), started)
    page.get_by_label("First name", exact=True).fill("Priya")
    page.get_by_label("Last name", exact=True).fill("Shah")
    page.get_by_label("Job title", exact=True).fill("Lead Medication Safety Pharmacist")
    page.get_by_label("Profession", exact=True).select_option(label="Pharmacist")
    page.get_by_label("Work telephone number", exact=True).fill("020 7188 7188")
    page.get_by_role(
        "group", name="Are you registered with the MHRA as your organisation's named officer?"
    ).get_by_label("No", exact=True).check()
    page.get_by_role(
        "group", name="Do you have access to the generic MSO mailbox, gstt.medicationsafety@nhs.net?"
    ).get_by_label("Yes", exact=True).check()
    check_page(page, "first-mso-07-registration-form")
    page.get_by_role("button", name="Send registration request").click()
    expect(page.get_by_role("heading", name="Registration request sent")).to_be_visible()
    check_page(page, "first-mso-08-registration-sent")
    wait_for_email(APPLICANT, f"We have received your registration as medication safety officer at {VACANT}")
    page.get_by_role("link", name="NHS MSO Network homepage").click()
    expect(page.get_by_role("heading", name=re.compile("^Welcome"))).to_be_visible()
    check_page(page, "first-mso-09-home-waiting")
    page.get_by_role("button", name="Sign out").click()

    # The national lead, told by email, approves the request from the review queue in a browser of their own.
    wait_for_email(world.lead.email, f"Registration to review: Priya Shah, medication safety officer at {VACANT}")
    lead = open_page()
    sign_in(lead, world.lead)
    follow_menu(lead, "Registrations")
    queue = lead.get_by_role("table", name=re.compile("1 request waiting for review"))
    queue.get_by_role("link", name="Priya Shah").click()
    expect(lead.get_by_role("heading", name="Priya Shah")).to_be_visible()
    check_page(lead, "first-mso-10-lead-review")
    lead.get_by_role("button", name="Approve registration").click()
    expect(
        lead.get_by_text(f"Registration approved: Priya Shah is now the medication safety officer at {VACANT}.")
    ).to_be_visible()
    check_page(lead, "first-mso-11-lead-approved")

    # The approval email tells them to sign in; their home page shows the role and their record.
    approved = wait_for_email(APPLICANT, f"You are now registered as medication safety officer at {VACANT}")
    assert "Sign in to the MSO Network" in approved.body
    sign_in_as_applicant(page)
    main = page.get_by_role("main")
    expect(main).to_contain_text(f"Medication safety officer at {VACANT}")
    check_page(page, "first-mso-12-home-approved")
    main.get_by_role("link", name="See your details as the network sees them").click()
    expect(page.get_by_role("heading", name=re.compile("Priya Shah"))).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Lead Medication Safety Pharmacist")
    check_page(page, "first-mso-13-my-record")
    assert Appointment.objects.get(organisation=vacant, person__user__email=APPLICANT).status == "active"


def test_a_new_mso_s_home_page_shows_their_request_waiting_and_then_greets_them_by_name(open_page, confirmed, vacant):
    applicant = UserFactory(email=APPLICANT, name="")  # as a signed-up account has: no name yet
    EmailAddress.objects.create(user=applicant, email=APPLICANT, verified=True, primary=True)
    request = registration_submit(
        user=applicant,
        organisation=vacant,
        role=Appointment.Role.MSO,
        start_date=timezone.localdate() - datetime.timedelta(days=30),
        first_name="Priya",
        last_name="Shah",
        job_title="Lead Medication Safety Pharmacist",
        profession=Profession.PHARMACIST,
        phone="020 7188 7188",
        has_mailbox_access=True,
    )
    page = open_page()
    sign_in_as_applicant(page, PASSWORD)
    main = page.get_by_role("main")
    # The request waits for the national MSO team: the home page says so, rather than "no role yet".
    expect(main).to_contain_text(re.compile(r"waiting", re.IGNORECASE))
    expect(main).to_contain_text(VACANT)
    expect(page.get_by_role("heading", name="You do not have a role in the network yet")).to_have_count(0)
    check_page(page, "first-mso-home-request-waiting")

    registration_approve(request_id=request.pk, reviewer=confirmed.lead)
    page.get_by_role("link", name="NHS MSO Network homepage").click()
    expect(page.get_by_role("heading", name="Welcome, Priya Shah")).to_be_visible()
    expect(main).to_contain_text(f"Medication safety officer at {VACANT}")
    check_page(page, "first-mso-home-greeted-by-name")


def test_the_lead_s_first_import_is_refused_with_its_error_then_imported_once_corrected(open_page, confirmed):
    page = open_page()
    sign_in(page, confirmed.lead, check_as="first-import-01")
    open_people_import(page, "first-import-02-imports", "first-import-03-upload")

    # A file whose second row has a date that cannot be read.
    nia = person_row(
        "nia.hughes@nhs.net", "Nia", "Hughes", ods="RAL", role="Medication safety team member", start="2025-02-01"
    )
    omar = person_row(
        "omar.farah@nhs.net", "Omar", "Farah", ods="RAL", role="Medication safety team member", start="1 Feb"
    )
    upload_people(page, [PEOPLE_HEADERS, nia, omar])
    expect(page.get_by_role("heading", name="What the import would do")).to_be_visible()
    errors = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Problem"))
    error = errors.get_by_role("row").filter(has_text="Start date")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("3")  # the line of the file, counting the headers as line 1
    expect(page.get_by_role("main")).to_contain_text("Nothing has been saved")
    expect(page.get_by_role("button", name=re.compile(r"^Import \d"))).to_have_count(0)
    check_page(page, "first-import-04-preview-with-error")

    # The corrected file: both rows are new, and the button says so.
    page.get_by_role("link", name="upload it again").click()
    omar[PEOPLE_HEADERS.index("Start date")] = "2025-02-01"
    upload_people(page, [PEOPLE_HEADERS, nia, omar])
    expect(page.get_by_role("heading", name="What the import would do")).to_be_visible()
    confirm = page.get_by_role("button", name="Import 2 new rows")
    expect(confirm).to_be_visible()
    check_page(page, "first-import-05-preview-corrected")
    confirm.click()
    expect(page.get_by_role("heading", name="What was imported")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Import \d"))).to_have_count(0)
    check_page(page, "first-import-06-imported")

    # The imports page lists it, and the new people are in the register.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Import and export").click()
    expect(page.get_by_role("main")).to_contain_text("people.csv")
    check_page(page, "first-import-07-imports-so-far")
    assert set(
        Person.objects.filter(appointments__organisation__ods_code="RAL").values_list("last_name", flat=True)
    ) == {"Okafor", "Hughes", "Farah"}


def test_a_chair_s_first_look_pages_their_network_s_gaps_and_sees_only_their_region_s_flags(open_page, confirmed):
    world = confirmed
    # 24 London trusts without a named MSO besides the Royal Free, which has one; and one in the North West.
    for number in range(1, 25):
        OrganisationFactory(ods_code=f"T{number:02}", name=f"London Test Trust {number:02}", region=world.london)
    OrganisationFactory(ods_code="T99", name="North West Test Trust", region=world.north_west)
    compliance_scan()

    page = open_page()
    sign_in(page, world.chair_a, check_as="first-chair-01")
    check_page(page, "first-chair-02-home")
    follow_menu(page, "My network")
    expect(page.get_by_role("heading", name=re.compile("London MSO network"))).to_be_visible()
    check_page(page, "first-chair-03-network")

    page.get_by_role("link", name="Membership", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Membership"))).to_be_visible()
    expect(page.get_by_role("table", name="25 organisations")).to_be_visible()
    check_page(page, "first-chair-04-membership")

    # Only the gaps: 24 organisations, 20 on the first page and 4 on the next, the filter kept.
    page.get_by_label("Only organisations missing an MSO").check()
    page.get_by_role("button", name="Filter").click()
    table = page.get_by_role("table", name="24 organisations")
    expect(table).to_be_visible()
    expect(table.get_by_role("rowheader")).to_have_count(20)
    expect(table.get_by_role("link", name=ROYAL_FREE)).to_have_count(0)
    pages = page.get_by_role("navigation", name="Pages of organisations")
    check_page(page, "first-chair-05-membership-gaps")
    pages.get_by_role("link", name="Next page").click()
    expect(pages.get_by_role("link", name="Page 2")).to_have_attribute("aria-current", "page")
    expect(page.get_by_label("Only organisations missing an MSO")).to_be_checked()
    expect(table.get_by_role("rowheader")).to_have_count(4)
    expect(table.get_by_role("link", name="London Test Trust 24")).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("North West Test Trust")
    check_page(page, "first-chair-06-membership-gaps-page-2")

    # The flag board: the region filter offers only the region of the network they chair.
    follow_menu(page, "Flags")
    expect(page.get_by_role("heading", name="Compliance flags")).to_be_visible()
    region = page.get_by_label("Region")
    expect(region.locator("option")).to_have_text(["All regions", "London"])
    expect(page.get_by_role("main")).to_contain_text("London Test Trust")
    expect(page.get_by_role("main")).not_to_contain_text("North West Test Trust")
    check_page(page, "first-chair-07-flags")


def test_an_outgoing_mso_starts_a_handover_to_their_successor_who_is_emailed_its_link(open_page, confirmed):
    world = confirmed
    successor_user = UserFactory(email="sam.jones@nhs.net", name="Sam Jones")
    EmailAddress.objects.create(user=successor_user, email=successor_user.email, verified=True, primary=True)
    PersonFactory(user=successor_user, work_email=successor_user.email, first_name="Sam", last_name="Jones")
    leaving = timezone.localdate() + datetime.timedelta(days=30)

    # The MSO, from their record, starts the handover and names their successor.
    page = open_page()
    sign_in(page, world.mso, check_as="first-handover-01")
    follow_menu(page, "My details")
    expect(page.get_by_role("heading", name=re.compile("Amina Okafor"))).to_be_visible()
    check_page(page, "first-handover-02-my-record")
    page.get_by_role("link", name=re.compile(r"^Leaving your role\? Start a handover")).click()
    expect(page.get_by_role("heading", name=re.compile("Start a handover"))).to_be_visible()
    check_page(page, "first-handover-03-start")
    fill_date(page.get_by_role("group", name="When do you leave the role?"), leaving)
    page.get_by_label("Your successor's work email (optional)").fill("sam.jones@nhs.net")
    page.get_by_role("button", name="Start the handover").click()
    expect(page.get_by_text(re.compile("^Handover started"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(ROYAL_FREE), level=1)).to_be_visible()
    check_page(page, "first-handover-04-started")

    # The organisation's page shows the handover in progress, and offers no second start.
    page.get_by_role("main").get_by_role("link", name=ROYAL_FREE, exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(ROYAL_FREE), level=1)).to_be_visible()
    expect(
        page.get_by_role("heading", name="Handover of the medication safety officer role in progress")
    ).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Sam Jones")
    expect(page.get_by_role("link", name=re.compile("Start a handover"))).to_have_count(0)
    check_page(page, "first-handover-05-organisation")

    # The successor opens the link in their email, signs in, and lands on the handover.
    handover = Handover.objects.get(outgoing_appointment=world.mso_appointment)
    message = wait_for_email(
        "sam.jones@nhs.net", f"Amina Okafor is handing the medication safety officer role at {ROYAL_FREE} over to you"
    )
    successor = open_page()
    successor.goto(link_in(message, handover.get_absolute_url()))
    expect(successor.get_by_role("heading", name="Sign in")).to_be_visible()
    successor.get_by_label("Email address").fill("sam.jones@nhs.net")
    successor.get_by_label("Password", exact=True).fill(PASSWORD)
    successor.get_by_role("button", name="Sign in").click()
    expect(successor.get_by_role("heading", name=re.compile(ROYAL_FREE), level=1)).to_be_visible()
    expect(successor).to_have_url(re.compile(re.escape(handover.get_absolute_url()) + "$"))
    expect(successor.get_by_role("main")).to_contain_text("Sam Jones")
    check_page(successor, "first-handover-06-successor")

    # The London network's chair and the national lead are told, once each; the outgoing MSO is not.
    wait_for_email(world.chair_a.email, f"Amina Okafor is leaving the medication safety officer role at {ROYAL_FREE}")
    wait_for_email(world.lead.email, f"Handover started: medication safety officer at {ROYAL_FREE}")
    told = sorted(address for message in mail.outbox if ROYAL_FREE in message.subject for address in message.to)
    assert told == sorted(["sam.jones@nhs.net", world.chair_a.email, world.lead.email])
