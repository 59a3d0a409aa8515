"""The offers' pages: where officers and the lead find them, and a fixed number of queries whatever
the number of offers."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from officers.models import Appointment
from presentations import services
from presentations.models import Offer
from presentations.templatetags.presentations import presenters
from tests.factories import AppointmentFactory, OfferFactory, ScheduledWebinarFactory, WebinarFactory

# Session, user, the header's navigation (chaired networks, person record), the two-factor check,
# then the page's own: the officer's person record in post and their offers.
MY_OFFERS_QUERIES = 6
# The counts of each status (and of the accepted offers whose webinar was cancelled), the page's count
# and its offers (with their officer's organisation and webinar).
QUEUE_QUERIES = 8
# The offer (with its officer's organisation), the upcoming webinars (for the select and for the
# months that suit the officer) and the offer's history.
REVIEW_QUERIES = 9


def upcoming_webinar(world, days=10, **fields):
    return WebinarFactory(network=world.national, held_on=timezone.localdate() + datetime.timedelta(days), **fields)


def test_the_home_page_of_an_officer_in_post_links_to_the_offer_form(client, world):
    client.force_login(world.mso)
    assert reverse("presentations:offer-create") in client.get(reverse("directory:home")).content.decode()
    client.force_login(world.no_role)
    assert reverse("presentations:offer-create") not in client.get(reverse("directory:home")).content.decode()


def test_the_national_webinars_page_links_the_lead_to_the_queue(client, world):
    client.force_login(world.lead)
    assert reverse("presentations:queue") in client.get(reverse("meetings:webinar-list")).content.decode()


def test_the_queue_lists_waiting_offers_oldest_first_with_the_count_of_each_status(client, world):
    webinar = upcoming_webinar(world)
    first = OfferFactory(person=world.mso_person, title="First offer")
    second = OfferFactory(person=world.other_person, title="Second offer")
    OfferFactory(person=world.mso_person, status=Offer.Status.ACCEPTED, meeting=webinar, title="Accepted offer")
    OfferFactory(person=world.mso_person, status=Offer.Status.DECLINED, review_reason="No", title="Declined offer")
    client.force_login(world.lead)
    response = client.get(reverse("presentations:queue"))
    assert list(response.context["page_obj"]) == [first, second]
    assert response.context["counts"] == {"waiting": 2, "accepted": 1, "cancelled": 0, "declined": 1, "withdrawn": 0}
    content = response.content.decode()
    assert "Accepted offer" not in content
    assert "Royal Free London NHS Foundation Trust" in content
    accepted = client.get(reverse("presentations:queue"), {"status": "accepted"}).content.decode()
    assert "Accepted offer" in accepted and "First offer" not in accepted


def test_the_review_page_points_out_the_webinars_in_a_month_that_suits_the_officer(client, world):
    suits = upcoming_webinar(world, days=40, title="Suits")
    upcoming_webinar(world, days=5, title="Too soon")
    waiting = OfferFactory(person=world.mso_person, preferred_months=[f"{suits.held_on:%Y-%m}"])
    client.force_login(world.lead)
    response = client.get(reverse("presentations:review", args=[waiting.pk]))
    # 35 days apart, so never in the same month.
    assert response.context["preferred_webinars"] == [suits]
    assert "Accept the offer" in response.content.decode()


def test_the_review_page_shows_the_offers_history_with_who_and_why(client, world):
    waiting = services.offer_submit(
        person=world.mso_person, user=world.mso, title="Insulin", summary="Omissions.", preferred_months=[]
    )
    services.offer_decline(offer=waiting, reason="Covered in May.", user=world.lead)
    client.force_login(world.lead)
    content = client.get(reverse("presentations:review", args=[waiting.pk])).content.decode()
    lead, mso = escape(world.lead.get_full_name()), escape(world.mso.get_full_name())  # a name may hold an apostrophe
    assert f"Declined by {lead}: Covered in May. ({lead})" in content
    assert f"Offer to present submitted ({mso})" in content


def test_the_review_page_says_when_no_webinar_is_scheduled(client, world):
    waiting = OfferFactory(person=world.mso_person)
    client.force_login(world.lead)
    content = client.get(reverse("presentations:review", args=[waiting.pk])).content.decode()
    assert "No national webinar is scheduled from today on" in content
    assert "Decline the offer" in content


def many_offers(world, size):
    webinars = [upcoming_webinar(world, days=10 + index) for index in range(3)]
    for index in range(size):
        person = AppointmentFactory(organisation=world.org_b, role=Appointment.Role.TEAM_MEMBER).person
        OfferFactory(person=person)
        OfferFactory(person=person, status=Offer.Status.ACCEPTED, meeting=webinars[index % 3])
        OfferFactory(person=world.mso_person, preferred_months=[f"{webinars[0].held_on:%Y-%m}"])
    return webinars


@pytest.mark.parametrize("size", [2, 30])
def test_the_officers_offers_run_a_fixed_number_of_queries(client, world, size, django_assert_max_num_queries):
    many_offers(world, size)
    client.force_login(world.mso)
    with django_assert_max_num_queries(MY_OFFERS_QUERIES):
        response = client.get(reverse("presentations:my-offers"))
    assert len(response.context["offers"]) == size


@pytest.mark.parametrize("size", [2, 30])
def test_the_queue_runs_a_fixed_number_of_queries(client, world, size, django_assert_max_num_queries):
    many_offers(world, size)
    client.force_login(world.lead)
    for status in ("waiting", "accepted"):
        with django_assert_max_num_queries(QUEUE_QUERIES):
            response = client.get(reverse("presentations:queue"), {"status": status})
        assert len(response.context["page_obj"].object_list) == min(size * 2 if status == "waiting" else size, 25)


@pytest.mark.parametrize("size", [2, 30])
def test_the_queue_of_cancelled_webinars_runs_a_fixed_number_of_queries(
    client, world, size, django_assert_max_num_queries
):
    many_offers(world, size)
    cancelled = [
        ScheduledWebinarFactory(network=world.national, cancelled_at=timezone.now(), title=f"Cancelled {index}")
        for index in range(2)
    ]
    for index in range(size):
        person = AppointmentFactory(organisation=world.org_b, role=Appointment.Role.TEAM_MEMBER).person
        OfferFactory(person=person, status=Offer.Status.ACCEPTED, meeting=cancelled[index % 2])
    client.force_login(world.lead)
    for status in ("waiting", "cancelled"):
        with django_assert_max_num_queries(QUEUE_QUERIES):
            response = client.get(reverse("presentations:queue"), {"status": status})
        assert response.context["counts"]["cancelled"] == size
    assert len(response.context["page_obj"].object_list) == min(size, 25)
    assert all(offer.meeting.is_cancelled for offer in response.context["page_obj"].object_list)


@pytest.mark.parametrize("size", [2, 30])
def test_the_review_page_of_an_accepted_offer_runs_a_fixed_number_of_queries(
    client, world, size, django_assert_max_num_queries
):
    many_offers(world, size)
    offer = Offer.objects.accepted().first()
    client.force_login(world.lead)
    with django_assert_max_num_queries(REVIEW_QUERIES):
        response = client.get(reverse("presentations:review", args=[offer.pk]))
    assert "Move to another webinar" in response.content.decode()


@pytest.mark.parametrize("size", [2, 30])
def test_the_review_page_runs_a_fixed_number_of_queries(client, world, size, django_assert_max_num_queries):
    many_offers(world, size)
    waiting = Offer.objects.waiting().filter(person=world.mso_person).first()
    client.force_login(world.lead)
    with django_assert_max_num_queries(REVIEW_QUERIES):
        client.get(reverse("presentations:review", args=[waiting.pk]))


@pytest.mark.parametrize("size", [2, 30])
def test_a_webinars_presenters_are_read_in_one_query(client, world, size, django_assert_num_queries):
    webinar = many_offers(world, size)[0]
    with django_assert_num_queries(1):
        shown = presenters(webinar)["offers"]
        names = [(offer.title, offer.person.full_name, offer.organisation_name) for offer in shown]
    assert len(names) == len(range(0, size, 3))
    assert all(organisation == world.org_b.name for _title, _name, organisation in names)
