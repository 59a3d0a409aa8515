"""An attendance import matches only the people its user may see: a chair, the current members of
the meeting's network (whom "Mark attendance" offers); the national lead, anyone. Any other address
is an unmatched row that shows only what the report said."""

import datetime

import pytest
from django.urls import reverse

from meetings.models import Attendance, UnmatchedAttendee
from tests.factories import MeetingFactory, MembershipFactory, PersonFactory, UserFactory
from tests.meetings.test_import import confirm, participant, plain_csv, preview, teams_report, teams_url, utf16

pytestmark = pytest.mark.django_db


@pytest.fixture
def london_meeting(world):
    return MeetingFactory(network=world.network_a, title="London MSO network meeting")


@pytest.fixture
def outsider_report(world):
    """Ben, an officer of the North West, signs in as mso.b@nhs.net; his work email is another.
    The report names his sign-in address under a name of its own."""
    world.other_person.work_email = "ben.whitaker@mft.nhs.uk"
    world.other_person.save()
    text = teams_report(
        [
            participant("Amina Okafor", "mso.a@nhs.net", "50m"),
            participant("Visitor from Manchester", "MSO.B@nhs.net", "40m"),
        ]
    )
    return utf16(text)


def test_a_chairs_teams_import_leaves_an_officer_of_another_region_unmatched(
    client, world, london_meeting, outsider_report
):
    client.force_login(world.chair_a)
    response = preview(client, teams_url(london_meeting), outsider_report)
    plan = response.context["plan"]
    assert [row.person for row in plan.to_record] == [world.mso_person]
    assert [(row.person, row.attendee.name, row.attendee.email) for row in plan.unmatched] == [
        (None, "Visitor from Manchester", "mso.b@nhs.net")
    ]
    assert "Whitaker" not in response.content.decode()

    confirm(client, teams_url(london_meeting), response)

    assert set(Attendance.objects.filter(meeting=london_meeting).values_list("person", flat=True)) == {
        world.mso_person.pk
    }
    row = UnmatchedAttendee.objects.get(meeting=london_meeting)
    assert (row.name, row.email, row.minutes_attended, row.person) == (
        "Visitor from Manchester",
        "mso.b@nhs.net",
        40,
        None,
    )
    export = client.get(reverse("meetings:attendance-export", args=[london_meeting.pk, "csv"])).content.decode()
    assert "Okafor" in export
    assert "Whitaker" not in export
    assert "ben.whitaker@mft.nhs.uk" not in export
    assert "Whitaker" not in client.get(london_meeting.get_absolute_url()).content.decode()


def test_the_lead_still_matches_anyone(client, world, london_meeting, outsider_report):
    client.force_login(world.lead)
    response = preview(client, teams_url(london_meeting), outsider_report)
    plan = response.context["plan"]
    assert {row.person for row in plan.to_record} == {world.mso_person, world.other_person}
    assert plan.unmatched == []


def test_a_chair_matches_a_member_of_the_network_by_sign_in_email(client, world, london_meeting):
    member = PersonFactory(work_email="sam.jones@royalfree.nhs.uk", user=UserFactory(email="s.jones@nhs.net"))
    MembershipFactory(person=member, network=world.network_a)
    content = utf16(teams_report([participant("Sam Jones", "S.Jones@nhs.net", "30m")]))
    client.force_login(world.chair_a)
    plan = preview(client, teams_url(london_meeting), content).context["plan"]
    assert [row.person for row in plan.to_record] == [member]


def test_a_chair_does_not_match_a_former_member_of_the_network(client, world, london_meeting):
    former = PersonFactory(work_email="former@nhs.net", last_name="Formerly")
    MembershipFactory(person=former, network=world.network_a, left_on=datetime.date(2025, 3, 1))
    content = utf16(teams_report([participant("F. Person", "former@nhs.net", "30m")]))
    client.force_login(world.chair_a)
    response = preview(client, teams_url(london_meeting), content)
    plan = response.context["plan"]
    assert plan.to_record == []
    assert [(row.attendee.name, row.attendee.email) for row in plan.unmatched] == [("F. Person", "former@nhs.net")]
    assert "Formerly" not in response.content.decode()


def test_an_address_that_is_one_persons_work_email_and_a_members_sign_in_matches_the_member(
    client, world, london_meeting
):
    """Everywhere else a work email wins; for a chair, the one who is not a member is not there."""
    PersonFactory(work_email="shared@nhs.net", last_name="Outsider")
    member = PersonFactory(work_email="member@royalfree.nhs.uk", user=UserFactory(email="shared@nhs.net"))
    MembershipFactory(person=member, network=world.network_a)
    content = utf16(teams_report([participant("Member", "shared@nhs.net", "30m")]))
    client.force_login(world.chair_a)
    plan = preview(client, teams_url(london_meeting), content).context["plan"]
    assert [row.person for row in plan.to_record] == [member]


def test_a_chairs_plain_file_leaves_an_outsider_unmatched(client, world, london_meeting):
    content = plain_csv([(london_meeting.pk, "mso.a@nhs.net", 40), (london_meeting.pk, "mso.b@nhs.net", 40)])
    url = reverse("meetings:attendance-import")
    client.force_login(world.chair_a)
    response = preview(client, url, content)
    plan = response.context["plan"]
    assert [row.person for row in plan.to_record] == [world.mso_person]
    assert [(row.person, row.attendee.email) for row in plan.unmatched] == [(None, "mso.b@nhs.net")]
    confirm(client, url, response)
    assert not Attendance.objects.filter(person=world.other_person).exists()
