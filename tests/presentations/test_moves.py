"""Moving an accepted offer to another webinar: when its webinar is cancelled (or the date no longer
suits the presenter) the national lead places it on another upcoming national webinar; the officer is
emailed the new date, the history says from which webinar to which, and the queue shows the
presenters whose webinar was cancelled until they are moved."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from emails.models import OutboundEmail
from meetings.models import UK_TIME
from meetings.services import meeting_cancel
from presentations import services
from presentations.models import Offer
from tests.factories import MeetingFactory, OfferFactory, PersonFactory, ScheduledWebinarFactory, WebinarFactory


def in_days(days: int, hour: int = 14) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days)
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=UK_TIME)


def scheduled_webinar(world, days: int, **fields):
    starts = in_days(days)
    return ScheduledWebinarFactory(
        network=world.national, starts_at=starts, ends_at=starts + datetime.timedelta(hours=1), **fields
    )


def accepted(world, meeting, **fields):
    return OfferFactory(
        person=fields.pop("person", world.mso_person),
        status=Offer.Status.ACCEPTED,
        meeting=meeting,
        reviewed_by=world.lead,
        **fields,
    )


def day(meeting) -> str:
    return f"{meeting.held_on:%d %b %Y}"


@pytest.fixture
def cancelled(world):
    return scheduled_webinar(world, 10, title="December national webinar", cancelled_at=timezone.now())


@pytest.fixture
def january(world):
    return scheduled_webinar(world, 40, title="January national webinar")


# Moving


def test_lead_moves_an_offer_off_a_cancelled_webinar_the_officer_is_emailed_once_on_commit(
    client, world, cancelled, january, django_capture_on_commit_callbacks
):
    offer = accepted(world, cancelled, title="Insulin omissions")
    decided_at = offer.reviewed_at
    client.force_login(world.lead)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("presentations:move", args=[offer.pk]), {"meeting": january.pk})
        assert response.status_code == 302
        assert response["Location"] == reverse("presentations:queue") + "?status=cancelled"
        assert not mail.outbox
    for callback in callbacks:
        callback()
    offer.refresh_from_db()
    # Still the original decision: who accepted it and when; the move is in the history.
    assert (offer.status, offer.meeting, offer.reviewed_by, offer.reviewed_at) == (
        Offer.Status.ACCEPTED,
        january,
        world.lead,
        decided_at,
    )
    record = offer.history.latest()
    assert record.history_user == world.lead
    assert record.history_change_reason == (
        f"Moved from the webinar of {day(cancelled)} to the webinar of {day(january)} by {world.lead.get_full_name()}"
    )
    (email,) = mail.outbox
    assert email.to == [world.mso.email]
    assert f"{january.held_on:%-d %B %Y}" in email.subject
    assert "January national webinar" in email.body
    assert f"{cancelled.held_on:%A %-d %B %Y}, which was cancelled" in email.body
    assert "14:00 to 15:00 UK time" in email.body
    assert reverse("presentations:offer-detail", args=[offer.pk]) in email.body

    page = client.get(response["Location"]).content.decode()
    assert (
        f"Offer moved: Amina Okafor now presents “Insulin omissions” at January national webinar on "
        f"{january.held_on:%-d %B %Y}" in page
    )
    assert "Insulin omissions" in client.get(january.get_absolute_url()).content.decode()


def test_lead_moves_an_offer_whose_presenter_cannot_make_the_date(client, world, january):
    upcoming = WebinarFactory(network=world.national, held_on=timezone.localdate() + datetime.timedelta(5))
    offer = accepted(world, upcoming)
    moved = services.offer_move(offer=offer, meeting=january, user=world.lead)
    assert moved.meeting == january
    assert Offer.objects.get(pk=offer.pk).meeting == january
    assert offer.history.latest().history_change_reason.startswith(f"Moved from the webinar of {day(upcoming)}")


def snapshot(offer) -> tuple:
    offer = Offer.objects.get(pk=offer.pk)
    return (offer.status, offer.meeting_id, offer.reviewed_by_id, offer.reviewed_at, offer.history.count())


def refusal_cases(world, cancelled, january):
    """(offer, webinar to move it to, user, error expected, message) for each refusal."""
    past = WebinarFactory(network=world.national, held_on=timezone.localdate() - datetime.timedelta(3))
    lead_person = PersonFactory(user=world.lead, first_name="Lena", last_name="Lead")
    return {
        "waiting": (OfferFactory(person=world.mso_person), january, world.lead, "has not been accepted yet"),
        "declined": (
            OfferFactory(person=world.mso_person, status=Offer.Status.DECLINED, review_reason="No"),
            january,
            world.lead,
            "was declined, so it is on no webinar",
        ),
        "same webinar": (accepted(world, january), january, world.lead, "already on the webinar"),
        "a past webinar": (accepted(world, cancelled), past, world.lead, "has not taken place yet"),
        "a cancelled webinar": (
            accepted(world, january),
            scheduled_webinar(world, 20, cancelled_at=timezone.now()),
            world.lead,
            "has not taken place yet",
        ),
        "a network meeting": (
            accepted(world, cancelled),
            MeetingFactory(network=world.network_a, held_on=january.held_on),
            world.lead,
            "has not taken place yet",
        ),
        "already held": (accepted(world, past), january, world.lead, "has taken place, so the offer"),
        "the lead's own offer": (
            accepted(world, cancelled, person=lead_person),
            january,
            world.lead,
            "You cannot review an offer you made yourself",
        ),
    }


REFUSALS = [
    "waiting",
    "declined",
    "same webinar",
    "a past webinar",
    "a cancelled webinar",
    "a network meeting",
    "already held",
    "the lead's own offer",
]


@pytest.mark.parametrize("case", REFUSALS)
def test_each_refused_move_writes_nothing(world, cancelled, january, case, django_capture_on_commit_callbacks):
    offer, meeting, user, message = refusal_cases(world, cancelled, january)[case]
    before = snapshot(offer)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError, match=message):
        services.offer_move(offer=offer, meeting=meeting, user=user)
    assert snapshot(offer) == before
    assert not OutboundEmail.objects.exists()
    assert not mail.outbox


@pytest.mark.parametrize("role", ["mso", "chair_a", "other_mso"])
def test_only_the_lead_moves_an_offer(world, cancelled, january, role):
    offer = accepted(world, cancelled)
    before = snapshot(offer)
    with pytest.raises(PermissionDenied, match="Only the national lead"):
        services.offer_move(offer=offer, meeting=january, user=getattr(world, role))
    assert snapshot(offer) == before


def test_a_refusal_through_the_page_is_a_message_and_writes_nothing(client, world, cancelled, january):
    offer = accepted(world, cancelled)
    before = snapshot(offer)
    client.force_login(world.lead)
    url = reverse("presentations:move", args=[offer.pk])
    empty = client.post(url, {})
    assert empty.status_code == 200
    content = empty.content.decode()
    assert "There is a problem" in content
    assert "Choose the webinar they will present at instead" in content
    same = client.post(url, {"meeting": cancelled.pk}).content.decode()
    assert "Choose another national webinar that has not taken place yet" in same
    waiting = OfferFactory(person=world.other_person)
    refused = client.post(reverse("presentations:move", args=[waiting.pk]), {"meeting": january.pk}, follow=True)
    assert "has not been accepted yet" in refused.content.decode()
    assert snapshot(offer) == before
    assert Offer.objects.get(pk=waiting.pk).status == Offer.Status.SUBMITTED
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("role", ["mso", "other_mso", "chair_a", "chair_b", "no_role"])
def test_the_move_page_is_404_for_everyone_but_the_lead(client, world, cancelled, january, role):
    offer = accepted(world, cancelled)
    before = snapshot(offer)
    client.force_login(getattr(world, role))
    url = reverse("presentations:move", args=[offer.pk])
    assert client.post(url, {"meeting": january.pk}).status_code == 404
    assert client.get(url).status_code == 404
    assert snapshot(offer) == before
    client.force_login(world.lead)
    assert client.get(url).status_code == 405


# The review page


def test_the_review_page_of_an_accepted_offer_offers_the_other_upcoming_webinars(client, world, cancelled, january):
    later = scheduled_webinar(world, 70, title="February national webinar")
    offer = accepted(world, january)
    client.force_login(world.lead)
    response = client.get(reverse("presentations:review", args=[offer.pk]))
    content = response.content.decode()
    assert "Move to another webinar" in content
    assert reverse("presentations:move", args=[offer.pk]) in content
    assert list(response.context["move_form"].fields["meeting"].queryset) == [later]
    assert "Accept the offer" not in content


def test_the_review_page_of_an_offer_on_a_cancelled_webinar_says_it_was_cancelled(client, world, cancelled, january):
    offer = accepted(world, cancelled)
    client.force_login(world.lead)
    content = client.get(reverse("presentations:review", args=[offer.pk])).content.decode()
    assert "was to present at was cancelled" in content
    assert "Move the offer" in content


def test_an_offer_presented_at_a_webinar_held_cannot_be_moved_from_its_page(client, world, january):
    past = WebinarFactory(network=world.national, held_on=timezone.localdate() - datetime.timedelta(3))
    offer = accepted(world, past)
    client.force_login(world.lead)
    content = client.get(reverse("presentations:review", args=[offer.pk])).content.decode()
    assert "Move to another webinar" not in content


# The queue


def test_the_queue_counts_and_lists_the_presenters_whose_webinar_was_cancelled(client, world, january):
    december = scheduled_webinar(world, 10, title="December national webinar")
    first = accepted(world, december, title="Insulin omissions")
    second = accepted(world, december, person=world.other_person, title="Opioid patches")
    going_ahead = accepted(world, january, title="Going ahead")
    client.force_login(world.lead)
    before = client.get(reverse("presentations:queue"))
    assert before.context["counts"]["cancelled"] == 0
    assert "cancelled-webinars" not in before.content.decode()

    meeting_cancel(meeting=december, user=world.lead)
    response = client.get(reverse("presentations:queue"))
    assert response.context["counts"]["cancelled"] == 2
    assert response.context["counts"]["accepted"] == 3
    content = response.content.decode()
    assert "nhsuk-warning-callout" in content
    assert "2 accepted offers are on a webinar that was cancelled" in content
    assert 'href="?status=cancelled"' in content
    assert "Webinar cancelled (2)" in content

    listing = client.get(reverse("presentations:queue"), {"status": "cancelled"})
    assert set(listing.context["page_obj"]) == {first, second}
    assert going_ahead not in listing.context["page_obj"]
    assert "accepted onto a webinar that was cancelled" in listing.content.decode()

    services.offer_move(offer=first, meeting=january, user=world.lead)
    services.offer_move(offer=second, meeting=january, user=world.lead)
    after = client.get(reverse("presentations:queue"))
    assert after.context["counts"]["cancelled"] == 0
    assert "cancelled-webinars" not in after.content.decode()


# The officer's pages and the webinar's page


def test_the_officer_is_told_their_webinar_was_cancelled_and_another_date_will_follow(client, world, cancelled):
    offer = accepted(world, cancelled)
    sentence = (
        f"The webinar of {cancelled.held_on:%-d %B %Y} was cancelled. "
        "The national MSO team will offer you another date."
    )
    client.force_login(world.mso)
    detail = client.get(reverse("presentations:offer-detail", args=[offer.pk])).content.decode()
    assert sentence in detail
    assert "you present at the national webinar of" not in detail
    listing = " ".join(client.get(reverse("presentations:my-offers")).content.decode().split())
    assert sentence in listing
    assert "Accepted, webinar cancelled" in listing


def test_the_officer_of_a_webinar_going_ahead_reads_that_they_present(client, world, january):
    offer = accepted(world, january)
    client.force_login(world.mso)
    detail = client.get(reverse("presentations:offer-detail", args=[offer.pk])).content.decode()
    assert f"you present at the national webinar of {january.held_on:%-d %B %Y}" in detail
    assert "was cancelled" not in detail


def test_a_cancelled_webinars_page_does_not_list_its_presenters_as_presenting(client, world):
    december = scheduled_webinar(world, 10, title="December national webinar")
    accepted(world, december, title="Insulin omissions")
    meeting_cancel(meeting=december, user=world.lead)
    client.force_login(world.lead)
    page = client.get(december.get_absolute_url()).content.decode()
    assert "This webinar was cancelled, so no one presents at it." in page
    assert "Accepted to present before it was cancelled" in page
    assert "Insulin omissions" in page
