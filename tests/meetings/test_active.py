"""Active members of the national network: those who attended at least one of the last three
national webinars held on or before today; shown on the chair and lead views."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.active_members import active_member_ids, is_active_member
from officers.models import Person
from tests.directory.test_queries import NETWORK_QUERIES
from tests.factories import AttendanceFactory, MeetingFactory, PersonFactory, WebinarFactory


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.fixture
def webinars(world):
    """Five national webinars: four held (the oldest no longer counts) and one still to come."""
    return {
        "oldest": WebinarFactory(network=world.national, held_on=days_ago(120)),
        "third": WebinarFactory(network=world.national, held_on=days_ago(90)),
        "second": WebinarFactory(network=world.national, held_on=days_ago(60)),
        "latest": WebinarFactory(network=world.national, held_on=days_ago(0)),
        "future": WebinarFactory(network=world.national, held_on=days_ago(-30)),
    }


def test_active_members_attended_one_of_the_last_three_webinars_held(world, webinars, django_assert_num_queries):
    people = {name: PersonFactory() for name in ("third", "latest", "oldest", "future", "regional", "none")}
    AttendanceFactory(meeting=webinars["third"], person=people["third"])
    AttendanceFactory(meeting=webinars["latest"], person=people["latest"])
    AttendanceFactory(meeting=webinars["oldest"], person=people["oldest"])
    AttendanceFactory(meeting=webinars["future"], person=people["future"])
    AttendanceFactory(meeting=MeetingFactory(network=world.network_a, held_on=days_ago(1)), person=people["regional"])
    with django_assert_num_queries(1):
        active = active_member_ids(people.values())
    assert active == {people["third"].pk, people["latest"].pk}
    annotated = dict(
        Person.objects.filter(pk__in=[p.pk for p in people.values()])
        .annotate(active=is_active_member())
        .values_list("pk", "active")
    )
    assert {pk for pk, active in annotated.items() if active} == active


def test_active_membership_on_an_earlier_day_counts_the_webinars_held_by_then(world, webinars):
    person = PersonFactory()
    AttendanceFactory(meeting=webinars["oldest"], person=person)
    assert active_member_ids([person]) == set()
    assert active_member_ids([person], day=days_ago(61)) == {person.pk}


def test_no_people_needs_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert active_member_ids([]) == set()


@pytest.fixture
def amina_active(world, webinars):
    AttendanceFactory(meeting=webinars["latest"], person=world.mso_person)
    return world


def test_membership_page_shows_which_named_officers_are_active_members(client, amina_active):
    world = amina_active
    client.force_login(world.chair_a)
    response = client.get(reverse("directory:membership", args=["london"]))
    assert response.context["active_members"] == {world.mso_person.pk}
    content = response.content.decode()
    row = content[content.index('id="organisation-RAL"') :]
    row = row[: row.index("</tr>")]
    assert "Amina Okafor" in row
    assert "Active member" in row
    assert "Not an active member" not in row


def test_network_page_shows_active_members_to_the_chair_and_lead_only(client, amina_active):
    world = amina_active
    for role in ("chair_a", "lead"):
        client.force_login(getattr(world, role))
        content = client.get(reverse("directory:network", args=["london"])).content.decode()
        assert "National webinars" in content
        assert "Active member</strong>" in content
    client.force_login(world.mso)
    content = client.get(reverse("directory:network", args=["london"])).content.decode()
    assert "Active member</strong>" not in content
    assert "Not an active member" not in content


def test_person_page_shows_active_membership_to_those_who_see_their_details(client, amina_active):
    world = amina_active
    url = reverse("directory:person", args=[world.mso_person.pk])
    client.force_login(world.lead)
    assert "Attended at least one of the last three national webinars." in client.get(url).content.decode()
    client.force_login(world.chair_a)
    assert "Active member</strong>" in client.get(url).content.decode()
    client.force_login(world.other_mso)
    assert "national webinars" not in client.get(url).content.decode()
    client.force_login(world.lead)
    other = client.get(reverse("directory:person", args=[world.other_person.pk])).content.decode()
    assert "Has not attended any of the last three national webinars." in other


def test_network_page_query_count_is_the_same_with_active_members(client, amina_active, django_assert_max_num_queries):
    world = amina_active
    for _index in range(20):
        AttendanceFactory(meeting=world.national.meetings.first(), person=PersonFactory())
    client.force_login(world.chair_a)
    # As in tests/directory/test_queries.py: the active-member marks come in the members' own query.
    with django_assert_max_num_queries(NETWORK_QUERIES):
        client.get(reverse("directory:network", args=["london"]))
