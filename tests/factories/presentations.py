"""Factories for the presentations app: an officer's offer to present at a national webinar."""

import factory
from django.utils import timezone

from presentations.models import Offer

from .officers import PersonFactory


class OfferFactory(factory.django.DjangoModelFactory):
    """A waiting offer; pass status (and meeting, for an accepted one, or review_reason for a declined
    one) for a decided offer."""

    class Meta:
        model = Offer

    person = factory.SubFactory(PersonFactory)
    title = factory.Sequence(lambda n: f"Learning from insulin incidents {n}")
    summary = "How our trust halved insulin omissions on the wards, and what other MSOs can take from it."
    preferred_months = factory.LazyFunction(list)
    status = Offer.Status.SUBMITTED
    reviewed_at = factory.LazyAttribute(lambda o: None if o.status == Offer.Status.SUBMITTED else timezone.now())
