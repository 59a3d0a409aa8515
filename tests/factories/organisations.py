import datetime

import factory

from organisations.models import Organisation, Region


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
