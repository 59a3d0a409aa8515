"""Each role's main journey in a real browser, with every page checked by axe-core (WCAG 2.2 AA: no
serious or critical violation), at 320 px wide (no sideways scrolling), and screenshotted; and one
journey done with the keyboard alone. The self-registration journey of a new MSO is in
test_registration.py, with the same checks; each role's first hour is in test_first_hour.py."""

import datetime
import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.db import connections
from playwright.sync_api import expect

from compliance.services import compliance_scan
from networks.models import Membership
from officers.changes import change_details_submit
from officers.models import Appointment, Profession
from registrations.services import registration_submit
from tests.a11y import assert_focus_visible, check_page, focused, header_settled, tab_to
from tests.factories import MembershipFactory, NetworkFactory, OrganisationFactory, UserFactory
from tests.factories.files import PEOPLE_HEADERS, csv_bytes, person_row

PASSWORD = "correct horse battery staple"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("totp_tolerance")]


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    # The test's own queries, made while Playwright runs, went through a connection of their own:
    # closed here, or PostgreSQL refuses to drop the test database at the end.
    connections.close_all()
    context.close()


@pytest.fixture
def people(confirmed):
    """The test world with a registration request and a change of details waiting for the lead,
    and the compliance flags opened by a scan."""
    world = confirmed
    applicant = UserFactory(email="priya.shah@nhs.net", name="Priya Shah")
    vacant = OrganisationFactory(ods_code="RJ1", name="Guy's and St Thomas' NHS Foundation Trust", region=world.london)
    registration_submit(
        user=applicant,
        organisation=vacant,
        role=Appointment.Role.MSO,
        start_date=datetime.date(2026, 9, 1),
        first_name="Priya",
        last_name="Shah",
        job_title="Lead Medication Safety Pharmacist",
        profession=Profession.PHARMACIST,
        phone="020 7188 7188",
        has_mailbox_access=True,
    )
    change_details_submit(requested_by=world.mso, person_values={"job_title": "Chief Pharmacist"})
    compliance_scan()
    return world


def current_code(user) -> str:
    secret = decrypt(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(page, user, *, check_as: str = "") -> None:
    """Signs in with email, password and (for the lead and chairs) the authenticator app's code;
    with `check_as`, checks the two sign-in pages on the way."""
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    if check_as:
        check_page(page, f"{check_as}-sign-in")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if Authenticator.objects.filter(user=user).exists():
        expect(page.get_by_role("heading", name="Enter your security code")).to_be_visible()
        if check_as:
            check_page(page, f"{check_as}-security-code")
        page.get_by_label("Security code").fill(current_code(user))
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name=re.compile("^Welcome"))).to_be_visible()


def open_people_import(page, imports_shot: str, upload_shot: str) -> None:
    """From any page, the lead follows the menu to Import and export, then to the people import's upload."""
    follow_menu(page, "Import and export")
    expect(page.get_by_role("heading", name="Import and export", level=1)).to_be_visible()
    check_page(page, imports_shot)
    page.get_by_role("link", name="Import people and appointments").click()
    expect(page.get_by_role("heading", name=re.compile("People and appointments"), level=1)).to_be_visible()
    check_page(page, upload_shot)


def upload_people(page, rows) -> None:
    page.get_by_label("Upload a file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows)}]
    )
    page.get_by_role("button", name="Upload and check").click()


def menu(page):
    return page.get_by_role("navigation", name="Menu")


def follow_menu(page, name: str) -> None:
    """Follows a link of the header's menu, opening "More" first if the link is folded under it."""
    page.locator("header[data-nhsuk-header-init]").wait_for(state="attached")  # the menu has been folded
    link = menu(page).get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        menu(page).get_by_role("button", name="Browse More").click()
    link.click()


