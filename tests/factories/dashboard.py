"""Factories for the objects the national coverage dashboard counts: committees, requests to the
lead, handovers and compliance flags."""

import datetime

import factory
from django.utils import timezone

from committees.models import Committee
from compliance.models import Flag
from handovers.models import Handover
from officers.models import Appointment, ChangeRequest, Profession, RequestStatus
from registrations.models import RegistrationRequest

from .officers import AppointmentFactory, PersonFactory
from .organisations import OrganisationFactory
from .users import UserFactory


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee

    organisation = factory.SubFactory(OrganisationFactory)


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


class ChangeRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeRequest

    person = factory.SubFactory(PersonFactory, user=factory.SubFactory(UserFactory))
    requested_by = factory.LazyAttribute(lambda o: o.person.user)
    changes = factory.LazyFunction(lambda: {"phone": {"old": "", "new": "020 7000 0000"}})
    status = RequestStatus.SUBMITTED
    reviewed_at = factory.LazyAttribute(lambda o: None if o.status == RequestStatus.SUBMITTED else timezone.now())
    review_reason = factory.LazyAttribute(lambda o: "Not needed." if o.status == RequestStatus.REJECTED else "")


class HandoverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Handover

    outgoing_appointment = factory.SubFactory(AppointmentFactory)
    organisation = factory.LazyAttribute(lambda o: o.outgoing_appointment.organisation)
    leaving_date = factory.LazyAttribute(lambda o: o.due_date - datetime.timedelta(days=28))
    due_date = datetime.date(2026, 7, 1)
    status = Handover.Status.OPEN
    completed_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == Handover.Status.COMPLETED else None)


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    organisation = factory.SubFactory(OrganisationFactory)
    kind = Flag.Kind.NO_MSO
