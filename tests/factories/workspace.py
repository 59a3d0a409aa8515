import datetime

import factory
from django.utils import timezone

from meetings.models import Attendance, Meeting
from organisations.models import KeyContact
from workspace.models import Item, Progress

from .meetings import MeetingFactory
from .officers import AppointmentFactory, PersonFactory
from .organisations import OrganisationFactory


class ProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Progress

    appointment = factory.SubFactory(AppointmentFactory)
    item = Item.KEY_CONTACTS
    done_at = factory.LazyFunction(timezone.now)


class KeyContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyContact

    organisation = factory.SubFactory(OrganisationFactory)
    role = KeyContact.Role.CHIEF_PHARMACIST
    name = "Priya Shah"
    email = factory.Sequence(lambda n: f"contact{n}@nhs.net")


class NationalWebinarFactory(MeetingFactory):
    kind = Meeting.Kind.NATIONAL_WEBINAR
    title = "National MSO webinar"
    held_on = datetime.date(2026, 10, 14)


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    meeting = factory.SubFactory(NationalWebinarFactory)
    person = factory.SubFactory(PersonFactory)


def seed_default_applicability() -> None:
    """The items not applicable to each role as the data migration seeds them (a test that flushed
    the database, such as a transactional one, leaves the table empty for the tests after it)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("workspace.migrations.0002_default_applicability")
    migration.seed(apps, None)
