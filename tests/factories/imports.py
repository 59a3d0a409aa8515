"""Factories for the imports app: a checked people import ready to confirm, and its rows."""

import factory

from imports.models import ImportJob, ImportRow

from .files import PEOPLE_HEADERS, csv_bytes, person_row
from .users import UserFactory


class ImportJobFactory(factory.django.DjangoModelFactory):
    """A checked people import, ready to confirm."""

    class Meta:
        model = ImportJob

    user = factory.SubFactory(UserFactory, is_national_lead=True, is_staff=True)
    dataset = "people"
    file_name = factory.Sequence(lambda n: f"people-{n}.csv")
    file_format = "csv"
    data = factory.LazyFunction(lambda: csv_bytes([PEOPLE_HEADERS, person_row("factory@nhs.net")]))
    file_size = factory.LazyAttribute(lambda o: len(o.data))
    status = ImportJob.Status.READY
    rows_total = 1


class ImportRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportRow

    job = factory.SubFactory(ImportJobFactory)
    kind = ImportRow.Kind.CHANGED
    line = factory.Sequence(lambda n: n + 2)
    key = factory.Sequence(lambda n: f"person{n}@nhs.net")
    description = "Sam Lee"
    changes = [["Job title", "Pharmacist", "Lead pharmacist"]]
