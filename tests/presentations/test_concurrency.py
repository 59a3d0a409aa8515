"""Two decisions on the same offer at the same moment, and the same offer sent twice at once, on PostgreSQL."""

import datetime
import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from presentations.models import Offer
from presentations.services import offer_accept, offer_decline, offer_submit
from tests.factories import OfferFactory, UserFactory, WebinarFactory

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