def test_lead_reviews_requests_organisations_and_flags_in_accessible_pages(page, people):
    sign_in(page, people.lead, check_as="lead-01")
    check_page(page, "lead-02-home")

    # The registration queue, a request and its approval.
    follow_menu(page, "Registrations")
    queue = page.get_by_role("table", name=re.compile("1 request waiting for review"))
    expect(queue).to_be_visible()
    check_page(page, "lead-03-registration-queue")
    queue.get_by_role("link", name="Priya Shah").click()
    expect(page.get_by_role("heading", name="Priya Shah")).to_be_visible()
    check_page(page, "lead-04-registration-review")
    page.get_by_role("button", name="Approve registration").click()
    expect(page.get_by_text("Registration approved: Priya Shah")).to_be_visible()
    check_page(page, "lead-05-registration-approved")

    # The change-request queue and a change.
    follow_menu(page, "Change requests")
    expect(page.get_by_role("heading", name="Change requests", exact=True)).to_be_visible()
    check_page(page, "lead-06-change-queue")
    page.get_by_role("link", name=re.compile("review request")).click()
    expect(page.get_by_role("heading", name=re.compile("Change to Amina Okafor"))).to_be_visible()
    check_page(page, "lead-07-change-review")
    page.get_by_role("button", name="Approve the change").click()
    expect(page.get_by_text(re.compile("approved", re.IGNORECASE)).first).to_be_visible()
    check_page(page, "lead-08-change-approved")

    # The organisation directory, a search, and an organisation's page.
    follow_menu(page, "Organisations")
    expect(page.get_by_role("heading", name="Organisation directory")).to_be_visible()
    check_page(page, "lead-09-organisations")
    page.get_by_label("Organisation name or ODS code").first.fill("Royal Free")
    page.get_by_label("Organisation name or ODS code").first.press("Enter")
    page.get_by_role("link", name="Royal Free London NHS Foundation Trust").click()
    expect(page.get_by_role("heading", name=re.compile("Royal Free London NHS Foundation Trust"))).to_be_visible()
    check_page(page, "lead-10-organisation")

    # The flag board, filtered by region.
    follow_menu(page, "Flags")
    expect(page.get_by_role("heading", name="Compliance flags")).to_be_visible()
    check_page(page, "lead-11-flags")

    # Handovers: approving Priya Shah for a vacant post opened none, but the page lists the rest.
    follow_menu(page, "Handovers")
    expect(page.get_by_role("heading", name=re.compile("Handovers"))).to_be_visible()
    check_page(page, "lead-12-handovers")

    # The national coverage dashboard and one region's page.
    follow_menu(page, "Dashboard")
    expect(page.get_by_role("heading", name="National coverage dashboard", level=1)).to_be_visible()
    check_page(page, "lead-13-dashboard")
    page.get_by_text("Show the numbers for coverage by region").click()
    page.get_by_role("link", name=re.compile(r"^London\W+coverage by organisation type$")).click()
    expect(page.get_by_role("heading", name="London", level=1)).to_be_visible()
    check_page(page, "lead-14-dashboard-region")

    # An import of people checked before anything is written: the preview of its new rows and errors.
    open_people_import(page, "lead-15-imports", "lead-16-import-upload")
    new_person = person_row(
        "nia.hughes@nhs.net", "Nia", "Hughes", ods="RAL", role="Medication safety team member", start="2025-02-01"
    )
    upload_people(page, [PEOPLE_HEADERS, new_person])
    expect(page.get_by_role("heading", name="What the import would do")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("new person: Nia Hughes")
    check_page(page, "lead-17-import-preview")

    # A file with a bad date: the preview lists the error by line and column, and imports nothing.
    page.goto("/imports/new/people/")
    bad_date = person_row(
        "omar.farah@nhs.net", "Omar", "Farah", ods="RAL", role="Medication safety team member", start="1 Feb"
    )
    upload_people(page, [PEOPLE_HEADERS, new_person, bad_date])
    errors = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Problem"))
    expect(errors.get_by_role("row").filter(has_text="Start date")).to_contain_text("3")
    check_page(page, "lead-18-import-preview-errors")


def test_chair_sees_their_network_membership_and_downloads_it_in_accessible_pages(page, people):
    # She chairs a specialised network too, so the menu leads to the list of her networks.
    specialised = NetworkFactory(name="Mental health MSO network", slug="mental-health")
    MembershipFactory(person=people.chair_a.person, network=specialised, role=Membership.Role.CHAIR)
    sign_in(page, people.chair_a, check_as="chair-01")
    check_page(page, "chair-02-home")

    follow_menu(page, "My networks")
    mine = page.get_by_role("table", name="Networks you chair")
    expect(mine.get_by_role("link", name="Mental health MSO network")).to_be_visible()
    expect(mine.get_by_role("link", name="North West MSO network")).to_have_count(0)
    check_page(page, "chair-03-my-networks")
    mine.get_by_role("link", name="London MSO network").click()
    expect(page.get_by_role("heading", name=re.compile("London MSO network"))).to_be_visible()
    check_page(page, "chair-04-network")

    page.get_by_role("link", name="Membership", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Membership"))).to_be_visible()
    expect(page.get_by_role("table").get_by_role("link", name="Royal Free London NHS Foundation Trust")).to_be_visible()
    check_page(page, "chair-05-membership")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    content = download.path().read_text(encoding="utf-8-sig")
    assert "Royal Free London NHS Foundation Trust" in content
    assert "Manchester" not in content

    response = page.goto(f"/networks/{people.network_b.slug}/membership/")
    assert response.status == 404
    check_page(page, "chair-06-other-network-not-found")


def test_officer_records_their_committee_and_sees_their_checklist_in_accessible_pages(page, confirmed):
    sign_in(page, confirmed.mso, check_as="officer-01")
    check_page(page, "officer-02-home")
    trust = "Royal Free London NHS Foundation Trust"

    page.get_by_role("main").get_by_role("link", name=trust, exact=True).first.click()
    expect(page.get_by_role("heading", name=re.compile(trust), level=1)).to_be_visible()
    check_page(page, "officer-03-organisation")

    # The committee's record: the sub-committee's name is asked for only when one is chosen.
    page.get_by_role("link", name="Record the medication safety committee").click()
    expect(page.get_by_role("heading", name=re.compile("Record the medication safety committee"))).to_be_visible()
    check_page(page, "officer-04-committee-form")
    page.get_by_label("Name of the committee").fill("Medicines Safety Group")
    reports_to = page.get_by_role("group", name="Who does it report to?")
    sub_committee = page.get_by_label("Name of the sub-committee it reports to")
    expect(sub_committee).to_be_hidden()
    reports_to.get_by_label("A board sub-committee").check()
    expect(sub_committee).to_be_visible()
    sub_committee.fill("Quality and Safety Committee")
    represented = page.get_by_role("group", name=re.compile("Are patients or people with lived experience"))
    represented.get_by_label("No", exact=True).check()
    expect(page.get_by_label("How are they represented?")).to_be_hidden()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Medication safety committee"), level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Quality and Safety Committee")
    check_page(page, "officer-05-committee")

    # The getting-started checklist of the new role, from the home page.
    page.goto("/")
    page.get_by_role("link", name=re.compile("getting-started checklist")).first.click()
    expect(page.get_by_role("heading", name=trust, level=1)).to_be_visible()
    check_page(page, "officer-06-checklist")


def test_an_officer_signs_in_and_asks_for_a_change_with_the_keyboard_alone(page, confirmed):
    people = confirmed
    page.goto("/accounts/login/")
    # The first Tab stop is the skip link, which moves the focus to the main content.
    page.keyboard.press("Tab")
    skip = assert_focus_visible(page)
    assert skip["text"] == "Skip to main content"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "maincontent"
    # From there the next Tab stop is the first field of the sign-in form.
    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["label"] == "Email address"
    page.keyboard.type(people.mso.email)
    tab_to(page, "Password")
    page.keyboard.type(PASSWORD)
    tab_to(page, "Sign in")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("^Welcome"))).to_be_visible()

    # Signing in put the focus on the success message in the main content. At 320 px wide the menu
    # keeps what does not fit under "More": back up to it, open it, and on to "My details".
    page.set_viewport_size({"width": 320, "height": 640})
    header_settled(page)
    more = tab_to(page, "Browse More", backwards=True)
    assert more["tag"] == "button"
    expect(menu(page).get_by_role("link", name="My details")).to_be_hidden()
    page.keyboard.press("Enter")
    expect(menu(page).get_by_role("button", name="Browse More")).to_have_attribute("aria-expanded", "true")
    tab_to(page, "My details")
    page.keyboard.press("Enter")
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.get_by_role("heading", name=re.compile("Amina Okafor"))).to_be_visible()
    tab_to(page, "Change my details")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Change your details"))).to_be_visible()
    check_page(page, "mso-keyboard-01-change-details")
    tab_to(page, "Job title")
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("Chief Pharmacist")
    # Shift+Tab back to a field already passed, and forward again to the button, sent with Space.
    tab_to(page, "Last name", backwards=True)
    tab_to(page, "Send for review")
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", name="Your change has been sent for review")).to_be_visible()
    expect(page.get_by_text("Chief Pharmacist")).to_be_visible()
    check_page(page, "mso-keyboard-02-change-sent")
