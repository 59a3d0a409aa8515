"""Every page of the portal in a real browser, checked by axe-core (WCAG 2.2 AA: no serious or
critical violation), at 320 px wide (no sideways scrolling), and screenshotted (tests/a11y.py).

The pages are the access matrix's (tests/access/test_matrix.py, which walks the URL resolver): each
URL whose row gives 200 to the national lead is opened as the lead, else as the first of the MSO,
the chair and the user with no role that gets 200, with the matrix's scene for its URL arguments.
django-allauth's account and two-factor pages, which the matrix leaves out, are walked from the
resolver too and opened signed out, else as the lead. Each role signs in once, in a browser context
of its own, with email, password and (the lead and the chair) the authenticator app's code.
"""

import re
import time

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib.auth.tokens import default_token_generator
from django.db import connections
from django.urls import Resolver404, get_resolver, resolve, reverse

from tests.a11y import check_page
from tests.access.test_matrix import ROLES, ROUTES, TABLE, _walk, scene, split_cell, url_kwargs  # noqa: F401
from tests.browser.test_journeys import PASSWORD, sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("totp_tolerance")]

# The roles a page is opened as, in order of preference: the first whose cell in TABLE is 200.
PAGE_ROLES = ("lead", "mso", "chair_a", "no_role")

# What the browser shows as a page. Anything else the portal serves (CSV and XLSX exports, JSON for
# the organisation search, the terms of reference's PDF, the recovery codes' text file, the health
# check) is a file or data for a script, not a page: it is left out, by its Content-Type.
HTML = "text/html"

# allauth's pages that no one here can open, and why. Any other that no role opens fails the test.
ALLAUTH_UNOPENED = {
    "account_confirm_login_code": "signing in with a code sent by email is turned off",
    "account_set_password": "only for an account with no password; every account has one",
    "mfa_download_recovery_codes": "a text file of the recovery codes, not a page",
}
REAUTHENTICATE = {"account_reauthenticate", "mfa_reauthenticate"}


def allauth_routes():
    """django-allauth's account and two-factor pages, which the access matrix leaves out."""
    return [
        route
        for route in _walk(get_resolver())
        if route.view_module.startswith("allauth.") and route.name.startswith(("account_", "mfa_"))
    ]


def shot_name(role: str, url_name: str) -> str:
    return "every-" + re.sub(r"[^a-z0-9]+", "-", f"{role}-{url_name}".lower()).strip("-")


def url_name_of(path: str) -> str | None:
    try:
        return resolve(path.split("?")[0]).view_name
    except Resolver404:
        return None


class Visitor:
    """One role's browser context: probes a URL (without following redirects, so that the status is
    the page's own) and, when it is an HTML page, opens it and checks it. Violations are collected,
    so that one run reports every page's."""

    def __init__(self, chromium, live_server, role: str):
        self.role = role
        self.context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.checked: list[str] = []
        self.not_html: list[str] = []
        self.failures: list[str] = []
        self.reauthenticated = False

    def reauthenticate(self) -> None:
        """Enters the password again, as allauth asks before its two-factor pages change anything."""
        self.page.goto(reverse("account_reauthenticate"))
        self.page.get_by_label("Password", exact=True).fill(PASSWORD)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Continue").click()
        self.reauthenticated = True

    def probe(self, url: str):
        """The response to a GET of `url`; a redirect to another address of the same page (allauth's
        password reset moves its key from the address to the session) is followed."""
        response = self.page.request.get(url, max_redirects=0)
        location = response.headers.get("location", "")
        if response.status in (301, 302) and location and url_name_of(location) == url_name_of(url):
            url = location
            response = self.page.request.get(url, max_redirects=0)
        return url, response

    def check(self, url: str, url_name: str, *, expect_status: int = 200) -> bool:
        """Opens `url` and checks it, when it is `expect_status` and HTML. Returns whether it was."""
        url, response = self.probe(url)
        location = response.headers.get("location", "")
        if response.status == 302 and url_name_of(location) in REAUTHENTICATE and not self.reauthenticated:
            self.reauthenticate()
            url, response = self.probe(url)
        if response.status != expect_status:
            return False
        if not response.headers.get("content-type", "").startswith(HTML):
            self.not_html.append(url_name)
            return True
        opened = self.page.goto(url)
        assert opened.status == expect_status, f"{url} gave {response.status}, then {opened.status} in the page"
        try:
            check_page(self.page, shot_name(self.role, url_name))
        except AssertionError as error:
            self.failures.append(str(error))
        self.checked.append(url_name)
        return True

    def close(self) -> None:
        self.context.close()


