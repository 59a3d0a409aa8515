"""Factories for the organisations app: regions, organisations (a trust by default; pharmacy
companies, pharmacies and covering bodies as their own factories), covers, exceptions to what a
type is expected to name, and key contacts."""

import datetime

import factory

from organisations.models import Cover, CoverRole, Duty, ExpectationOverride, KeyContact, Organisation, Region


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Iterator(["Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63"])
    name = factory.LazyAttribute(lambda o: f"Region {o.code}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    ods_code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"Test Hospitals NHS Foundation Trust {n}")
    kind = Organisation.Kind.NHS_TRUST
    region = factory.SubFactory(RegionFactory)
    opened_on = datetime.date(2015, 4, 1)
    generic_mailbox = factory.LazyAttribute(lambda o: f"{o.ods_code.lower()}.mso@nhs.net")


class PharmacyCompanyFactory(OrganisationFactory):
    ods_code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"Test Pharmacy Company {n} Ltd")
    kind = Organisation.Kind.PHARMACY_COMPANY
    region = None
    generic_mailbox = ""


class PharmacyFactory(OrganisationFactory):
    ods_code = factory.Sequence(lambda n: f"F{n:05d}")
    name = factory.Sequence(lambda n: f"Test Pharmacy {n}")
    kind = Organisation.Kind.PHARMACY
    generic_mailbox = ""


class CoveringBodyFactory(OrganisationFactory):
    ods_code = factory.Sequence(lambda n: f"CB{n:03d}")
    name = factory.Sequence(lambda n: f"Test Covering Body {n}")
    kind = Organisation.Kind.COVERING_BODY
    region = None


class CoverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cover

    covering = factory.SubFactory(CoveringBodyFactory)
    organisation = factory.SubFactory(PharmacyCompanyFactory)
    role = CoverRole.MSO
    starts_on = datetime.date(2024, 1, 1)


class ExpectationOverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpectationOverride

    organisation = factory.SubFactory(OrganisationFactory)
    duty = Duty.MSO
    expected = True
    reason = "The organisation chose to name its own MSO."


class KeyContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyContact

    organisation = factory.SubFactory(OrganisationFactory)
    role = KeyContact.Role.CHIEF_PHARMACIST
    name = factory.Sequence(lambda n: f"Key Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@nhs.net")
