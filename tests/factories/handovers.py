"""Factories for the handovers app: an open handover from an outgoing officer's appointment."""

import datetime

import factory
from django.utils import timezone

from handovers.models import Handover

from .officers import AppointmentFactory


class HandoverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Handover

    outgoing_appointment = factory.SubFactory(AppointmentFactory)
    organisation = factory.LazyAttribute(lambda o: o.outgoing_appointment.organisation)
    leaving_date = factory.LazyAttribute(lambda o: o.due_date - datetime.timedelta(days=28))
    due_date = datetime.date(2026, 7, 1)
    status = Handover.Status.OPEN
    completed_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == Handover.Status.COMPLETED else None)
