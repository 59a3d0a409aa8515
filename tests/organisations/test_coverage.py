"""Who must name an officer and who covers whom: the one definition (organisations.coverage on the
organisation queryset, compliance.coverage)."""

import datetime

import pytest

from compliance.coverage import missing, with_coverage
from officers.models import Appointment
from organisations.models import Cover, Duty, Organisation, TypeExpectation
from tests.factories import (
    AppointmentFactory,
    CoverFactory,
    CoveringBodyFactory,
    ExpectationOverrideFactory,
    OrganisationFactory,
    PharmacyCompanyFactory,
    PharmacyFactory,
    RegionFactory,
)

DAY = datetime.date(2026, 12, 2)


def coverage_of(organisation, day=DAY):
    return with_coverage(Organisation.objects.all(), day).get(pk=organisation.pk)


def expected_codes(duty, day=DAY):
    return set(Organisation.objects.expected(duty, day).values_list("ods_code", flat=True))


def missing_codes(duty, day=DAY):
    return set(missing(Organisation.objects.all(), duty, day).values_list("ods_code", flat=True))


def pharmacies(company, count, **kwargs):
    kwargs.setdefault("region", RegionFactory(code="Y56", name="London"))
    return PharmacyFactory.create_batch(count, parent=company, **kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "mso", "mdso", "mailbox"),
    [
        (Organisation.Kind.NHS_TRUST, True, True, True),
        (Organisation.Kind.ICB, True, True, True),
        (Organisation.Kind.INDEPENDENT, True, True, True),
        (Organisation.Kind.SUB_ICB, False, False, False),
        (Organisation.Kind.GP_PRACTICE, False, False, False),
        (Organisation.Kind.PHARMACY, False, False, False),
        (Organisation.Kind.HOSPICE, False, False, False),
        (Organisation.Kind.OTHER, False, False, False),
    ],
)
def test_each_type_is_expected_what_its_type_expectation_says(kind, mso, mdso, mailbox):
    organisation = OrganisationFactory(kind=kind)
    row = coverage_of(organisation)
    assert (row.mso_expected, row.mdso_expected, row.mailbox_expected) == (mso, mdso, mailbox)


@pytest.mark.django_db
def test_changing_a_type_expectation_changes_who_is_expected():
    practice = OrganisationFactory(kind=Organisation.Kind.GP_PRACTICE)
    assert practice.ods_code not in expected_codes(Duty.MSO)
    TypeExpectation.objects.filter(kind=Organisation.Kind.GP_PRACTICE).update(expects_mso=True)
    assert practice.ods_code in expected_codes(Duty.MSO)
    assert practice.ods_code in missing_codes(Duty.MSO)


@pytest.mark.django_db
def test_a_pharmacy_company_names_its_own_officers_only_above_the_threshold_of_english_pharmacies():
    at_threshold = PharmacyCompanyFactory()
    above = PharmacyCompanyFactory()
    pharmacies(at_threshold, 50)
    pharmacies(above, 51)
    assert coverage_of(at_threshold).mso_expected is False
    assert coverage_of(above).mso_expected is True
    assert expected_codes(Duty.MSO) == {above.ods_code}


@pytest.mark.django_db
def test_welsh_closed_and_not_yet_open_pharmacies_do_not_count_towards_the_threshold():
    company = PharmacyCompanyFactory()
    pharmacies(company, 50)
    pharmacies(company, 3, region=None)  # W00: Wales
    pharmacies(company, 2, closed_on=datetime.date(2025, 3, 31))
    pharmacies(company, 1, opened_on=DAY + datetime.timedelta(days=30))
    assert coverage_of(company).mso_expected is False
    pharmacies(company, 1)
    assert coverage_of(company).mso_expected is True


@pytest.mark.django_db
def test_the_lead_moves_the_threshold():
    company = PharmacyCompanyFactory()
    pharmacies(company, 10)
    TypeExpectation.objects.filter(kind=Organisation.Kind.PHARMACY_COMPANY).update(own_officer_threshold=9)
    assert coverage_of(company).mso_expected is True
    TypeExpectation.objects.filter(kind=Organisation.Kind.PHARMACY_COMPANY).update(own_officer_threshold=10)
    assert coverage_of(company).mso_expected is False


@pytest.mark.django_db
def test_organisations_outside_england_are_never_expected_and_never_missing():
    welsh_trust = OrganisationFactory(kind=Organisation.Kind.NHS_TRUST, region=None, generic_mailbox="")
    row = coverage_of(welsh_trust)
    assert row.in_england is False
    assert not (row.mso_expected or row.mdso_expected or row.mailbox_expected)
    assert row.coverage_status(Duty.MSO) == "outside England"
    assert welsh_trust.ods_code not in missing_codes(Duty.MSO) | missing_codes(Duty.MAILBOX)
    assert set(Organisation.objects.outside_england(DAY).values_list("ods_code", flat=True)) == {welsh_trust.ods_code}


@pytest.mark.django_db
def test_a_pharmacy_company_with_only_welsh_pharmacies_is_outside_england():
    company = PharmacyCompanyFactory()
    pharmacies(company, 60, region=None)
    assert coverage_of(company).in_england is False
    assert coverage_of(company).mso_expected is False


