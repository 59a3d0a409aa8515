"""The national coverage dashboard in a real browser: no serious or critical WCAG 2.2 AA violation
(axe-core), no sideways scrolling at 320 px, charts drawn at the width of the page with their tables
behind a closed "Show the numbers", and a figure followed to the list behind it."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.a11y import check_page
from tests.dashboard.test_dashboard import counted, frozen  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(page, client, user, live_server) -> None:
    """The browser carries the session of the test client signed in as `user`."""
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_dashboard_is_accessible_and_its_figures_lead_to_their_lists(page, client, counted, live_server):  # noqa: F811
    signed_in(page, client, counted.lead, live_server)
    page.goto("/dashboard/")
    expect(page.get_by_role("heading", name="National coverage dashboard", level=1)).to_be_visible()
    # Each chart's table is behind its "Show the numbers", closed; opened, the tables are checked too.
    table = page.locator("#flags-trend")
    expect(table).to_be_hidden()
    summaries = page.locator("summary", has_text="Show the numbers")
    assert summaries.count() == 4
    for index in range(summaries.count()):
        summaries.nth(index).click()
    expect(table).to_be_visible()
    check_page(page, "lead-dashboard")
    chart = page.get_by_role("img", name="Share of those expected to name an MSO with an MSO in place, by region")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 200

    page.set_viewport_size({"width": 320, "height": 640})
    box = page.get_by_role("img", name="Open flags at the end of each of the last 12 months").bounding_box()
    assert 250 <= box["width"] <= 320

    page.get_by_role("link", name="Lapsed handovers").click()
    expect(page).to_have_url(f"{live_server.url}/handovers/?show=lapsed")


def test_region_page_is_accessible(page, client, counted, live_server):  # noqa: F811
    signed_in(page, client, counted.lead, live_server)
    page.goto("/dashboard/")
    page.get_by_text("Show the numbers for coverage by region").click()
    page.get_by_role("link", name=re.compile(r"^London\W+coverage by organisation type$")).click()
    expect(page.get_by_role("heading", name="London", level=1)).to_be_visible()
    expect(page.locator("#coverage-by-type")).to_be_hidden()
    page.get_by_text("Show the numbers for coverage by organisation type").click()
    expect(page.locator("#coverage-by-type")).to_be_visible()
    check_page(page, "lead-dashboard-region")
