"""A person's page and the handovers of their named roles: a handover in progress is shown, to those
who may see it, instead of a link to start another; the link is offered by the rule handover_start
applies, to the holder and the national lead only."""

import pytest
from django.urls import reverse

from tests.directory.test_organisation_handovers import start_url
from tests.directory.test_queries import PERSON_QUERIES


def person_page(client, user, person):
    client.force_login(user)
    response = client.get(reverse("directory:person", args=[person.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("role", "wording"), [("mso", "Leaving your role? Start a handover"), ("lead", "Start a handover")]
)
def test_person_page_offers_the_holder_and_the_lead_a_handover_start(client, world, role, wording):
    content = person_page(client, getattr(world, role), world.mso_person)
    assert f'href="{start_url(world.mso_appointment)}">{wording}' in content


def test_person_page_offers_no_start_to_a_chair(client, world):
    content = person_page(client, world.chair_a, world.mso_person)
    assert start_url(world.mso_appointment) not in content


@pytest.mark.parametrize("role", ["mso", "lead", "chair_a"])
def test_person_page_shows_the_open_handover_instead_of_start_a_handover(client, world, handover, role):
    content = person_page(client, getattr(world, role), world.mso_person)
    assert "Handover of the medication safety officer role at Royal Free London NHS Foundation Trust in progress" in (
        content
    )
    assert "leaving 3 March 2027" in content
    assert f'href="{handover.get_absolute_url()}"' in content
    assert start_url(world.mso_appointment) not in content


def test_person_page_hides_the_handover_from_those_who_may_not_see_it(client, world, handover):
    """A chair of another region sees neither the handover nor a link to it."""
    content = person_page(client, world.chair_b, world.mso_person)
    assert handover.get_absolute_url() not in content
    assert "in progress" not in content


def test_person_page_with_a_handover_runs_no_more_queries(client, world, handover, django_assert_max_num_queries):
    client.force_login(world.lead)
    with django_assert_max_num_queries(PERSON_QUERIES):
        response = client.get(reverse("directory:person", args=[world.mso_person.pk]))
    assert response.context["open_handovers"] == [handover]