@pytest.mark.django_db
def test_closed_and_not_yet_open_organisations_are_not_expected():
    closed = OrganisationFactory(closed_on=datetime.date(2025, 3, 31))
    future = OrganisationFactory(opened_on=DAY + datetime.timedelta(days=1))
    assert expected_codes(Duty.MSO).isdisjoint({closed.ods_code, future.ods_code})


@pytest.mark.django_db
def test_an_override_makes_an_organisation_expected_that_its_type_is_not():
    hospice = OrganisationFactory(kind=Organisation.Kind.HOSPICE)
    ExpectationOverrideFactory(organisation=hospice, duty=Duty.MSO, expected=True)
    row = coverage_of(hospice)
    assert row.mso_expected is True
    assert row.mdso_expected is False
    assert hospice.ods_code in missing_codes(Duty.MSO)


@pytest.mark.django_db
def test_an_override_releases_an_organisation_its_type_expects():
    trust = OrganisationFactory()
    ExpectationOverrideFactory(organisation=trust, duty=Duty.MDSO, expected=False, reason="Devices are run by the ICB")
    row = coverage_of(trust)
    assert (row.mso_expected, row.mdso_expected) == (True, False)
    assert trust.ods_code not in missing_codes(Duty.MDSO)


@pytest.mark.django_db
def test_an_override_makes_a_company_under_the_threshold_name_its_own():
    company = PharmacyCompanyFactory()
    pharmacies(company, 5)
    ExpectationOverrideFactory(organisation=company, duty=Duty.MSO, expected=True, reason="Has its own MSO")
    assert coverage_of(company).mso_expected is True


@pytest.mark.django_db
def test_a_company_under_the_threshold_is_covered_by_the_rules_covering_body_while_it_has_an_mso():
    npa = CoveringBodyFactory(name="National Pharmacy Association")
    company = PharmacyCompanyFactory()
    pharmacies(company, 3)
    CoverFactory(covering=npa, organisation=None, rule=Cover.Rule.SMALL_PHARMACY_COMPANIES)

    row = coverage_of(company)
    assert (row.mso_covered, row.mso_cover_in_force) == (False, True)
    assert row.coverage_status(Duty.MSO) == "cover without an officer"
    # The covering body, which covers others, is expected and missing its MSO; the company is not.
    assert missing_codes(Duty.MSO) == {npa.ods_code}

    AppointmentFactory(organisation=npa, role=Appointment.Role.MSO)
    row = coverage_of(company)
    assert row.mso_covered is True
    assert row.coverage_status(Duty.MSO) == "covered"
    assert missing_codes(Duty.MSO) == set()


@pytest.mark.django_db
def test_the_rule_does_not_cover_a_company_above_the_threshold():
    npa = CoveringBodyFactory()
    AppointmentFactory(organisation=npa, role=Appointment.Role.MSO)
    big = PharmacyCompanyFactory()
    pharmacies(big, 51)
    CoverFactory(covering=npa, organisation=None, rule=Cover.Rule.SMALL_PHARMACY_COMPANIES)
    assert coverage_of(big).mso_covered is False
    assert big.ods_code in missing_codes(Duty.MSO)


@pytest.mark.django_db
def test_cover_of_one_organisation_counts_only_from_its_start_to_its_end_date():
    trust = OrganisationFactory()
    hospice = OrganisationFactory(kind=Organisation.Kind.HOSPICE)
    ExpectationOverrideFactory(organisation=hospice, duty=Duty.MSO, expected=True)
    AppointmentFactory(organisation=trust, role=Appointment.Role.MSO)
    CoverFactory(
        covering=trust, organisation=hospice, starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 12, 31)
    )
    assert coverage_of(hospice, datetime.date(2025, 12, 31)).mso_covered is False
    assert coverage_of(hospice, datetime.date(2026, 1, 1)).mso_covered is True
    assert coverage_of(hospice, datetime.date(2026, 12, 31)).mso_covered is True
    assert coverage_of(hospice, datetime.date(2027, 1, 1)).mso_covered is False
    assert hospice.ods_code in missing_codes(Duty.MSO, datetime.date(2027, 1, 1))


@pytest.mark.django_db
def test_a_covering_organisation_is_expected_to_have_the_officer_it_covers_with():
    npa = CoveringBodyFactory()
    assert coverage_of(npa).mdso_expected is False  # a covering body's type expects an MSO only
    CoverFactory(covering=npa, organisation=PharmacyCompanyFactory(), role="mdso")
    assert coverage_of(npa).mdso_expected is True


@pytest.mark.django_db
def test_a_pharmacy_company_whose_pharmacies_have_all_closed_is_in_england_and_not_expected():
    company = PharmacyCompanyFactory()
    pharmacies(company, 60, closed_on=datetime.date(2025, 3, 31))
    row = coverage_of(company)
    assert row.in_england is True
    assert row.coverage_status(Duty.MSO) == "not expected"


@pytest.mark.django_db
def test_a_type_with_no_expectations_row_gets_its_default_one_back():
    TypeExpectation.objects.filter(kind__in=[Organisation.Kind.NHS_TRUST, Organisation.Kind.HOSPICE]).delete()
    assert TypeExpectation.objects.create_missing() == 2
    trust = TypeExpectation.objects.get(kind=Organisation.Kind.NHS_TRUST)
    assert (trust.expects_mso, trust.expects_mdso, trust.expects_mailbox) == (True, True, True)
    assert not TypeExpectation.objects.get(kind=Organisation.Kind.HOSPICE).expects_mso
    assert TypeExpectation.objects.create_missing() == 0
