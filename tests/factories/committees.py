"""Factories for the committees app: an organisation's medication safety committee and its members."""

import datetime

import factory

from committees.models import Committee, CommitteeMember
from officers.models import Profession

from .organisations import OrganisationFactory


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee

    organisation = factory.SubFactory(OrganisationFactory)
    name = "Medication Safety Committee"
    chair_name = "Dr Chair Person"
    meeting_frequency = Committee.Frequency.MONTHLY
    last_met_on = datetime.date(2026, 10, 1)
    reports_to = Committee.ReportsTo.BOARD

    class Params:
        represented = factory.Trait(
            has_patient_representation=True,
            patient_representation_detail="A patient safety partner is a member.",
        )


class CommitteeMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeMember

    committee = factory.SubFactory(CommitteeFactory)
    name = factory.Sequence(lambda n: f"Member {n}")
    role = "Chief Pharmacist"
    profession = Profession.PHARMACIST
