"""Organisations and people are listed in alphabetical order whatever the capitals of their names:
"Birmingham and Solihull" before "Birmingham Women's", "de Souza" among the Ds."""

import csv
import io

from django.urls import reverse
from django.utils.html import escape

from networks.models import Network
from officers.models import Appointment, Person
from organisations.models import Organisation
from tests.factories import (
    AppointmentFactory,
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    PersonFactory,
)

# Small letters sort after every capital when the database compares characters' codes
# (SQLite, and PostgreSQL's C collation), so "Women's" would come before "and".
BIRMINGHAM = ["Birmingham and Solihull ICB", "Birmingham Women's and Children's NHS Foundation Trust"]


def birmingham_organisations(world):
    """The two Birmingham organisations in London (for the London network), created out of order."""
    return [
        OrganisationFactory(ods_code="RQ3", name=BIRMINGHAM[1], region=world.london),
        OrganisationFactory(ods_code="QHL", name=BIRMINGHAM[0], region=world.london),
    ]


def birmingham_names(names) -> list[str]:
    return [name for name in names if name.startswith("Birmingham")]


def test_directory_lists_organisations_by_name_whatever_the_capitals(client, world):
    birmingham_organisations(world)
    client.force_login(world.no_role)
    response = client.get(reverse("directory:organisations"))
    assert birmingham_names(o.name for o in response.context["organisations"]) == BIRMINGHAM


def test_directory_search_lists_organisations_by_name_whatever_the_capitals(client, world):
    birmingham_organisations(world)
    client.force_login(world.no_role)
    response = client.get(reverse("directory:organisations"), {"q": "birmingham"})
    assert [o.name for o in response.context["organisations"]] == BIRMINGHAM


def test_organisations_are_listed_by_name_whatever_the_capitals_by_default(world):
    """The default order, used by the admin's lists and every choice of an organisation."""
    birmingham_organisations(world)
    assert birmingham_names(Organisation.objects.values_list("name", flat=True)) == BIRMINGHAM
    assert birmingham_names(str(o) for o in Appointment._meta.get_field("organisation").formfield().queryset) == [
        f"{BIRMINGHAM[0]} (QHL)",
        f"{BIRMINGHAM[1]} (RQ3)",
    ]


def test_membership_page_and_export_list_organisations_by_name_whatever_the_capitals(client, world):
    birmingham_organisations(world)
    client.force_login(world.chair_a)
    response = client.get(reverse("directory:membership", args=[world.network_a.slug]))
    assert birmingham_names(o.name for o in response.context["page_obj"]) == BIRMINGHAM
    export = client.get(reverse("directory:membership-export", args=[world.network_a.slug, "csv"]))
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert birmingham_names(row["Organisation"] for row in rows) == BIRMINGHAM


def test_change_of_details_lists_the_mailboxes_by_organisation_name_whatever_the_capitals(client, world):
    for organisation in reversed(birmingham_organisations(world)):
        AppointmentFactory(person=world.mso_person, organisation=organisation, role=Appointment.Role.DEPUTY_MSO)
    client.force_login(world.mso)
    content = client.get(reverse("officers:change-details")).content.decode()
    assert content.index(escape(BIRMINGHAM[0])) < content.index(escape(BIRMINGHAM[1]))


def test_network_page_lists_members_by_surname_whatever_the_capitals(client, world):
    for first_name, last_name in [("Zara", "Evans"), ("Ana", "de Souza"), ("Tom", "Davies")]:
        MembershipFactory(person=PersonFactory(first_name=first_name, last_name=last_name), network=world.network_a)
    client.force_login(world.no_role)
    response = client.get(reverse("directory:network", args=[world.network_a.slug]))
    surnames = [m.person.last_name for m in response.context["members"]]
    assert surnames.index("Davies") < surnames.index("de Souza") < surnames.index("Evans")
    names = ["Davies", "de Souza", "Evans"]
    assert [p.last_name for p in Person.objects.filter(last_name__in=names)] == names  # the default order


def test_networks_are_listed_by_name_whatever_the_capitals(world):
    """The default order of networks (the network list, a network's sub-networks, a person's
    networks) and of memberships."""
    for name in ("Birmingham Women's network", "Birmingham and Solihull network"):
        NetworkFactory(name=name, kind=Network.Kind.SPECIALISED)
    names = list(Network.objects.filter(kind=Network.Kind.SPECIALISED).values_list("name", flat=True))
    assert birmingham_names(names) == ["Birmingham and Solihull network", "Birmingham Women's network"]


def test_person_page_lists_their_networks_by_name_whatever_the_capitals(client, world):
    for name in ("Birmingham Women's network", "Birmingham and Solihull network"):
        MembershipFactory(person=world.mso_person, network=NetworkFactory(name=name, kind=Network.Kind.SPECIALISED))
    client.force_login(world.lead)
    response = client.get(reverse("directory:person", args=[world.mso_person.pk]))
    names = [m.network.name for m in response.context["person"].current_memberships]
    assert birmingham_names(names) == ["Birmingham and Solihull network", "Birmingham Women's network"]
