"""Two decisions on the same offer at the same moment, the same offer sent twice at once, and moves
racing each other or the cancellation of the webinar moved to, on PostgreSQL."""

import datetime
import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from meetings.services import meeting_cancel
from presentations.models import Offer
from presentations.services import offer_accept, offer_decline, offer_move, offer_submit
from tests.factories import OfferFactory, ScheduledWebinarFactory, UserFactory, WebinarFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks and serialises writers; the race needs PostgreSQL",
)


def at_once(*calls) -> list:
    """Runs each call in a thread of its own (and a database connection of its own), all released
    together; the outcome of each: its result, the ValidationError it raised, or ("escaped", error)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except ValidationError as error:
            outcomes[index] = error
        except Exception as error:  # anything else escaping the service fails the test
            outcomes[index] = ("escaped", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_an_accept_and_a_decline_at_the_same_moment_decide_the_offer_once(world):
    webinar = WebinarFactory(network=world.national, held_on=timezone.localdate() + datetime.timedelta(days=10))
    offer = OfferFactory(person=world.mso_person)
    deputy = UserFactory(email="deputy.lead@england.nhs.uk", is_national_lead=True)
    outcomes = at_once(
        lambda: offer_accept(offer=offer, meeting=webinar, user=world.lead),
        lambda: offer_decline(offer=offer, reason="Covered in May.", user=deputy),
    )
    assert not [outcome for outcome in outcomes if isinstance(outcome, tuple)], outcomes
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert len(refused) == 1
    assert "already been" in refused[0].messages[0]
    offer.refresh_from_db()
    assert offer.status in (Offer.Status.ACCEPTED, Offer.Status.DECLINED)
    assert offer.history.count() == 2  # offered, then one decision
    assert len(mail.outbox) == 1  # the officer is told once


@pytest.mark.django_db(transaction=True)
def test_the_same_offer_sent_twice_at_once_is_kept_once(world):
    def send():
        return offer_submit(
            person=world.mso_person, user=world.mso, title="Insulin omissions", summary="S", preferred_months=[]
        )

    outcomes = at_once(send, send)
    assert not [outcome for outcome in outcomes if isinstance(outcome, tuple)], outcomes
    assert Offer.objects.count() == 1
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert len(refused) == 1
    assert "already offered" in " ".join(refused[0].messages)


@pytest.mark.django_db(transaction=True)
def test_a_move_onto_a_webinar_cancelled_at_the_same_moment_leaves_no_presenter_unseen(world):
    # Either the cancellation comes first and the move is refused, or the move comes first and the
    # queue lists the moved offer among those whose webinar was cancelled.
    cancelled = ScheduledWebinarFactory(network=world.national, cancelled_at=timezone.now())
    target = ScheduledWebinarFactory(network=world.national, starts_at=timezone.now() + datetime.timedelta(days=30))
    target.ends_at = target.starts_at + datetime.timedelta(hours=1)
    target.held_on = target.starts_uk.date()
    target.save()
    offer = OfferFactory(person=world.mso_person, status=Offer.Status.ACCEPTED, meeting=cancelled)
    deputy = UserFactory(email="deputy.lead@england.nhs.uk", is_national_lead=True)
    outcomes = at_once(
        lambda: offer_move(offer=offer, meeting=target, user=world.lead),
        lambda: meeting_cancel(meeting=target, user=deputy),
    )
    assert not [outcome for outcome in outcomes if isinstance(outcome, tuple)], outcomes
    offer.refresh_from_db()
    target.refresh_from_db()
    assert target.is_cancelled
    if isinstance(outcomes[0], ValidationError):
        assert offer.meeting == cancelled
    else:
        assert offer.meeting == target
    assert Offer.objects.filter(meeting__cancelled_at__isnull=False, status=Offer.Status.ACCEPTED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_moves_of_the_same_offer_at_the_same_moment_run_one_after_the_other(world):
    cancelled = ScheduledWebinarFactory(network=world.national, cancelled_at=timezone.now())
    january = WebinarFactory(network=world.national, held_on=timezone.localdate() + datetime.timedelta(days=40))
    february = WebinarFactory(network=world.national, held_on=timezone.localdate() + datetime.timedelta(days=70))
    offer = OfferFactory(person=world.mso_person, status=Offer.Status.ACCEPTED, meeting=cancelled)
    deputy = UserFactory(email="deputy.lead@england.nhs.uk", is_national_lead=True)
    outcomes = at_once(
        lambda: offer_move(offer=offer, meeting=january, user=world.lead),
        lambda: offer_move(offer=offer, meeting=february, user=deputy),
    )
    assert not [outcome for outcome in outcomes if isinstance(outcome, tuple | ValidationError)], outcomes
    offer.refresh_from_db()
    assert offer.meeting in (january, february)
    # Each move is recorded from the webinar the offer was on when it ran: the second from the first's.
    reasons = [record.history_change_reason for record in offer.history.order_by("history_id")][-2:]
    assert reasons[0].startswith(f"Moved from the webinar of {cancelled.held_on:%d %b %Y}")
    assert reasons[1].startswith("Moved from the webinar of") and f"{cancelled.held_on:%d %b %Y}" not in reasons[1]
    assert len(mail.outbox) == 2
