import datetime

import factory
from faker import Faker

from officers.models import Appointment, Person, Profession

from .organisations import OrganisationFactory

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
