"""Shared fixtures: one user per role, on two organisations in two regions (the Alice/Bob/Charlie of this project)."""

import contextlib
import os
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

from msonet.generations import MoveOn
from networks.models import Membership, Network
from officers.models import Appointment
from tests.factories import (
    AppointmentFactory,
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    PersonFactory,
    RegionFactory,
    TOTPAuthenticatorFactory,
    UserFactory,
)

pytest_plugins = ["tests.figures"]


@pytest.fixture
def django_capture_on_commit_callbacks(django_capture_on_commit_callbacks):
    """pytest-django's, listing the tasks and emails a transaction queues for its commit without the
    cached figures' generations it moves on (msonet.generations; run all the same when `execute`):
    tests/msonet/test_generations.py tests those."""

    @contextlib.contextmanager
    def capture(*, using=DEFAULT_DB_ALIAS, execute=False):
        queued = []
        with django_capture_on_commit_callbacks(using=using, execute=execute) as callbacks:
            yield queued
        queued[:] = [callback for callback in callbacks if not isinstance(callback, MoveOn)]

    return capture


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache, so allauth's rate limits (and its record of TOTP codes
    already used) never carry over from one test to the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    """Two regions, each with a regional network, a trust, its named MSO and a chair.

    Returns a namespace with the organisations, networks and a user per role:
    lead, mso (org_a), other_mso (org_b), chair_a, chair_b, no_role. The lead and the chairs, who
    must use two-factor authentication, have an authenticator app set up.
    """
    london = RegionFactory(code="Y56", name="London")
    north_west = RegionFactory(code="Y62", name="North West")
    national = NetworkFactory(name="National MSO network", slug="national", kind=Network.Kind.NATIONAL)
    network_a = NetworkFactory(
        name="London MSO network", slug="london", kind=Network.Kind.REGIONAL, region=london, parent=national
    )
    network_b = NetworkFactory(
        name="North West MSO network", slug="north-west", kind=Network.Kind.REGIONAL, region=north_west, parent=national
    )
    org_a = OrganisationFactory(ods_code="RAL", name="Royal Free London NHS Foundation Trust", region=london)
    org_b = OrganisationFactory(ods_code="R0A", name="Manchester University NHS Foundation Trust", region=north_west)

    # Fixed names, so that searches in the tests (for "RAL", say) cannot match a random one.
    def officer(org, network, email, first_name, last_name):
        user = UserFactory(email=email)
        person = PersonFactory(user=user, work_email=email, first_name=first_name, last_name=last_name)
        appointment = AppointmentFactory(person=person, organisation=org, role=Appointment.Role.MSO)
        MembershipFactory(person=person, network=national)
        MembershipFactory(person=person, network=network)
        return user, person, appointment

    def chair(network, email, first_name, last_name):
        user = UserFactory(email=email)
        person = PersonFactory(user=user, work_email=email, first_name=first_name, last_name=last_name)
        MembershipFactory(person=person, network=network, role=Membership.Role.CHAIR)
        TOTPAuthenticatorFactory(user=user)
        return user

    def lead(email):
        user = UserFactory(email=email, is_national_lead=True, is_staff=True)
        TOTPAuthenticatorFactory(user=user)
        return user

    mso, mso_person, mso_appointment = officer(org_a, network_a, "mso.a@nhs.net", "Amina", "Okafor")
    other_mso, other_person, other_appointment = officer(org_b, network_b, "mso.b@nhs.net", "Ben", "Whitaker")
    return SimpleNamespace(
        london=london,
        north_west=north_west,
        national=national,
        network_a=network_a,
        network_b=network_b,
        org_a=org_a,
        org_b=org_b,
        lead=lead("lead@england.nhs.uk"),
        mso=mso,
        mso_person=mso_person,
        mso_appointment=mso_appointment,
        other_mso=other_mso,
        other_person=other_person,
        other_appointment=other_appointment,
        chair_a=chair(network_a, "chair.a@nhs.net", "Chloe", "Adeyemi"),
        chair_b=chair(network_b, "chair.b@nhs.net", "Daniel", "Kowalski"),
        no_role=UserFactory(email="no.role@nhs.net"),
    )


@pytest.fixture
def committing_client(client, django_capture_on_commit_callbacks):
    """A test client whose every request ends as a real one does: its on-commit work (the emails
    it queued) runs when the request's transaction would have committed."""
    send = client.request

    def request(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return send(**kwargs)

    client.request = request
    return client


@pytest.fixture
def confirmed(world):
    """The test world, its people's email addresses confirmed (so that they can sign in)."""
    for user in (world.lead, world.mso, world.chair_a, world.chair_b):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return world


@pytest.fixture
def totp_tolerance(settings):
    """Accepts the previous 30 seconds' code too, in case a new period starts while a browser test
    types it."""
    settings.MFA_TOTP_TOLERANCE = 1


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _skip_without_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("MSONET_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a module's journeys (each opens fresh contexts on it). Skipped, or
    failed in CI, where Chromium is missing, as for `page`."""
    _skip_without_chromium()
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def open_page(browser, live_server):
    """Opens a page in a fresh browser context (a user of their own, with no cookies) on the live
    server, as often as a journey needs one: the lead in one, the officer in another."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    # The test's own queries, made while Playwright runs, went through a connection of their own.
    connections.close_all()
    for context in contexts:
        context.close()


@pytest.fixture
def page(live_server):
    """A headless Chromium page (Debian's /usr/bin/chromium, driven by Playwright) on the live server.

    Skipped where Chromium is missing, except in CI (MSONET_REQUIRE_BROWSER=1), where it fails.
    """
    _skip_without_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous, so Django is told they are safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
            # While Playwright runs, this thread has a context of its own, and Django keeps its
            # database connections per context: the test's own queries went through a connection
            # opened for it. Closed here, or it outlives the test (and PostgreSQL then refuses to
            # drop the test database).
            connections.close_all()
            context.close()
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
