"""The national lead's settings of who must name an officer and who covers whom, through
organisations.expectations: each refusal gives its message and writes nothing; each change is kept
with the user and the reason."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance.coverage import with_coverage
from officers.models import Appointment
from organisations import expectations
from organisations.models import Cover, Duty, ExpectationOverride, Organisation, TypeExpectation
from tests.factories import (
    AppointmentFactory,
    CoverFactory,
    CoveringBodyFactory,
    ExpectationOverrideFactory,
    OrganisationFactory,
    PharmacyCompanyFactory,
    PharmacyFactory,
    RegionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Kind = Organisation.Kind
TODAY = timezone.localdate()
REASON = "Agreed at the national MSO steering group, March 2026."


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def lead(db):
    return UserFactory(email="lead@england.nhs.uk", is_national_lead=True, is_staff=True)


def snapshot() -> dict:
    """Every row and history row of the three tables the services write."""
    return {
        model.__name__: (
            sorted(model.objects.values_list(), key=repr),
            model.history.count(),
        )
        for model in (TypeExpectation, ExpectationOverride, Cover)
    }


def assert_refused(call, message: str):
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        call()
    assert message in " ".join(caught.value.messages)
    assert snapshot() == before, "a refused change wrote something"


def latest_history(model, **filters):
    return model.history.filter(**filters).order_by("-history_id").first()


def small_company(pharmacies: int = 3):
    company = PharmacyCompanyFactory()
    london = RegionFactory(code="Y56", name="London")
    PharmacyFactory.create_batch(pharmacies, parent=company, region=london)
    return company


# --- expectations by type


def test_the_lead_changes_a_types_expectations_with_the_reason_in_the_history(lead):
    changed = expectations.type_expectations_set(
        changes={Kind.GP_PRACTICE: {"expects_mso": True}}, user=lead, reason=REASON
    )
    assert changed == 1
    row = TypeExpectation.objects.get(kind=Kind.GP_PRACTICE)
    assert (row.expects_mso, row.expects_mdso, row.expects_mailbox) == (True, False, False)
    history = latest_history(TypeExpectation, kind=Kind.GP_PRACTICE)
    assert (history.history_user, history.history_change_reason, history.expects_mso) == (lead, REASON, True)
    practice = OrganisationFactory(kind=Kind.GP_PRACTICE)
    assert Organisation.objects.expected(Duty.MSO).filter(pk=practice.pk).exists()


def test_the_lead_moves_the_pharmacy_company_threshold(lead):
    company = small_company(pharmacies=10)
    assert not Organisation.objects.expected(Duty.MSO).filter(pk=company.pk).exists()
    expectations.type_expectations_set(
        changes={Kind.PHARMACY_COMPANY: {"own_officer_threshold": 9}}, user=lead, reason=REASON
    )
    assert TypeExpectation.objects.get(kind=Kind.PHARMACY_COMPANY).own_officer_threshold == 9
    assert Organisation.objects.expected(Duty.MSO).filter(pk=company.pk).exists()


def test_only_the_first_100_characters_of_a_long_reason_are_kept_in_the_history(lead):
    reason = "Because " + "the steering group agreed it " * 10
    expectations.type_expectations_set(changes={Kind.HOSPICE: {"expects_mso": True}}, user=lead, reason=reason)
    history = latest_history(TypeExpectation, kind=Kind.HOSPICE)
    assert history.history_change_reason == " ".join(reason.split())[:100]


def test_setting_the_same_expectations_again_changes_nothing(lead):
    before = snapshot()
    changed = expectations.type_expectations_set(
        changes={Kind.NHS_TRUST: {"expects_mso": True, "expects_mdso": True}}, user=lead, reason=REASON
    )
    assert changed == 0
    assert snapshot() == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({Kind.PHARMACY_COMPANY: {"own_officer_threshold": -1}}, "cannot be below 0"),
        ({Kind.PHARMACY_COMPANY: {"own_officer_threshold": 2.5}}, "must be a whole number"),
        ({Kind.PHARMACY_COMPANY: {"own_officer_threshold": "50"}}, "must be a whole number"),
        ({Kind.PHARMACY_COMPANY: {"own_officer_threshold": True}}, "must be a whole number"),
        ({Kind.PHARMACY_COMPANY: {"own_officer_threshold": None}}, "must be a whole number"),
        ({Kind.PHARMACY_COMPANY: {"own_officer_threshold": 10**9}}, "pharmacies or fewer"),
        ({Kind.NHS_TRUST: {"own_officer_threshold": 10}}, "only community pharmacy companies have a threshold"),
        ({Kind.COVERING_BODY: {"own_officer_threshold": 0}}, "only community pharmacy companies have a threshold"),
        ({Kind.PHARMACY: {"expects_mso": True}}, "A community pharmacy never names its own officers"),
        ({Kind.PHARMACY: {"expects_mailbox": True}}, "A community pharmacy never names its own officers"),
        ({Kind.NHS_TRUST: {"expects_mso": "yes"}}, "say yes or no"),
        ({Kind.NHS_TRUST: {"kind": "icb"}}, "only the expectations and the threshold can be set"),
        ({"ambulance": {"expects_mso": True}}, "There is no type of organisation called 'ambulance'"),
        # One bad change refuses the whole of it: the good one is not saved either.
        (
            {Kind.GP_PRACTICE: {"expects_mso": True}, Kind.PHARMACY_COMPANY: {"own_officer_threshold": -5}},
            "cannot be below 0",
        ),
    ],
)
def test_a_bad_type_expectation_is_refused_with_its_message_and_writes_nothing(lead, changes, message):
    assert_refused(lambda: expectations.type_expectations_set(changes=changes, user=lead, reason=REASON), message)


@pytest.mark.parametrize("reason", ["", "   ", "\x00", "x" * 501])
def test_a_type_expectation_needs_a_reason_that_can_be_kept(lead, reason):
    message = {
        "": "Give the reason",
        "   ": "Give the reason",
        "\x00": "NUL",
        "x" * 501: "500 characters or fewer",
    }[reason]
    assert_refused(
        lambda: expectations.type_expectations_set(
            changes={Kind.GP_PRACTICE: {"expects_mso": True}}, user=lead, reason=reason
        ),
        message,
    )


def test_the_models_own_constraints_give_their_messages_through_the_service(lead, monkeypatch):
    """full_clean runs before the save: a rule missed by the service's check is still the model's."""
    monkeypatch.setattr(expectations, "type_expectation_check", lambda **kwargs: None)
    assert_refused(
        lambda: expectations.type_expectations_set(
            changes={Kind.PHARMACY: {"expects_mso": True}}, user=lead, reason=REASON
        ),
        "A community pharmacy never names its own officers: its company does.",
    )


# --- exceptions for one organisation


def test_an_exception_makes_a_hospice_expected_with_the_reason_kept(lead):
    hospice = OrganisationFactory(kind=Kind.HOSPICE)
    override = expectations.expectation_override_set(
        organisation=hospice, duty=Duty.MSO, expected=True, reason=REASON, user=lead
    )
    assert (override.expected, override.reason) == (True, REASON)
    history = latest_history(ExpectationOverride, organisation=hospice)
    assert (history.history_type, history.history_user, history.history_change_reason) == ("+", lead, REASON)
    assert Organisation.objects.expected(Duty.MSO).filter(pk=hospice.pk).exists()


def test_an_exception_is_changed_and_then_removed_back_to_the_types_rule(lead):
    trust = OrganisationFactory()
    ExpectationOverrideFactory(organisation=trust, duty=Duty.MDSO, expected=True)
    override = expectations.expectation_override_set(
        organisation=trust, duty=Duty.MDSO, expected=False, reason="Devices are run by the ICB.", user=lead
    )
    assert (override.expected, override.reason) == (False, "Devices are run by the ICB.")
    assert not Organisation.objects.expected(Duty.MDSO).filter(pk=trust.pk).exists()

    removed = expectations.expectation_override_set(
        organisation=trust, duty=Duty.MDSO, expected=None, reason="The trust runs its own devices again.", user=lead
    )
    assert removed is None
    assert not ExpectationOverride.objects.filter(organisation=trust).exists()
    history = latest_history(ExpectationOverride, organisation=trust)
    assert (history.history_type, history.history_user) == ("-", lead)
    assert history.history_change_reason == "The trust runs its own devices again."
    assert Organisation.objects.expected(Duty.MDSO).filter(pk=trust.pk).exists()


def test_removing_an_exception_that_does_not_exist_writes_nothing(lead):
    trust = OrganisationFactory()
    before = snapshot()
    assert (
        expectations.expectation_override_set(
            organisation=trust, duty=Duty.MSO, expected=None, reason=REASON, user=lead
        )
        is None
    )
    assert snapshot() == before


def test_an_organisation_outside_england_may_be_made_not_expected(lead):
    welsh = OrganisationFactory(region=None)
    override = expectations.expectation_override_set(
        organisation=welsh, duty=Duty.MSO, expected=False, reason=REASON, user=lead
    )
    assert override.expected is False


@pytest.mark.parametrize("expected", [True, False])
def test_a_community_pharmacy_has_no_exception(lead, expected):
    pharmacy = PharmacyFactory(parent=PharmacyCompanyFactory())
    assert_refused(
        lambda: expectations.expectation_override_set(
            organisation=pharmacy, duty=Duty.MSO, expected=expected, reason=REASON, user=lead
        ),
        "A community pharmacy never names its own officers: its company answers for it.",
    )


def test_an_organisation_outside_england_cannot_be_made_expected(lead):
    welsh = OrganisationFactory(name="Betsi Cadwaladr University Health Board", region=None)
    assert_refused(
        lambda: expectations.expectation_override_set(
            organisation=welsh, duty=Duty.MSO, expected=True, reason=REASON, user=lead
        ),
        "Betsi Cadwaladr University Health Board is outside England",
    )


def test_a_pharmacy_company_with_only_welsh_pharmacies_cannot_be_made_expected(lead):
    company = PharmacyCompanyFactory()
    PharmacyFactory.create_batch(2, parent=company, region=None)
    assert_refused(
        lambda: expectations.expectation_override_set(
            organisation=company, duty=Duty.MSO, expected=True, reason=REASON, user=lead
        ),
        "is outside England",
    )


@pytest.mark.parametrize(("duty", "reason", "message"), [("mso", "", "Give the reason"), ("ceo", REASON, "Choose a")])
def test_an_exception_needs_a_duty_and_a_reason(lead, duty, reason, message):
    hospice = OrganisationFactory(kind=Kind.HOSPICE)
    assert_refused(
        lambda: expectations.expectation_override_set(
            organisation=hospice, duty=duty, expected=True, reason=reason, user=lead
        ),
        message,
    )


# --- covering arrangements


def add(lead, **kwargs):
    kwargs.setdefault("role", "mso")
    kwargs.setdefault("starts_on", days(-30))
    kwargs.setdefault("reason", REASON)
    return expectations.cover_add(user=lead, **kwargs)


def test_the_lead_adds_a_cover_of_one_organisation_with_the_reason_kept(lead):
    trust = OrganisationFactory()
    hospice = OrganisationFactory(kind=Kind.HOSPICE)
    ExpectationOverrideFactory(organisation=hospice, duty=Duty.MSO, expected=True)
    AppointmentFactory(organisation=trust, role=Appointment.Role.MSO)
    cover = add(lead, covering=trust, organisation=hospice, ends_on=days(300))
    assert (cover.covering, cover.organisation, cover.rule, cover.reason) == (trust, hospice, "", REASON)
    history = latest_history(Cover, id=cover.pk)
    assert (history.history_type, history.history_user, history.history_change_reason) == ("+", lead, REASON)
    row = with_coverage(Organisation.objects.all()).get(pk=hospice.pk)
    assert row.coverage_status(Duty.MSO) == "covered"


def test_the_lead_adds_the_rule_for_small_pharmacy_companies(lead):
    npa = CoveringBodyFactory(name="National Pharmacy Association")
    company = small_company()
    cover = add(lead, covering=npa, rule=Cover.Rule.SMALL_PHARMACY_COMPANIES)
    assert (cover.organisation, cover.rule, cover.ends_on) == (None, Cover.Rule.SMALL_PHARMACY_COMPANIES, None)
    row = with_coverage(Organisation.objects.all()).get(pk=company.pk)
    assert row.coverage_status(Duty.MSO) == "cover without an officer"


def test_covers_of_the_same_organisation_may_follow_one_another_or_be_for_the_other_role(lead):
    hospice = OrganisationFactory(kind=Kind.HOSPICE)
    first, second = OrganisationFactory(), OrganisationFactory()
    add(lead, covering=first, organisation=hospice, starts_on=days(-100), ends_on=days(-1))
    add(lead, covering=second, organisation=hospice, starts_on=TODAY)
    add(lead, covering=first, organisation=hospice, role="mdso", starts_on=days(-100))
    assert Cover.objects.filter(organisation=hospice).count() == 3


def test_an_organisation_covered_only_before_may_cover_others_now(lead):
    trust, other, hospice = OrganisationFactory(), OrganisationFactory(), OrganisationFactory(kind=Kind.HOSPICE)
    CoverFactory(covering=other, organisation=trust, starts_on=days(-200), ends_on=days(-100))
    assert add(lead, covering=trust, organisation=hospice, starts_on=days(-99)).pk


def test_the_rule_may_cover_in_a_period_when_a_small_company_no_longer_covers_others(lead):
    company = small_company()
    CoverFactory(covering=company, organisation=OrganisationFactory(kind=Kind.HOSPICE), ends_on=days(-10))
    assert add(lead, covering=CoveringBodyFactory(), rule=Cover.Rule.SMALL_PHARMACY_COMPANIES, starts_on=days(-9))


def _cover_refusals():
    """(name, make the scene and return cover_add's arguments, the message)."""

    def neither(lead):
        return {"covering": OrganisationFactory(), "organisation": None, "rule": ""}

    def both(lead):
        return {
            "covering": CoveringBodyFactory(),
            "organisation": small_company(),
            "rule": Cover.Rule.SMALL_PHARMACY_COMPANIES,
        }

    def itself(lead):
        trust = OrganisationFactory()
        return {"covering": trust, "organisation": trust}

    def ends_before_start(lead):
        return {
            "covering": OrganisationFactory(),
            "organisation": OrganisationFactory(kind=Kind.HOSPICE),
            "starts_on": days(10),
            "ends_on": days(9),
        }

    def covering_pharmacy(lead):
        return {"covering": PharmacyFactory(name="Corner Pharmacy"), "organisation": OrganisationFactory()}

    def covered_pharmacy(lead):
        return {"covering": CoveringBodyFactory(), "organisation": PharmacyFactory(name="Corner Pharmacy")}

    def covering_is_covered(lead):
        trust = OrganisationFactory(name="Covered Trust")
        CoverFactory(covering=OrganisationFactory(), organisation=trust, starts_on=days(-10), ends_on=days(10))
        return {
            "covering": trust,
            "organisation": OrganisationFactory(kind=Kind.HOSPICE),
            "starts_on": days(5),
        }

    def covering_is_covered_by_the_rule(lead):
        company = small_company()
        CoverFactory(covering=CoveringBodyFactory(), organisation=None, rule=Cover.Rule.SMALL_PHARMACY_COMPANIES)
        return {"covering": company, "organisation": OrganisationFactory(kind=Kind.HOSPICE)}

    def small_company_gives_the_rule(lead):
        return {"covering": small_company(), "rule": Cover.Rule.SMALL_PHARMACY_COMPANIES}

    def covered_covers_others(lead):
        trust = OrganisationFactory(name="Covering Trust")
        CoverFactory(covering=trust, organisation=OrganisationFactory(kind=Kind.HOSPICE), ends_on=None)
        return {"covering": OrganisationFactory(), "organisation": trust}

    def rule_covers_a_company_that_covers_others(lead):
        company = small_company()
        CoverFactory(covering=company, organisation=OrganisationFactory(kind=Kind.HOSPICE))
        return {"covering": CoveringBodyFactory(), "rule": Cover.Rule.SMALL_PHARMACY_COMPANIES}

    def second_cover_of_an_organisation(lead):
        hospice = OrganisationFactory(kind=Kind.HOSPICE, name="St Luke's Hospice")
        CoverFactory(covering=OrganisationFactory(), organisation=hospice, starts_on=days(-30), ends_on=days(30))
        return {"covering": OrganisationFactory(), "organisation": hospice, "starts_on": days(30)}

    def second_cover_of_the_rule(lead):
        CoverFactory(covering=CoveringBodyFactory(), organisation=None, rule=Cover.Rule.SMALL_PHARMACY_COMPANIES)
        return {"covering": CoveringBodyFactory(), "rule": Cover.Rule.SMALL_PHARMACY_COMPANIES, "starts_on": days(400)}

    def rule_by_a_closed_organisation(lead):
        return {
            "covering": CoveringBodyFactory(name="Old Buying Group", closed_on=days(-1)),
            "rule": Cover.Rule.SMALL_PHARMACY_COMPANIES,
        }

    def no_reason(lead):
        return {"covering": OrganisationFactory(), "organisation": OrganisationFactory(), "reason": " "}

    def bad_role(lead):
        return {"covering": OrganisationFactory(), "organisation": OrganisationFactory(), "role": "deputy_mso"}

    return [
        ("neither", neither, "Choose either one covered organisation or a rule, not both."),
        ("both", both, "Choose either one covered organisation or a rule, not both."),
        ("itself", itself, "An organisation cannot cover itself."),
        ("ends_before_start", ends_before_start, "The cover cannot end before it starts."),
        ("covering_pharmacy", covering_pharmacy, "Corner Pharmacy is a community pharmacy, which cannot cover others"),
        ("covered_pharmacy", covered_pharmacy, "Corner Pharmacy is a community pharmacy, which is not covered"),
        ("covering_is_covered", covering_is_covered, "Covered Trust is itself covered for its MSO"),
        ("covering_is_covered_by_the_rule", covering_is_covered_by_the_rule, "the rule for small pharmacy companies"),
        ("small_company_gives_the_rule", small_company_gives_the_rule, "an organisation that is covered cannot"),
        ("covered_covers_others", covered_covers_others, "Covering Trust covers others for their MSO"),
        ("rule_covers_a_company_that_covers_others", rule_covers_a_company_that_covers_others, "the rule would cover"),
        ("second_cover_of_an_organisation", second_cover_of_an_organisation, "St Luke's Hospice already has cover"),
        ("second_cover_of_the_rule", second_cover_of_the_rule, "The rule for small pharmacy companies already has"),
        ("rule_by_a_closed_organisation", rule_by_a_closed_organisation, "Old Buying Group is closed"),
        ("no_reason", no_reason, "Give the reason"),
        ("bad_role", bad_role, "Choose whether the cover is for the MSO or the MDSO."),
    ]


COVER_REFUSALS = _cover_refusals()


@pytest.mark.parametrize(("name", "scene", "message"), COVER_REFUSALS, ids=[case[0] for case in COVER_REFUSALS])
def test_a_cover_that_breaks_a_rule_is_refused_with_its_message_and_writes_nothing(lead, name, scene, message):
    arguments = scene(lead)
    assert_refused(lambda: add(lead, **arguments), message)


def test_the_lead_ends_a_cover_with_the_reason_on_the_row_and_in_the_history(lead):
    cover = CoverFactory(reason="The NPA agreed to cover small companies.")
    ended = expectations.cover_end(cover_id=cover.pk, ends_on=days(-1), user=lead, reason="The agreement ended.")
    assert (ended.ends_on, ended.reason) == (days(-1), "The agreement ended.")
    history = latest_history(Cover, id=cover.pk)
    assert (history.history_type, history.history_user, history.history_change_reason) == (
        "~",
        lead,
        "The agreement ended.",
    )
    # The reason it was set up with stays in its first version.
    assert (
        Cover.history.filter(id=cover.pk, history_type="+").get().reason == "The NPA agreed to cover small companies."
    )
    assert not Cover.objects.in_force().filter(pk=cover.pk).exists()


def test_an_ended_cover_may_be_ended_earlier(lead):
    cover = CoverFactory(starts_on=days(-100), ends_on=days(100))
    assert expectations.cover_end(cover_id=cover.pk, ends_on=days(50), user=lead, reason=REASON).ends_on == days(50)


@pytest.mark.parametrize(
    ("ends_on", "reason", "message"),
    [
        (datetime.date(2023, 12, 31), REASON, "The cover cannot end before it starts, on 1 January 2024."),
        (days(200), REASON, "This cover already ends on"),
        (None, REASON, "Enter the date the cover ends."),
        (days(10), "", "Give the reason"),
    ],
)
def test_a_bad_end_of_cover_is_refused_with_its_message_and_writes_nothing(lead, ends_on, reason, message):
    cover = CoverFactory(starts_on=datetime.date(2024, 1, 1), ends_on=days(100))
    assert_refused(
        lambda: expectations.cover_end(cover_id=cover.pk, ends_on=ends_on, user=lead, reason=reason), message
    )


def test_ending_a_cover_that_no_longer_exists_is_refused(lead):
    assert_refused(
        lambda: expectations.cover_end(cover_id=987654, ends_on=TODAY, user=lead, reason=REASON),
        "This covering arrangement no longer exists.",
    )


def test_what_an_organisations_type_expects_counts_a_pharmacy_companys_english_pharmacies():
    company = small_company(pharmacies=3)
    assert expectations.type_expects(company) == {"mso": False, "mdso": False, "mailbox": False}
    TypeExpectation.objects.filter(kind=Kind.PHARMACY_COMPANY).update(own_officer_threshold=2)
    assert expectations.type_expects(company) == {"mso": True, "mdso": True, "mailbox": True}
    assert expectations.type_expects(OrganisationFactory(kind=Kind.HOSPICE)) == {
        "mso": False,
        "mdso": False,
        "mailbox": False,
    }
