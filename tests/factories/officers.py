"""Factories for the officers app: people, their appointments, their changes of details and the
team members a named MSO proposes."""

import datetime

import factory
from django.utils import timezone
from faker import Faker

from officers.models import Appointment, ChangeRequest, Person, Profession, RequestStatus, TeamProposal

from .organisations import OrganisationFactory
from .users import UserFactory

_faker = Faker("en_GB")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    # Names as Faker gives them, less apostrophes (O'Brien), so that tests can look for a name in a
    # page without HTML-escaping it.
    first_name = factory.LazyFunction(lambda: _faker.first_name().replace("'", ""))
    last_name = factory.LazyFunction(lambda: _faker.last_name().replace("'", ""))
    job_title = "Medication Safety Officer"
    profession = Profession.PHARMACIST
    work_email = factory.Sequence(lambda n: f"person{n}@nhs.net")
    phone = factory.Sequence(lambda n: f"020 7946 {n % 1000:04d}")  # Ofcom's London drama range


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Appointment.Role.MSO
    status = Appointment.Status.ACTIVE
    start_date = datetime.date(2024, 1, 8)


class ChangeRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeRequest

    person = factory.SubFactory(PersonFactory, user=factory.SubFactory(UserFactory))
    requested_by = factory.LazyAttribute(lambda o: o.person.user)
    changes = factory.LazyFunction(lambda: {"phone": {"old": "", "new": "020 7000 0000"}})
    status = RequestStatus.SUBMITTED
    reviewed_at = factory.LazyAttribute(lambda o: None if o.status == RequestStatus.SUBMITTED else timezone.now())
    review_reason = factory.LazyAttribute(lambda o: "Not needed." if o.status == RequestStatus.REJECTED else "")


class TeamProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamProposal

    organisation = factory.SubFactory(OrganisationFactory)
    role = Appointment.Role.TEAM_MEMBER
    first_name = "Priya"
    last_name = factory.Sequence(lambda n: f"Proposed{n}")
    work_email = factory.Sequence(lambda n: f"proposed{n}@nhs.net")
    job_title = "Lead Pharmacist"
    profession = Profession.PHARMACIST
    start_date = datetime.date(2026, 9, 1)
    proposed_by = factory.SubFactory(UserFactory)
