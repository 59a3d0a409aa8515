"""The organisation page says who answers for its named officers: its own, a covering organisation's
(named, with the officer), its company's for a community pharmacy, not expected and why, or outside
England; a pharmacy company known only by its code says its name is not yet imported."""

import datetime

import pytest
from django.urls import reverse

from officers.models import Appointment
from organisations.models import Cover, Duty, Organisation
from tests.factories import (
    AppointmentFactory,
    CoveringBodyFactory,
    ExpectationOverrideFactory,
    OrganisationFactory,
    PersonFactory,
    PharmacyCompanyFactory,
    PharmacyFactory,
)

pytestmark = pytest.mark.django_db


def page(client, user, organisation) -> str:
    client.force_login(user)
    response = client.get(reverse("directory:organisation", args=[organisation.ods_code]))
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


@pytest.fixture
def npa(world):
    body = CoveringBodyFactory(ods_code="CBNPA", name="National Pharmacy Association")
    person = PersonFactory(first_name="Ruth", last_name="Okonjo")
    AppointmentFactory(organisation=body, person=person, role=Appointment.Role.MSO)
    Cover.objects.create(
        covering=body, rule=Cover.Rule.SMALL_PHARMACY_COMPANIES, role="mso", starts_on=datetime.date(2024, 1, 1)
    )
    return body


def test_a_small_pharmacy_company_is_shown_covered_by_the_covering_bodys_named_mso(client, world, npa):
    company = PharmacyCompanyFactory(ods_code="P79D", name="P79D")
    PharmacyFactory.create_batch(3, parent=company, region=world.london)
    content = page(client, world.no_role, company)
    assert "Pharmacy company P79D (name not yet imported)" in content
    assert "Covered by <a" in content and "National Pharmacy Association</a>'s MSO, Ruth Okonjo." in content
    assert "No named MDSO" not in content
    # The MDSO, which no covering body covers.
    assert (
        "Not expected to have its own: it runs 3 open pharmacies in England, no more than the threshold of 50."
        in content
    )


def test_a_community_pharmacy_is_answered_for_by_its_company(client, world, npa):
    company = PharmacyCompanyFactory(ods_code="P08F", name="Big Chemists Ltd")
    pharmacy = PharmacyFactory(parent=company, region=world.london)
    content = page(client, world.no_role, pharmacy)
    assert "A community pharmacy does not name its own officers: its company," in content
    assert "Big Chemists Ltd</a>, answers for it." in content


def test_a_company_over_the_threshold_with_no_officer_is_shown_missing_one(client, world, npa):
    company = PharmacyCompanyFactory(ods_code="P0MG", name="Many Pharmacies Ltd")
    PharmacyFactory.create_batch(51, parent=company, region=world.london)
    content = page(client, world.no_role, company)
    assert (
        "Expected to name an MSO: it has no named MSO of its own and no covering organisation's (it runs 51 open "
        "pharmacies in England, more than the threshold of 50)." in content
    )


def test_an_organisation_outside_england_says_so(client, world):
    welsh = OrganisationFactory(ods_code="7A1", name="Betsi Cadwaladr University Local Health Board", region=None)
    content = page(client, world.no_role, welsh)
    assert "outside England, so not part of NHS England's network" in content
    assert "Not expected: outside England." in content


def test_an_exception_is_shown_with_its_reason_and_the_lead_may_change_it(client, world):
    hospice = OrganisationFactory(kind=Organisation.Kind.HOSPICE, region=world.london)
    ExpectationOverrideFactory(organisation=hospice, duty=Duty.MSO, expected=True, reason="Chose to name an MSO")
    content = page(client, world.no_role, hospice)
    assert "(expected as an exception: Chose to name an MSO)" in content
    assert "Change what this organisation is expected to have" not in content
    content = page(client, world.lead, hospice)
    assert reverse("compliance:expectations", args=[hospice.ods_code]) in content


def test_a_sub_icb_location_is_not_expected_by_its_type(client, world):
    sub_icb = OrganisationFactory(kind=Organisation.Kind.SUB_ICB, region=world.london, generic_mailbox="")
    content = page(client, world.no_role, sub_icb)
    assert "Not expected: organisations of this type (sub-ICB location) are not expected to have one." in content
    assert "No named MSO" not in content
