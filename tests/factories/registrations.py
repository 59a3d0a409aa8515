"""Factories for the registrations app: a request to join the register as a named officer."""

import datetime

import factory
from django.utils import timezone

from officers.models import Appointment, Profession, RequestStatus
from registrations.models import RegistrationRequest

from .organisations import OrganisationFactory
from .users import UserFactory


class RegistrationRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegistrationRequest

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Appointment.Role.MSO
    start_date = datetime.date(2026, 5, 1)
    first_name = "Sam"
    last_name = "Okoro"
    job_title = "Medication Safety Officer"
    profession = Profession.PHARMACIST
    status = RequestStatus.SUBMITTED
    reviewed_at = factory.LazyAttribute(lambda o: None if o.status == RequestStatus.SUBMITTED else timezone.now())