def first_role_with_200(name: str) -> str | None:
    cells = dict(zip(ROLES, TABLE[name], strict=True))
    return next((role for role in PAGE_ROLES if split_cell(cells[role])[0] == "200"), None)


@pytest.fixture
def confirmed_scene(scene):  # noqa: F811 (the access matrix's fixture)
    """The access matrix's scene, its people's email addresses confirmed so that they can sign in."""
    world = scene.world
    for user in (world.lead, world.mso, world.chair_a, world.no_role):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    # The lead has recovery codes beside the authenticator app, so that their page shows them.
    RecoveryCodes.activate(world.lead)
    return scene


def allauth_kwargs(route, newcomer) -> dict:
    """A working key for allauth's pages that take one: an email address waiting for confirmation,
    and a password reset."""
    values = {
        "key": EmailConfirmationHMAC(newcomer.emailaddress_set.get()).key,
        "uidb36": user_pk_to_url_str(newcomer),
    }
    if route.name == "account_reset_password_from_key":
        values["key"] = default_token_generator.make_token(newcomer)
    return {name: values[name] for name in route.kwargs}


def test_every_page_of_the_portal_is_accessible_and_reflows_at_320_px(browser, live_server, confirmed_scene):  # noqa: F811
    started = time.monotonic()
    world = confirmed_scene.world
    newcomer = UserFactory(email="new.officer@nhs.net")
    EmailAddress.objects.create(user=newcomer, email=newcomer.email, verified=False, primary=True)

    by_role: dict[str, list[str]] = {role: [] for role in PAGE_ROLES}
    for name in sorted(ROUTES):
        if role := first_role_with_200(name):
            by_role[role].append(name)
    visitors: dict[str, Visitor] = {}
    try:
        # Signed out: allauth's pages for visitors (sign in, create an account, reset a password…).
        anonymous = visitors["anonymous"] = Visitor(browser, live_server, "anonymous")
        unchecked_allauth = []
        for route in allauth_routes():
            url = reverse(route.name, kwargs=allauth_kwargs(route, newcomer))
            if not anonymous.check(url, route.name):
                unchecked_allauth.append((route.name, url))

        for role in PAGE_ROLES:
            visitor = visitors[role] = Visitor(browser, live_server, role)
            # The lead's sign-in checks the sign-in and security code pages (allauth's
            # mfa_authenticate, which only a sign-in half done can open).
            sign_in(visitor.page, getattr(world, role), check_as="every-lead" if role == "lead" else "")
            if role == "lead":
                visitor.checked.append("mfa_authenticate")
                # The page for an address that names nothing.
                assert visitor.check("/no-such-page/", "not-found", expect_status=404)
            if role in ("lead", "mso"):
                # allauth's pages for people signed in (email addresses, password, two-factor):
                # the lead's, and the MSO's (with no authenticator app) to set one up.
                unchecked_allauth = [(name, url) for name, url in unchecked_allauth if not visitor.check(url, name)]
            if role == "chair_a":
                # A page the role may see but not change: the region's chair and the committee record.
                assert visitor.check(reverse("committees:edit", args=["RAL"]), "forbidden", expect_status=403)
            for name in by_role[role]:
                route = ROUTES[name]
                url = reverse(name, kwargs=url_kwargs(route, confirmed_scene))
                assert visitor.check(url, name), f"{name} ({url}) did not give {role} 200 as TABLE says"
    finally:
        for visitor in visitors.values():
            visitor.close()
        connections.close_all()

    checked = {name for visitor in visitors.values() for name in visitor.checked}
    not_html = {name for visitor in visitors.values() for name in visitor.not_html}
    # Every page some role may open was opened, or was a file rather than a page.
    assert {name for names in by_role.values() for name in names} <= checked | not_html
    assert {"not-found", "forbidden", "account_email", "account_change_password", "mfa_index"} <= checked
    assert {"account_signup", "account_reset_password", "account_reset_password_from_key"} <= checked
    assert {"mfa_activate_totp", "mfa_deactivate_totp", "mfa_generate_recovery_codes"} <= checked
    unopened = {name for name, _url in unchecked_allauth} - not_html - checked
    assert unopened <= set(ALLAUTH_UNOPENED), f"allauth pages no role opened: {sorted(unopened)}"
    pages = sum(len(visitor.checked) for visitor in visitors.values())
    failures = [failure for visitor in visitors.values() for failure in visitor.failures]
    print(
        f"\n{pages} pages checked in {time.monotonic() - started:.0f} s; "
        f"left out as files: {sorted(not_html)}; allauth pages no role opened: {sorted(unopened)}"
    )
    assert not failures, f"{len(failures)} of {pages} pages failed:\n\n" + "\n\n".join(failures)
