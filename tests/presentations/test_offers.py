"""Offers to present at the national webinar: an officer in post offers a topic; the national lead
accepts it onto an upcoming webinar (whose page then lists the presenter) or declines it with a
reason; the officer is told either way, and every step is in the offer's history."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from emails.models import OutboundEmail
from meetings.models import Meeting
from presentations import services
from presentations.models import Offer, months_ahead
from tests.factories import MeetingFactory, OfferFactory, PersonFactory, ScheduledWebinarFactory, WebinarFactory


def month(offset: int) -> str:
    """The month `offset` months from this one, as "YYYY-MM"."""
    return f"{months_ahead(timezone.localdate(), offset + 1)[-1]:%Y-%m}"


def offer_data(**changes) -> dict:
    return {
        "title": "Learning from insulin omissions",
        "summary": "What our wards changed, and the numbers a year on.",
        "preferred_months": [month(1), month(2)],
        **changes,
    }


def offer(client, user, **changes):
    client.force_login(user)
    return client.post(reverse("presentations:offer-create"), offer_data(**changes))


@pytest.fixture
def webinar(world):
    return WebinarFactory(
        network=world.national, title="December national webinar", held_on=timezone.localdate() + datetime.timedelta(10)
    )


# Offering


def test_officer_offers_a_topic_for_the_leads_queue_and_the_leads_are_told(committing_client, world):
    response = offer(committing_client, world.mso, title="  Learning from   insulin omissions ")
    assert response.status_code == 302
    assert response["Location"] == reverse("presentations:my-offers")
    submitted = Offer.objects.get()
    assert (submitted.person, submitted.title, submitted.status) == (
        world.mso_person,
        "Learning from insulin omissions",
        Offer.Status.SUBMITTED,
    )
    assert submitted.preferred_months == [month(1), month(2)]
    record = submitted.history.get()
    assert (record.history_user, record.history_change_reason) == (world.mso, "Offer to present submitted")
    (email,) = mail.outbox
    assert email.to == [world.lead.email]
    assert "Learning from insulin omissions" in email.subject
    assert reverse("presentations:review", args=[submitted.pk]) in email.body
    listing = committing_client.get(reverse("presentations:my-offers")).content.decode()
    assert "Learning from insulin omissions" in listing
    assert "Waiting for a decision" in listing


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "   "}, "Enter the title of your presentation"),
        ({"summary": "x" * 2001}, "The summary must be 2000 characters or fewer"),
        ({"summary": ""}, "Enter a summary of your presentation"),
        ({"preferred_months": ["2020-01"]}, "is not one of the next 12 months"),
        ({"preferred_months": ["next spring"]}, "is not one of the next 12 months"),
    ],
)
def test_bad_offer_shows_a_clear_message_and_writes_nothing(client, world, changes, message):
    response = offer(client, world.mso, **changes)
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert message in content
    assert not Offer.objects.exists()
    assert not Offer.history.exists()
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    ("months", "message"),
    [
        (["2020-01"], "January 2020 is not within the next 12 months"),
        ([month(12)], "is not within the next 12 months"),
        (["2027-13"], "“2027-13” is not a month"),
        (["soon"], "“soon” is not a month"),
    ],
)
def test_the_service_refuses_a_month_in_the_past_beyond_a_year_or_unparseable(world, months, message):
    with pytest.raises(ValidationError, match=message) as refused:
        services.offer_submit(person=world.mso_person, user=world.mso, **offer_data(preferred_months=months))
    assert "preferred_months" in refused.value.error_dict
    assert not Offer.objects.exists()


def test_the_service_refuses_an_empty_title_and_an_overlong_summary(world):
    with pytest.raises(ValidationError) as refused:
        services.offer_submit(person=world.mso_person, user=world.mso, **offer_data(title=" ", summary="y" * 2001))
    assert set(refused.value.error_dict) == {"title", "summary"}
    assert not Offer.objects.exists()


def test_this_month_and_the_eleventh_month_ahead_may_be_preferred(world):
    submitted = services.offer_submit(
        person=world.mso_person, user=world.mso, **offer_data(preferred_months=[month(11), month(0), month(0)])
    )
    assert submitted.preferred_months == [month(0), month(11)]


def test_the_same_title_waits_once(client, world):
    offer(client, world.mso)
    response = offer(client, world.mso, title="LEARNING FROM INSULIN OMISSIONS")
    assert "You have already offered" in response.content.decode()
    assert Offer.objects.count() == 1


def test_the_database_keeps_one_waiting_offer_per_title(world):
    OfferFactory(person=world.mso_person, title="Insulin")
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferFactory(person=world.mso_person, title="insulin")


def test_only_an_officer_in_post_may_offer(client, world):
    world.mso_appointment.status = "ended"
    world.mso_appointment.end_date = timezone.localdate()
    world.mso_appointment.save()
    assert offer(client, world.mso).status_code == 404
    with pytest.raises(ValidationError, match="in post"):
        services.offer_submit(person=world.mso_person, user=world.mso, **offer_data())
    assert not Offer.objects.exists()


# Withdrawing


def test_officer_withdraws_their_waiting_offer(client, world):
    waiting = OfferFactory(person=world.mso_person)
    client.force_login(world.mso)
    response = client.post(reverse("presentations:offer-withdraw", args=[waiting.pk]))
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.status, waiting.reviewed_by) == (Offer.Status.WITHDRAWN, world.mso)
    record = waiting.history.latest()
    assert (record.history_user, record.history_change_reason) == (world.mso, "Withdrawn by the officer")
    assert "Withdrawn" in client.get(reverse("presentations:my-offers")).content.decode()


def test_a_decided_offer_cannot_be_withdrawn(client, world, webinar):
    accepted = OfferFactory(person=world.mso_person, status=Offer.Status.ACCEPTED, meeting=webinar)
    client.force_login(world.mso)
    response = client.post(reverse("presentations:offer-withdraw", args=[accepted.pk]), follow=True)
    assert "already been accepted" in response.content.decode()
    accepted.refresh_from_db()
    assert accepted.status == Offer.Status.ACCEPTED


def test_an_officer_gets_404_for_another_officers_offer(client, world):
    theirs = OfferFactory(person=world.other_person)
    client.force_login(world.mso)
    assert client.get(reverse("presentations:offer-detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("presentations:offer-withdraw", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Offer.Status.SUBMITTED
    assert "Learning" not in client.get(reverse("presentations:my-offers")).content.decode()


# Accepting


def test_lead_accepts_an_offer_onto_a_webinar_the_officer_is_emailed_once_on_commit(
    client, world, webinar, django_capture_on_commit_callbacks
):
    waiting = OfferFactory(person=world.mso_person, title="Insulin omissions")
    client.force_login(world.lead)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("presentations:accept", args=[waiting.pk]), {"meeting": webinar.pk})
        assert response.status_code == 302
        assert not mail.outbox
    for callback in callbacks:
        callback()
    waiting.refresh_from_db()
    assert (waiting.status, waiting.meeting, waiting.reviewed_by) == (Offer.Status.ACCEPTED, webinar, world.lead)
    assert waiting.reviewed_at is not None
    (email,) = mail.outbox
    assert email.to == [world.mso.email]
    assert "December national webinar" in email.body
    assert webinar.held_on.strftime("%B %Y") in email.body
    record = waiting.history.latest()
    assert record.history_user == world.lead
    assert record.history_change_reason.startswith(f"Accepted by {world.lead.get_full_name()}")

    page = client.get(webinar.get_absolute_url()).content.decode()
    assert "Presenters" in page
    assert "Insulin omissions" in page
    assert "Amina Okafor, Royal Free London NHS Foundation Trust" in page


def test_an_offer_is_placed_only_on_an_upcoming_national_webinar(client, world, webinar):
    waiting = OfferFactory(person=world.mso_person)
    past = WebinarFactory(network=world.national, held_on=timezone.localdate() - datetime.timedelta(1))
    regional = MeetingFactory(network=world.network_a, held_on=webinar.held_on)
    cancelled = ScheduledWebinarFactory(network=world.national, cancelled_at=timezone.now())
    for meeting in (past, regional, cancelled):
        with pytest.raises(ValidationError, match="has not taken place yet"):
            services.offer_accept(offer=waiting, meeting=meeting, user=world.lead)
    client.force_login(world.lead)
    response = client.post(reverse("presentations:accept", args=[waiting.pk]), {"meeting": past.pk})
    assert "Choose a national webinar that has not taken place yet" in response.content.decode()
    options = client.get(reverse("presentations:review", args=[waiting.pk])).context["accept_form"]
    assert list(options.fields["meeting"].queryset) == [webinar]
    waiting.refresh_from_db()
    assert (waiting.status, waiting.meeting) == (Offer.Status.SUBMITTED, None)


def test_only_the_lead_decides_an_offer(world, webinar):
    waiting = OfferFactory(person=world.other_person)
    with pytest.raises(PermissionDenied, match="Only the national lead"):
        services.offer_accept(offer=waiting, meeting=webinar, user=world.mso)
    with pytest.raises(PermissionDenied, match="Only the national lead"):
        services.offer_decline(offer=waiting, reason="No", user=world.chair_a)
    waiting.refresh_from_db()
    assert waiting.status == Offer.Status.SUBMITTED


def test_a_lead_who_offered_cannot_decide_their_own_offer(world, webinar):
    lead_person = PersonFactory(user=world.lead, first_name="Lena", last_name="Lead")
    own = OfferFactory(person=lead_person)
    with pytest.raises(ValidationError, match="You cannot review an offer you made yourself"):
        services.offer_accept(offer=own, meeting=webinar, user=world.lead)
    with pytest.raises(ValidationError, match="You cannot review an offer you made yourself"):
        services.offer_decline(offer=own, reason="No", user=world.lead)
    own.refresh_from_db()
    assert own.status == Offer.Status.SUBMITTED
    assert not OutboundEmail.objects.filter(template__startswith="presentation_offer_").exists()


def test_a_second_decision_is_refused(client, world, webinar):
    waiting = OfferFactory(person=world.mso_person)
    services.offer_accept(offer=waiting, meeting=webinar, user=world.lead)
    with pytest.raises(ValidationError, match="already been accepted"):
        services.offer_decline(offer=waiting, reason="Changed my mind", user=world.lead)
    with pytest.raises(ValidationError, match="already been accepted"):
        services.offer_accept(offer=waiting, meeting=webinar, user=world.lead)
    client.force_login(world.lead)
    response = client.post(reverse("presentations:decline", args=[waiting.pk]), {"reason": "No"}, follow=True)
    assert "already been accepted" in response.content.decode()
    waiting.refresh_from_db()
    assert (waiting.status, waiting.review_reason) == (Offer.Status.ACCEPTED, "")
    assert waiting.history.count() == 2


# Declining


def test_lead_declines_with_a_reason_the_officer_is_emailed_it(client, world, django_capture_on_commit_callbacks):
    waiting = OfferFactory(person=world.mso_person, title="Insulin omissions")
    client.force_login(world.lead)
    response = client.post(reverse("presentations:decline", args=[waiting.pk]), {"reason": "  "})
    assert response.status_code == 200
    assert "Enter the reason for declining the offer" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == Offer.Status.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("presentations:decline", args=[waiting.pk]), {"reason": "We covered insulin in May."})
    waiting.refresh_from_db()
    assert (waiting.status, waiting.review_reason, waiting.meeting) == (
        Offer.Status.DECLINED,
        "We covered insulin in May.",
        None,
    )
    (email,) = mail.outbox
    assert email.to == [world.mso.email]
    assert "We covered insulin in May." in email.body
    record = waiting.history.latest()
    assert record.history_user == world.lead
    assert "We covered insulin in May." in record.history_change_reason
    client.force_login(world.mso)
    assert "We covered insulin in May." in client.get(reverse("presentations:my-offers")).content.decode()


def test_the_service_requires_a_reason_to_decline(world):
    waiting = OfferFactory(person=world.mso_person)
    with pytest.raises(ValidationError, match="reason"):
        services.offer_decline(offer=waiting, reason=" ", user=world.lead)
    waiting.refresh_from_db()
    assert waiting.status == Offer.Status.SUBMITTED


# The database's rules


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "approved"},  # accepted without a webinar
        {"status": "rejected"},  # declined without a reason
        {"status": "submitted", "reviewed_at": timezone.now()},  # waiting with a decision time
        {"status": "withdrawn", "reviewed_at": None},  # decided without a decision time
        {"summary": "z" * 2001},
        {"title": ""},
    ],
)
def test_the_database_refuses_an_offer_that_breaks_its_rules(world, fields):
    Offer.objects.create(**valid_withdrawn_offer(world))  # the rows below differ from this one by one rule
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.create(**{**valid_withdrawn_offer(world), **fields})


def valid_withdrawn_offer(world) -> dict:
    return {
        "person": world.mso_person,
        "title": "T",
        "summary": "S",
        "status": "withdrawn",
        "reviewed_at": timezone.now(),
    }


def test_the_database_refuses_a_webinar_on_an_offer_not_accepted(world, webinar):
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferFactory(person=world.mso_person, meeting=webinar)


def test_a_webinar_with_presenters_cannot_be_deleted(world, webinar):
    OfferFactory(person=world.mso_person, status=Offer.Status.ACCEPTED, meeting=webinar)
    with pytest.raises(ProtectedError):
        webinar.delete()
    assert Meeting.objects.filter(pk=webinar.pk).exists()


def test_the_acceptance_gives_the_time_of_a_scheduled_webinar(world, django_capture_on_commit_callbacks):
    scheduled = ScheduledWebinarFactory(network=world.national, title="January national webinar")
    waiting = OfferFactory(person=world.mso_person)
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_accept(offer=waiting, meeting=scheduled, user=world.lead)
    (email,) = mail.outbox
    assert "January national webinar" in email.body
    assert "14:00 to 15:00 UK time" in email.body
