"""The cross-organisation view of medication safety committees: which have patient representation and
terms of reference, counted against a known set of committees."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from committees.models import Committee
from tests.factories import CommitteeFactory, CommitteeMemberFactory, OrganisationFactory

# (region, name, patient representation, terms of reference)
FIXTURE = [
    ("london", "Alpha Trust", True, True),
    ("london", "Bravo Trust", True, False),
    ("london", "Charlie Trust", False, False),
    ("north_west", "Delta Trust", True, False),
    ("north_west", "Echo Trust", False, True),
    ("north_west", "Foxtrot Trust", False, False),
]


def with_terms_of_reference(committee):
    Committee.objects.filter(pk=committee.pk).update(
        terms_of_reference=f"terms-of-reference/{committee.pk:032d}.pdf",
        terms_of_reference_type="application/pdf",
        terms_of_reference_uploaded_at=timezone.now(),
    )


@pytest.fixture
def committees(world):
    for region, name, represented, tor in FIXTURE:
        organisation = OrganisationFactory(name=name, region=getattr(world, region))
        committee = CommitteeFactory(organisation=organisation, represented=represented)
        CommitteeMemberFactory.create_batch(2, committee=committee)
        if tor:
            with_terms_of_reference(committee)
    OrganisationFactory(name="Golf Trust, no committee", region=world.london)
    return world


def overview(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("committees:overview"), params)
    assert response.status_code == 200
    return response


def names(response):
    return [committee.organisation.name for committee in response.context["page_obj"].object_list]


def test_lead_sees_every_committee_with_counts(client, committees):
    response = overview(client, committees.lead)
    assert response.context["counts"] == {
        "total": 6,
        "with_patient_representation": 3,
        "with_terms_of_reference": 2,
        "with_both": 1,
    }
    assert names(response) == [
        "Alpha Trust",
        "Bravo Trust",
        "Charlie Trust",
        "Delta Trust",
        "Echo Trust",
        "Foxtrot Trust",
    ]
    content = response.content.decode()
    assert "6 committees, by organisation" in content
    assert "A patient safety partner is a member." in content
    assert "2 members" in content


@pytest.mark.parametrize(
    ("params", "expected", "counts"),
    [
        ({"region": "Y56"}, ["Alpha Trust", "Bravo Trust", "Charlie Trust"], (3, 2, 1, 1)),
        ({"patient_representation": "yes"}, ["Alpha Trust", "Bravo Trust", "Delta Trust"], (3, 3, 1, 1)),
        ({"patient_representation": "no"}, ["Charlie Trust", "Echo Trust", "Foxtrot Trust"], (3, 0, 1, 0)),
        ({"terms_of_reference": "yes"}, ["Alpha Trust", "Echo Trust"], (2, 1, 2, 1)),
        ({"terms_of_reference": "no"}, ["Bravo Trust", "Charlie Trust", "Delta Trust", "Foxtrot Trust"], (4, 2, 0, 0)),
        ({"region": "Y62", "patient_representation": "no", "terms_of_reference": "yes"}, ["Echo Trust"], (1, 0, 1, 0)),
        ({"q": "delta"}, ["Delta Trust"], (1, 1, 0, 0)),
    ],
)
def test_filters_narrow_the_list_and_its_counts(client, committees, params, expected, counts):
    response = overview(client, committees.lead, **params)
    assert names(response) == expected
    c = response.context["counts"]
    assert (c["total"], c["with_patient_representation"], c["with_terms_of_reference"], c["with_both"]) == counts


def test_an_unknown_region_is_shown_as_an_error_and_ignored(client, committees):
    response = overview(client, committees.lead, region="ZZZ")
    assert response.context["counts"]["total"] == 6
    assert "There is a problem" in response.content.decode()


def test_chair_sees_only_the_committees_of_their_networks(client, committees):
    response = overview(client, committees.chair_a)
    assert names(response) == ["Alpha Trust", "Bravo Trust", "Charlie Trust"]
    assert response.context["counts"]["total"] == 3


@pytest.mark.parametrize("size", [5, 60])
def test_overview_runs_a_fixed_number_of_queries(client, world, size, django_assert_max_num_queries):
    for index in range(size):
        committee = CommitteeFactory(organisation=OrganisationFactory(region=world.london), represented=index % 2 == 0)
        CommitteeMemberFactory(committee=committee)
        if index % 3 == 0:
            with_terms_of_reference(committee)
    client.force_login(world.lead)
    # Session, user, navigation (chaired networks, person), two-factor check; then the count, the page
    # of rows and the counts at the top.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("committees:overview"), {"region": "Y56"})
    assert response.context["counts"]["total"] == size
    assert len(response.context["page_obj"].object_list) == min(size, 50)


def test_last_met_and_download_link_shown(client, committees):
    alpha = Committee.objects.get(organisation__name="Alpha Trust")
    Committee.objects.filter(pk=alpha.pk).update(last_met_on=datetime.date(2026, 10, 5))
    content = overview(client, committees.lead).content.decode()
    assert "5 October 2026" in content
    assert reverse("committees:terms-of-reference", args=[alpha.organisation.ods_code]) in content
