"""Factories for the networks app: networks (a specialised one by default) and their membership."""

import datetime

import factory

from networks.models import Membership, Network

from .officers import PersonFactory


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network

    name = factory.Sequence(lambda n: f"Specialised network {n}")
    slug = factory.Sequence(lambda n: f"network-{n}")
    kind = Network.Kind.SPECIALISED


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    network = factory.SubFactory(NetworkFactory)
    role = Membership.Role.MEMBER
    joined_on = datetime.date(2024, 1, 8)
