"""The handover pages: who may see and act on them (lead, the officers, chair A, chair B, another MSO,
anonymous), the start form, the list's tabs, and a constant number of queries."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from handovers.models import Handover, HandoverChecklistItem
from handovers.services import handover_open
from officers.models import Appointment
from tests.factories import AppointmentFactory, OrganisationFactory, PersonFactory, UserFactory


def today():
    return timezone.localdate()


@pytest.fixture
def successor(world):
    user = UserFactory(email="priya.shah@nhs.net", name="Priya Shah")
    person = PersonFactory(user=user, work_email=user.email, first_name="Priya", last_name="Shah")
    return AppointmentFactory(
        person=person,
        organisation=world.org_a,
        role=Appointment.Role.MSO,
        status=Appointment.Status.PENDING,
        start_date=today() - datetime.timedelta(days=3),
    )


@pytest.fixture
def handover(world, successor):
    """The London MSO leaving three days ago, handing over to Priya Shah."""
    return handover_open(
        outgoing=world.mso_appointment,
        incoming=successor,
        leaving_date=today() - datetime.timedelta(days=3),
        started_by=world.mso,
    )


def detail_url(handover):
    return reverse("handovers:detail", args=[handover.pk])


def assert_sent_to_sign_in(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


# Who sees the handover page.


@pytest.mark.parametrize("role", ["lead", "mso", "chair_a"])
def test_people_involved_and_chair_of_the_region_see_the_handover(client, world, handover, role):
    client.force_login(getattr(world, role))
    response = client.get(detail_url(handover))
    assert response.status_code == 200
    assert "Priya Shah" in response.text
    assert "MHRA registration updated" in response.text


def test_successor_sees_the_handover(client, world, handover, successor):
    client.force_login(successor.person.user)
    assert client.get(detail_url(handover)).status_code == 200


@pytest.mark.parametrize("role", ["other_mso", "chair_b", "no_role"])
def test_outsiders_get_404_for_the_handover(client, world, handover, role):
    client.force_login(getattr(world, role))
    assert client.get(detail_url(handover)).status_code == 404


def test_anonymous_is_sent_to_sign_in_from_handover_pages(client, world, handover):
    for url in (
        reverse("handovers:list"),
        detail_url(handover),
        reverse("handovers:start", args=[world.other_appointment.pk]),
    ):
        assert_sent_to_sign_in(client.get(url))
    for name in ("tick", "untick", "complete"):
        assert_sent_to_sign_in(
            client.post(reverse(f"handovers:{name}", args=[handover.pk]), {"item": "mailbox_access"})
        )
    assert not HandoverChecklistItem.objects.exists()


def test_chair_sees_the_handover_without_buttons(client, world, handover):
    client.force_login(world.chair_a)
    response = client.get(detail_url(handover))
    assert "Complete the handover" not in response.text
    assert reverse("handovers:tick", args=[handover.pk]) not in response.text


def test_tick_buttons_name_their_item_for_screen_readers_with_acronyms_in_capitals(client, world, handover):
    client.force_login(world.mso)
    page = client.get(detail_url(handover)).text
    assert 'Tick<span class="nhsuk-u-visually-hidden"> generic MSO mailbox access transferred</span>' in page
    assert 'Tick<span class="nhsuk-u-visually-hidden"> MHRA registration updated</span>' in page


# Acting on it.


def test_outgoing_officer_ticks_an_item_from_the_page(committing_client, world, handover):
    committing_client.force_login(world.mso)
    response = committing_client.post(reverse("handovers:tick", args=[handover.pk]), {"item": "mailbox_access"})
    assert response.status_code == 302
    tick = HandoverChecklistItem.objects.get()
    assert (tick.item, tick.ticked_by) == ("mailbox_access", world.mso)
    page = committing_client.get(detail_url(handover)).text
    assert "Ticked by" in page
    committing_client.post(reverse("handovers:untick", args=[handover.pk]), {"item": "mailbox_access"})
    assert not HandoverChecklistItem.objects.exists()


@pytest.mark.parametrize("role", ["chair_a"])
def test_chair_of_the_region_gets_403_for_tick_and_complete(client, world, handover, role):
    client.force_login(getattr(world, role))
    assert client.post(reverse("handovers:tick", args=[handover.pk]), {"item": "mailbox_access"}).status_code == 403
    assert client.post(reverse("handovers:complete", args=[handover.pk]), {"reason": "x"}).status_code == 403
    handover.refresh_from_db()
    assert handover.status == Handover.Status.OPEN
    assert not HandoverChecklistItem.objects.exists()


@pytest.mark.parametrize("role", ["other_mso", "chair_b", "no_role"])
def test_outsiders_get_404_for_tick_untick_and_complete(client, world, handover, role):
    HandoverChecklistItem.objects.create(handover=handover, item="mailbox_access", ticked_at=timezone.now())
    client.force_login(getattr(world, role))
    for name in ("tick", "untick", "complete"):
        response = client.post(reverse(f"handovers:{name}", args=[handover.pk]), {"item": "mailbox_access"})
        assert response.status_code == 404
    handover.refresh_from_db()
    assert handover.status == Handover.Status.OPEN
    assert HandoverChecklistItem.objects.count() == 1


def test_lead_completes_from_the_page_with_a_reason(committing_client, world, handover, successor, mailoutbox):
    committing_client.force_login(world.lead)
    response = committing_client.post(reverse("handovers:complete", args=[handover.pk]), {"reason": "Checked by phone"})
    assert response.status_code == 302
    handover.refresh_from_db()
    successor.refresh_from_db()
    assert handover.status == Handover.Status.COMPLETED
    assert successor.status == Appointment.Status.ACTIVE
    assert {address for message in mailoutbox for address in message.to} == {
        "mso.a@nhs.net",
        "priya.shah@nhs.net",
        "chair.a@nhs.net",
    }
    page = committing_client.get(detail_url(handover)).text
    assert "Checked by phone" in page
    # A second press explains instead of failing.
    response = committing_client.post(reverse("handovers:complete", args=[handover.pk]), follow=True)
    assert "already completed" in response.text


def test_complete_without_reason_shows_what_is_missing(client, world, handover):
    client.force_login(world.lead)
    response = client.post(reverse("handovers:complete", args=[handover.pk]), {"reason": ""}, follow=True)
    assert "not ticked" in response.text
    handover.refresh_from_db()
    assert handover.status == Handover.Status.OPEN


def future_handover(world, successor, *, ticked):
    """The London MSO leaving on 3 March 2027, a week from 24 February 2027, handing over to Priya Shah."""
    handover = handover_open(
        outgoing=world.mso_appointment,
        incoming=successor,
        leaving_date=datetime.date(2027, 3, 3),
        started_by=world.mso,
    )
    if ticked:
        for item in HandoverChecklistItem.Item.values:
            HandoverChecklistItem.objects.create(handover=handover, item=item, ticked_at=timezone.now())
    return handover


@pytest.mark.parametrize("role", ["lead", "mso"])
def test_complete_button_shows_from_the_leaving_date_and_before_then_the_page_says_when(client, world, successor, role):
    with time_machine.travel(datetime.datetime(2027, 2, 24, 10, tzinfo=datetime.UTC), tick=False):
        client.force_login(getattr(world, role))
        handover = future_handover(world, successor, ticked=True)
        page = client.get(detail_url(handover)).text
        assert "You can complete this handover from 3 March 2027." in page
        assert reverse("handovers:complete", args=[handover.pk]) not in page
        assert "Complete the handover</button>" not in page
    with time_machine.travel(datetime.datetime(2027, 3, 3, 10, tzinfo=datetime.UTC), tick=False):
        client.force_login(getattr(world, role))
        page = client.get(detail_url(handover)).text
        assert "Complete the handover</button>" in page
        assert "You can complete this handover from" not in page


def test_outgoing_officer_sees_the_button_only_once_the_checklist_is_ticked(client, world, successor):
    with time_machine.travel(datetime.datetime(2027, 3, 4, 10, tzinfo=datetime.UTC), tick=False):
        client.force_login(world.mso)
        handover = future_handover(world, successor, ticked=False)
        page = client.get(detail_url(handover)).text
        assert "Complete the handover</button>" not in page
        assert "completes the handover once the checklist is ticked" in page
        for item in HandoverChecklistItem.Item.values:
            HandoverChecklistItem.objects.create(handover=handover, item=item, ticked_at=timezone.now())
        assert "Complete the handover</button>" in client.get(detail_url(handover)).text


def test_successor_is_told_who_completes_and_from_when(client, world, successor):
    with time_machine.travel(datetime.datetime(2027, 2, 24, 10, tzinfo=datetime.UTC), tick=False):
        client.force_login(successor.person.user)
        handover = future_handover(world, successor, ticked=False)
        page = client.get(detail_url(handover)).text
    assert "Complete the handover</button>" not in page
    assert "You can complete this handover" not in page
    assert "completes the handover once the checklist is ticked, from 3 March 2027." in page


# Starting from the page.


def test_outgoing_officer_starts_a_handover_from_the_form(client, world):
    client.force_login(world.mso)
    url = reverse("handovers:start", args=[world.mso_appointment.pk])
    assert client.get(url).status_code == 200
    leaving = today() + datetime.timedelta(days=20)
    response = client.post(
        url,
        {"leaving_date_day": leaving.day, "leaving_date_month": leaving.month, "leaving_date_year": leaving.year},
    )
    handover = Handover.objects.get()
    assert response["Location"] == detail_url(handover)
    assert handover.leaving_date == leaving
    assert handover.started_by == world.mso


def test_start_form_refuses_a_due_date_before_leaving(client, world):
    client.force_login(world.lead)
    leaving = today()
    due = leaving - datetime.timedelta(days=1)
    response = client.post(
        reverse("handovers:start", args=[world.mso_appointment.pk]),
        {
            "leaving_date_day": leaving.day,
            "leaving_date_month": leaving.month,
            "leaving_date_year": leaving.year,
            "due_date_day": due.day,
            "due_date_month": due.month,
            "due_date_year": due.year,
        },
    )
    assert response.status_code == 200
    assert "The due date must be on or after the leaving date" in response.text
    assert not Handover.objects.exists()


@pytest.mark.parametrize("role", ["other_mso", "chair_a", "no_role"])
def test_others_cannot_start_a_handover_of_someone_elses_role(client, world, role):
    client.force_login(getattr(world, role))
    url = reverse("handovers:start", args=[world.mso_appointment.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"leaving_date_day": "1", "leaving_date_month": "1", "leaving_date_year": "2030"}).status_code
        == 404
    )
    assert not Handover.objects.exists()


def test_start_link_on_the_officers_own_page(client, world):
    client.force_login(world.mso)
    response = client.get(world.mso_person.get_absolute_url())
    assert reverse("handovers:start", args=[world.mso_appointment.pk]) in response.text


def test_start_link_on_the_organisation_page_for_the_holder_and_the_lead_only(client, world):
    """The page offers the link to those handover_start allows: the holder and the national lead."""
    url = reverse("handovers:start", args=[world.mso_appointment.pk])
    for role in ("lead", "mso"):
        client.force_login(getattr(world, role))
        assert url in client.get(world.org_a.get_absolute_url()).text
    for role in ("chair_a", "other_mso", "no_role"):
        client.force_login(getattr(world, role))
        assert url not in client.get(world.org_a.get_absolute_url()).text


def test_start_page_sends_whoever_starts_a_second_handover_to_the_one_in_progress(client, world, handover):
    client.force_login(world.lead)
    response = client.get(reverse("handovers:start", args=[world.mso_appointment.pk]), follow=True)
    assert response.redirect_chain == [(detail_url(handover), 302)]
    assert "A handover of this role is already in progress." in response.text


def test_starting_from_the_form_says_who_has_been_emailed(committing_client, world, successor, mailoutbox):
    committing_client.force_login(world.mso)
    leaving = today() + datetime.timedelta(days=20)
    response = committing_client.post(
        reverse("handovers:start", args=[world.mso_appointment.pk]),
        {
            "leaving_date_day": leaving.day,
            "leaving_date_month": leaving.month,
            "leaving_date_year": leaving.year,
            "successor_email": "priya.shah@nhs.net",
        },
        follow=True,
    )
    assert "We have emailed the successor, the regional network&#x27;s chairs and the national MSO team." in (
        response.text
    )
    assert {address for message in mailoutbox for address in message.to} == {
        "priya.shah@nhs.net",
        "chair.a@nhs.net",
        "lead@england.nhs.uk",
    }


# The list.


def lapsed_and_due_soon(world):
    """A lapsed handover in London and one due in three days in the North West."""
    lapsed = handover_open(
        outgoing=world.mso_appointment,
        leaving_date=today() - datetime.timedelta(days=40),
        due_date=today() - datetime.timedelta(days=1),
        started_by=world.lead,
    )
    due_soon = handover_open(
        outgoing=world.other_appointment,
        leaving_date=today() - datetime.timedelta(days=10),
        due_date=today() + datetime.timedelta(days=3),
        started_by=world.lead,
    )
    return lapsed, due_soon


def listed(client, show):
    response = client.get(reverse("handovers:list"), {"show": show})
    assert response.status_code == 200
    return {handover.pk for handover in response.context["page_obj"].object_list}


def test_lead_sees_every_handover_by_tab(client, world):
    lapsed, due_soon = lapsed_and_due_soon(world)
    client.force_login(world.lead)
    assert listed(client, "open") == {lapsed.pk, due_soon.pk}
    assert listed(client, "due-soon") == {due_soon.pk}
    assert listed(client, "lapsed") == {lapsed.pk}
    assert listed(client, "completed") == set()


def test_handover_marked_lapsed_by_the_scan_is_in_the_lapsed_tab(client, world):
    _lapsed, due_soon = lapsed_and_due_soon(world)
    Handover.objects.filter(pk=due_soon.pk).update(status=Handover.Status.LAPSED)
    client.force_login(world.lead)
    assert due_soon.pk in listed(client, "lapsed")


def test_chair_sees_only_handovers_in_their_networks_region(client, world):
    lapsed, due_soon = lapsed_and_due_soon(world)
    client.force_login(world.chair_a)
    assert listed(client, "open") == {lapsed.pk}
    client.force_login(world.chair_b)
    assert listed(client, "open") == {due_soon.pk}


def test_officer_sees_only_their_own_handovers(client, world):
    lapsed, _due_soon = lapsed_and_due_soon(world)
    client.force_login(world.mso)
    assert listed(client, "open") == {lapsed.pk}
    client.force_login(world.no_role)
    assert listed(client, "open") == set()


def make_handovers(world, count):
    for _ in range(count):
        organisation = OrganisationFactory(region=world.london)
        outgoing = AppointmentFactory(organisation=organisation)
        incoming = AppointmentFactory(organisation=organisation, status=Appointment.Status.PENDING)
        handover = handover_open(outgoing=outgoing, incoming=incoming, leaving_date=today(), started_by=world.lead)
        HandoverChecklistItem.objects.create(
            handover=handover, item="mailbox_access", ticked_at=timezone.now(), ticked_by=world.lead
        )


@pytest.mark.parametrize("role", ["lead", "chair_a"])
def test_list_and_detail_take_the_same_number_of_queries_for_few_and_many(
    client, world, role, django_assert_max_num_queries
):
    client.force_login(getattr(world, role))
    make_handovers(world, 2)
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("handovers:list"))
    make_handovers(world, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("handovers:list"))
    handover = Handover.objects.last()
    with django_assert_max_num_queries(14):
        client.get(detail_url(handover))


def test_the_handover_list_links_the_lead_alone_to_the_closed_organisations(client, world):
    closures = reverse("compliance:closures").encode()
    client.force_login(world.lead)
    assert closures in client.get(reverse("handovers:list")).content
    client.force_login(world.chair_a)
    assert closures not in client.get(reverse("handovers:list")).content
