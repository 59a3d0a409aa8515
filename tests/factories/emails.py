"""Factories for the emails app: an email in the outbox, waiting (by default) or `sent`."""

import factory
from django.utils import timezone

from emails.models import OutboundEmail


class OutboundEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboundEmail

    to = factory.LazyFunction(lambda: ["mso.a@nhs.net"])
    subject = "Reminder"
    body_text = factory.LazyAttribute(lambda o: f"{o.subject}\n")
    body_html = factory.LazyAttribute(lambda o: f"<p>{o.subject}</p>")
    template = "test_message"
    sent_at = None
    attempts = factory.LazyAttribute(lambda o: 1 if o.sent_at or o.last_error else 0)
    last_error = ""

    class Params:
        sent = factory.Trait(sent_at=factory.LazyFunction(timezone.now))
