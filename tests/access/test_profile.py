"""Who sees and changes an organisation's profile: its named officers change it; the national lead sees
and changes every organisation's; chairs see (only) the organisations of their networks; everyone
else signed in sees the public profile. Outsiders get 404 on private pages, readers 403 on change pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from committees import services
from officers.models import Appointment
from organisations.models import KeyContact
from tests.factories import (
    AppointmentFactory,
    CommitteeFactory,
    CommitteeMemberFactory,
    KeyContactFactory,
    PersonFactory,
    UserFactory,
)
from tests.factories.files import pdf_bytes

# Who may do what at org_a (London): `world.mso` is its named MSO, chair_a chairs the London network.
READERS = ["mso", "deputy", "chair_a", "lead"]
EDITORS = ["mso", "lead"]
OUTSIDERS = ["other_mso", "chair_b", "no_role"]
EVERYONE = READERS + OUTSIDERS


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def profile(world):
    """org_a with a deputy (signed-in user), a team member, a medicines champion, a key contact, a board
    director and a committee with a member and terms of reference."""
    world.deputy = UserFactory(email="deputy.a@nhs.net")
    AppointmentFactory(
        person=PersonFactory(user=world.deputy, first_name="Dina", last_name="Deputy"),
        organisation=world.org_a,
        role=Appointment.Role.DEPUTY_MSO,
    )
    AppointmentFactory(
        person=PersonFactory(first_name="Tom", last_name="Teammember"),
        organisation=world.org_a,
        role=Appointment.Role.TEAM_MEMBER,
    )
    AppointmentFactory(
        person=PersonFactory(first_name="Chris", last_name="Champion"),
        organisation=world.org_a,
        role=Appointment.Role.MEDICINES_CHAMPION,
    )
    world.contact = KeyContactFactory(organisation=world.org_a, name="Kim Contact")
    world.org_a.board_director_name = "Dr Board Director"
    world.org_a.save()
    world.committee = CommitteeFactory(organisation=world.org_a, name="Medicines Safety Group", represented=True)
    world.member = CommitteeMemberFactory(committee=world.committee, name="Mo Member")
    services.terms_of_reference_upload(
        committee=world.committee, user=world.lead, upload=SimpleUploadedFile("tor.pdf", pdf_bytes())
    )
    return world


def user(world, role):
    return getattr(world, role)


def private_urls(world):
    code = world.org_a.ods_code
    return [
        reverse("committees:detail", args=[code]),
        reverse("committees:terms-of-reference", args=[code]),
    ]


def change_urls(world):
    code = world.org_a.ods_code
    return [
        reverse("directory:key-contacts", args=[code]),
        reverse("directory:key-contact-add", args=[code]),
        reverse("directory:key-contact-edit", args=[code, world.contact.pk]),
        reverse("directory:key-contact-remove", args=[code, world.contact.pk]),
        reverse("directory:board-director", args=[code]),
        reverse("directory:team-propose", args=[code]),
        reverse("committees:edit", args=[code]),
        reverse("committees:member-add", args=[code]),
        reverse("committees:member-edit", args=[code, world.member.pk]),
        reverse("committees:member-remove", args=[code, world.member.pk]),
        reverse("committees:terms-of-reference-upload", args=[code]),
        reverse("committees:terms-of-reference-remove", args=[code]),
    ]


@pytest.mark.parametrize("role", READERS)
def test_readers_see_the_private_pages(client, profile, role):
    client.force_login(user(profile, role))
    for url in private_urls(profile):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_get_not_found_on_the_private_pages(client, profile, role):
    client.force_login(user(profile, role))
    for url in private_urls(profile) + change_urls(profile):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("role", EDITORS)
def test_named_officer_and_lead_open_every_change_page(client, profile, role):
    client.force_login(user(profile, role))
    for url in change_urls(profile):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ["deputy", "chair_a"])
def test_those_who_only_read_are_forbidden_the_change_pages(client, profile, role):
    client.force_login(user(profile, role))
    for url in change_urls(profile):
        assert client.get(url).status_code == 403, url


def test_the_named_mdso_changes_the_profile_too(client, profile):
    mdso = UserFactory()
    AppointmentFactory(person=PersonFactory(user=mdso), organisation=profile.org_a, role=Appointment.Role.MDSO)
    client.force_login(mdso)
    assert client.get(reverse("directory:key-contacts", args=["RAL"])).status_code == 200


def test_an_officer_who_has_left_no_longer_changes_the_profile(client, profile):
    profile.mso_appointment.status = Appointment.Status.ENDED
    profile.mso_appointment.end_date = profile.mso_appointment.start_date
    profile.mso_appointment.save()
    client.force_login(profile.mso)
    assert client.get(reverse("directory:key-contacts", args=["RAL"])).status_code == 404


@pytest.mark.parametrize(("role", "status"), [("chair_a", 403), ("deputy", 403), ("other_mso", 404), ("chair_b", 404)])
def test_a_post_from_someone_who_may_not_change_the_profile_changes_nothing(client, profile, role, status):
    client.force_login(user(profile, role))
    response = client.post(
        reverse("directory:key-contact-edit", args=["RAL", profile.contact.pk]),
        {"role": KeyContact.Role.CHIEF_PHARMACIST, "name": "Someone Else"},
    )
    assert response.status_code == status
    profile.contact.refresh_from_db()
    assert profile.contact.name == "Kim Contact"
    response = client.post(reverse("directory:board-director", args=["RAL"]), {"name": "Intruder"})
    assert response.status_code == status
    profile.org_a.refresh_from_db()
    assert profile.org_a.board_director_name == "Dr Board Director"


PRIVATE_TEXT = [
    "Dina Deputy",
    "Tom Teammember",
    "Chris Champion",
    "Kim Contact",
    "Dr Board Director",
    "Medicines Safety Group",
    "A patient safety partner is a member.",
    "Download the terms of reference",
]


@pytest.mark.parametrize("role", READERS)
def test_organisation_page_shows_the_team_contacts_and_committee_to_readers(client, profile, role):
    client.force_login(user(profile, role))
    content = client.get(profile.org_a.get_absolute_url()).content.decode()
    for text in PRIVATE_TEXT:
        assert text in content, text
    assert "Medicines champion" in content


@pytest.mark.parametrize("role", OUTSIDERS)
def test_organisation_page_shows_outsiders_the_public_profile_only(client, profile, role):
    client.force_login(user(profile, role))
    response = client.get(profile.org_a.get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert profile.org_a.name in content
    assert "Amina Okafor" in content  # the named MSO
    assert profile.org_a.generic_mailbox in content
    for text in PRIVATE_TEXT:
        assert text not in content, text
    assert [a.role for a in response.context["appointments"]] == ["mso"]


@pytest.mark.parametrize(("role", "links"), [("mso", True), ("lead", True), ("chair_a", False), ("deputy", False)])
def test_change_links_on_the_organisation_page_only_for_those_who_may_change(client, profile, role, links):
    client.force_login(user(profile, role))
    content = client.get(profile.org_a.get_absolute_url()).content.decode()
    for name in ("directory:key-contacts", "directory:team-propose"):
        assert (reverse(name, args=["RAL"]) in content) is links


def test_officer_is_pointed_to_a_change_request_for_the_generic_mailbox(client, profile):
    client.force_login(profile.mso)
    content = client.get(reverse("directory:key-contacts", args=["RAL"])).content.decode()
    assert reverse("officers:change-details") in content
    assert "checked by the national MSO team" in content


@pytest.mark.parametrize(("role", "status"), [("lead", 200), ("chair_a", 200), ("mso", 404), ("no_role", 404)])
def test_committee_overview_for_the_lead_and_chairs(client, profile, role, status):
    client.force_login(user(profile, role))
    assert client.get(reverse("committees:overview")).status_code == status


@pytest.mark.parametrize(("role", "status"), [("lead", 200), ("mso", 404), ("chair_a", 404)])
def test_team_proposal_queue_is_the_leads(client, profile, role, status):
    client.force_login(user(profile, role))
    assert client.get(reverse("officers:team-queue")).status_code == status


@pytest.mark.parametrize("size", [2, 30])
@pytest.mark.parametrize("name", ["committees:detail", "directory:key-contacts"])
def test_profile_pages_run_a_fixed_number_of_queries(client, world, size, name, django_assert_max_num_queries):
    committee = CommitteeFactory(organisation=world.org_a)
    for _ in range(size):
        CommitteeMemberFactory(committee=committee, person=PersonFactory())
    for role in KeyContact.Role:
        KeyContactFactory(organisation=world.org_a, role=role)
    client.force_login(world.mso)
    # Session, user, navigation (chaired networks, person), then the organisation with the user's
    # access, and the page's own rows.
    with django_assert_max_num_queries(8):
        response = client.get(reverse(name, args=["RAL"]))
    assert response.status_code == 200
