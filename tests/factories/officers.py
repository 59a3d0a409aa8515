import datetime

import factory

from officers.models import Appointment, Person, Profession

from .organisations import OrganisationFactory


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    job_title = "Medication Safety Officer"
    profession = Profession.PHARMACIST
    work_email = factory.Sequence(lambda n: f"person{n}@nhs.net")
    phone = factory.Sequence(lambda n: f"07700 9{n:05d}")


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Appointment.Role.MSO
    status = Appointment.Status.ACTIVE
    start_date = datetime.date(2024, 1, 8)
