"""Factories for the compliance app: a flag on an organisation (no named MSO, by default), and a
record of a scan that finished `finished_at` (now, by default) after a second's work."""

import datetime

import factory
from django.utils import timezone

from compliance.models import Flag, ScanRun

from .organisations import OrganisationFactory


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    organisation = factory.SubFactory(OrganisationFactory)
    kind = Flag.Kind.NO_MSO


class ScanRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScanRun

    finished_at = factory.LazyFunction(timezone.now)
    started_at = factory.LazyAttribute(lambda o: o.finished_at - datetime.timedelta(seconds=1))
    opened = 0
    resolved = 0
    open = 0
    lapsed_handovers = 0
