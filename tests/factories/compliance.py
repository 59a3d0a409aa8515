"""Factories for the compliance app: a flag on an organisation (no named MSO, by default)."""

import factory

from compliance.models import Flag

from .organisations import OrganisationFactory


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    organisation = factory.SubFactory(OrganisationFactory)
    kind = Flag.Kind.NO_MSO
