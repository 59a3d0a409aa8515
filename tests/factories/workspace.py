"""Factories for the workspace app: an item of the getting-started checklist done, a checklist
hidden from a home page, and the items not applicable to each role as the data migration seeds them."""

import factory
from django.utils import timezone

from workspace.models import ChecklistHidden, Item, Progress

from .officers import AppointmentFactory, PersonFactory


class ProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Progress

    appointment = factory.SubFactory(AppointmentFactory)
    item = Item.KEY_CONTACTS
    done_at = factory.LazyFunction(timezone.now)


class ChecklistHiddenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistHidden

    person = factory.SubFactory(PersonFactory)


def seed_default_applicability() -> None:
    """The items not applicable to each role as the data migration seeds them (a test that flushed
    the database, such as a transactional one, leaves the table empty for the tests after it)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("workspace.migrations.0002_default_applicability")
    migration.seed(apps, None)
