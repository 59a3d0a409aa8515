"""Factories for the mailings app: a message (from the national lead, by default) and its
recipients, each with its email in the outbox (waiting, by default)."""

import factory
from django.utils import timezone

from mailings.models import Message, Recipient

from .emails import OutboundEmailFactory
from .users import UserFactory


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    sender = factory.SubFactory(UserFactory, is_national_lead=True)
    subject = factory.Sequence(lambda n: f"Patient safety alert {n}")
    body = "Dear colleagues,\n\nPlease read the new alert at https://www.england.nhs.uk/patient-safety/.\n"
    audience = factory.LazyFunction(dict)
    audience_description = "Everyone on the register"
    sent_at = factory.LazyFunction(timezone.now)


class RecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recipient

    message = factory.SubFactory(MessageFactory)
    address = factory.Sequence(lambda n: f"recipient{n}@nhs.net")
    kind = Recipient.Kind.PERSON
    email = factory.SubFactory(
        OutboundEmailFactory,
        to=factory.LazyAttribute(lambda o: [o.factory_parent.address]),
        subject=factory.LazyAttribute(lambda o: o.factory_parent.message.subject),
        template="network_message",
        bulk=True,
        dedupe_key=factory.LazyAttribute(lambda o: f"message:{o.factory_parent.message.pk}:{o.factory_parent.address}"),
    )
