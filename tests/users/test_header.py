"""The header's account link names the signed-in person: their name from their person record, the
account's name or email address when they have none, at no cost in queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import PersonFactory, UserFactory


def account_link(html: str) -> str:
    """The text of the header's account link."""
    start = html.index('<span class="nhsuk-u-visually-hidden">Your account: </span>')
    return html[start : html.index("</a>", start)].split("</span>", 1)[1].strip()


@pytest.mark.parametrize("page", ["directory:home", "registrations:list", "account_email"])
def test_the_header_shows_the_persons_name_not_their_email_address(client, world, page):
    client.force_login(world.mso)
    assert account_link(client.get(reverse(page)).content.decode()) == "Amina Okafor"


def test_the_header_shows_the_person_record_name_over_the_account_name(client, world):
    user = UserFactory(email="s.okoro@nhs.net", name="S Okoro")
    PersonFactory(user=user, first_name="Samuel", last_name="Okoro")
    client.force_login(user)
    assert account_link(client.get(reverse("directory:home")).content.decode()) == "Samuel Okoro"


def test_the_header_shows_the_email_address_of_a_user_without_a_person_record(client, world):
    user = UserFactory(email="new.applicant@nhs.net", name="")
    client.force_login(user)
    assert account_link(client.get(reverse("directory:home")).content.decode()) == "new.applicant@nhs.net"


def test_the_header_names_the_person_without_an_extra_query(client, world):
    counts = []
    for user in (world.no_role, world.mso):
        client.force_login(user)
        client.get(reverse("registrations:list"))
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("registrations:list"))
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
