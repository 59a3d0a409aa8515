"""The national lead's pages for who must name an officer: the expectations by type, the covering
arrangements and one organisation's exceptions, end to end; 404 for everyone else; the admin goes
through the same rules."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.coverage import with_coverage
from officers.models import Appointment
from organisations.models import Cover, Duty, ExpectationOverride, Organisation, TypeExpectation
from tests.factories import (
    AppointmentFactory,
    CoverFactory,
    CoveringBodyFactory,
    ExpectationOverrideFactory,
    OrganisationFactory,
    PharmacyCompanyFactory,
    PharmacyFactory,
)
from tests.organisations.test_expectations import snapshot

Kind = Organisation.Kind
TODAY = timezone.localdate()
REASON = "Agreed at the national MSO steering group."
RULES_QUERIES = 9


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def date_data(prefix: str, day: datetime.date) -> dict:
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def rules_data(**overrides) -> dict:
    """The rules page's form as it stands (every type's boxes and the threshold), with changes."""
    data = {}
    for row in TypeExpectation.objects.exclude(kind=Kind.PHARMACY):
        for name in ("expects_mso", "expects_mdso", "expects_mailbox"):
            if getattr(row, name):
                data[f"{row.kind}-{name}"] = "on"
        if row.kind == Kind.PHARMACY_COMPANY:
            data[f"{row.kind}-own_officer_threshold"] = str(row.own_officer_threshold)
    data["reason"] = REASON
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


@pytest.fixture
def lead_client(client, world):
    client.force_login(world.lead)
    return client


RULES_URL = reverse("organisations:coverage-rules")
ADD_URL = reverse("organisations:cover-add")


# --- who may use the pages


def _page_urls(world):
    cover = CoverFactory()
    return [
        ("get", RULES_URL),
        ("post", RULES_URL),
        ("get", ADD_URL),
        ("post", ADD_URL),
        ("post", reverse("organisations:cover-end", args=[cover.pk])),
        ("get", reverse("compliance:expectations", args=[world.org_a.ods_code])),
        ("post", reverse("compliance:expectations", args=[world.org_a.ods_code])),
    ]


@pytest.mark.parametrize("who", ["mso", "other_mso", "chair_a", "chair_b", "no_role"])
def test_everyone_but_the_lead_gets_not_found_and_writes_nothing(client, world, who):
    client.force_login(getattr(world, who))
    urls = _page_urls(world)
    before = snapshot()
    for method, url in urls:
        data = rules_data(**{"gp_practice-expects_mso": "on"}) if url == RULES_URL else {"duty": "mso"}
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 404, (method, url)
    assert snapshot() == before


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for _method, url in _page_urls(world):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_ending_a_cover_is_a_post(lead_client):
    cover = CoverFactory()
    assert lead_client.get(reverse("organisations:cover-end", args=[cover.pk])).status_code == 405


# --- the rules page: expectations by type


def test_the_rules_page_shows_each_types_expectations_the_threshold_and_the_covers(lead_client):
    npa = CoveringBodyFactory(name="National Pharmacy Association")
    CoverFactory(covering=npa, organisation=None, rule=Cover.Rule.SMALL_PHARMACY_COMPANIES, reason="The NPA agreed.")
    CoverFactory(
        covering=OrganisationFactory(name="Old Trust"),
        organisation=OrganisationFactory(kind=Kind.HOSPICE, name="Hilltop Hospice"),
        starts_on=days(-300),
        ends_on=days(-10),
        reason="Hilltop named its own MSO.",
    )
    response = lead_client.get(RULES_URL)
    assert response.status_code == 200
    page = text(response)
    assert "<h1>Who must name an officer</h1>" in page
    for kind in Kind:
        assert kind.label in page
    assert 'name="pharmacy_company-own_officer_threshold"' in page and 'value="50"' in page
    assert 'name="nhs_trust-expects_mso" id="id_nhs_trust-expects_mso" checked' in page or re.search(
        r'<input[^>]*name="nhs_trust-expects_mso"[^>]*checked', page
    )
    assert not re.search(r'<input[^>]*name="hospice-expects_mso"[^>]*checked', page)
    assert 'name="pharmacy-expects_mso"' not in page
    assert "Never: its company answers for it" in page
    # The covers in force, with a form to end each, and the ended ones.
    assert "National Pharmacy Association's MSO covers every community pharmacy company at or under" in page
    assert "The NPA agreed." in page
    assert "End this cover" in page
    assert "Hilltop Hospice" in page and "Hilltop named its own MSO." in page
    assert reverse("organisations:cover-add") in page
    assert reverse("admin:organisations_organisation_add") + "?kind=covering_body" in page
    # The migration's defaults are the first history.
    assert "The 2014 patient safety alerts" in page


def test_the_lead_changes_the_expectations_and_the_threshold_with_a_reason(lead_client, world):
    data = rules_data(**{"gp_practice-expects_mso": "on", "pharmacy_company-own_officer_threshold": "40"})
    response = lead_client.post(RULES_URL, data, follow=True)
    assert response.redirect_chain[-1][0] == RULES_URL
    assert "Saved: the expectations of 2 types changed." in text(response)
    assert TypeExpectation.objects.get(kind=Kind.GP_PRACTICE).expects_mso is True
    assert TypeExpectation.objects.get(kind=Kind.PHARMACY_COMPANY).own_officer_threshold == 40
    history = TypeExpectation.history.filter(kind=Kind.GP_PRACTICE).latest("history_id")
    assert (history.history_user, history.history_change_reason) == (world.lead, REASON)
    # The change shows in the page's history, with who made it.
    page = text(response)
    assert world.lead.get_full_name() in page and REASON in page


def test_unticking_a_box_changes_that_expectation_only(lead_client):
    lead_client.post(RULES_URL, rules_data(**{"icb-expects_mdso": None}))
    icb = TypeExpectation.objects.get(kind=Kind.ICB)
    assert (icb.expects_mso, icb.expects_mdso, icb.expects_mailbox) == (True, False, True)
    assert TypeExpectation.objects.get(kind=Kind.NHS_TRUST).expects_mdso is True


def test_saving_the_expectations_unchanged_says_nothing_changed(lead_client):
    before = snapshot()
    response = lead_client.post(RULES_URL, rules_data(), follow=True)
    assert "Nothing changed." in text(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pharmacy_company-own_officer_threshold": "-1"}, "The threshold of pharmacies cannot be below 0"),
        ({"pharmacy_company-own_officer_threshold": "2.5"}, "Enter the threshold as a whole number of pharmacies"),
        ({"pharmacy_company-own_officer_threshold": "fifty"}, "Enter the threshold as a whole number of pharmacies"),
        ({"pharmacy_company-own_officer_threshold": None}, "Enter the threshold of pharmacies"),
        ({"pharmacy_company-own_officer_threshold": "99999999999"}, "pharmacies or fewer"),
        ({"reason": ""}, "Give the reason for the change"),
        ({"reason": "x" * 501}, "The reason must be 500 characters or fewer"),
    ],
)
def test_a_bad_change_to_the_expectations_shows_its_message_and_writes_nothing(lead_client, changes, message):
    before = snapshot()
    response = lead_client.post(RULES_URL, rules_data(**{"gp_practice-expects_mso": "on", **changes}))
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page and message in page
    assert page.startswith("<!DOCTYPE html>") and "<title>Error: " in page
    assert snapshot() == before


def test_a_posted_expectation_for_a_community_pharmacy_is_ignored(lead_client):
    lead_client.post(RULES_URL, rules_data(**{"pharmacy-expects_mso": "on", "gp_practice-expects_mso": "on"}))
    assert TypeExpectation.objects.get(kind=Kind.PHARMACY).expects_mso is False
    assert TypeExpectation.objects.get(kind=Kind.GP_PRACTICE).expects_mso is True


def test_the_rules_page_makes_the_same_number_of_queries_however_many_covers_and_changes(
    lead_client, django_assert_max_num_queries
):
    def more(n):
        for i in range(n):
            CoverFactory(covering=OrganisationFactory(), organisation=OrganisationFactory(kind=Kind.HOSPICE))
            CoverFactory(
                covering=OrganisationFactory(),
                organisation=OrganisationFactory(kind=Kind.HOSPICE),
                starts_on=days(-100),
                ends_on=days(-1),
            )
            TypeExpectation.objects.get(kind=Kind.HOSPICE).save()

    more(1)
    with django_assert_max_num_queries(RULES_QUERIES):
        assert lead_client.get(RULES_URL).status_code == 200
    more(15)
    with django_assert_max_num_queries(RULES_QUERIES):
        response = lead_client.get(RULES_URL)
    assert text(response).count("End this cover</span></summary>") == 16


# --- covering arrangements


def cover_data(**overrides) -> dict:
    data = {
        "covering": "",
        "covers": "organisation",
        "organisation": "",
        "role": "mso",
        **date_data("starts_on", days(-7)),
        "reason": "The trust's MSO covers the hospice under a service agreement.",
    }
    data.update(overrides)
    return data


def test_the_lead_adds_a_cover_of_one_organisation(lead_client, world):
    hospice = OrganisationFactory(kind=Kind.HOSPICE, ods_code="HOS01", name="Hilltop Hospice")
    data = cover_data(covering=" ral ", organisation="hos01", **date_data("ends_on", days(300)))
    response = lead_client.post(ADD_URL, data, follow=True)
    assert response.redirect_chain[-1][0] == RULES_URL
    cover = Cover.objects.get()
    assert (cover.covering, cover.organisation, cover.role) == (world.org_a, hospice, "mso")
    assert (cover.starts_on, cover.ends_on) == (days(-7), days(300))
    assert cover.reason == "The trust's MSO covers the hospice under a service agreement."
    history = cover.history.get()
    assert history.history_user == world.lead
    page = text(response)
    assert "Added: Royal Free London NHS Foundation Trust&#x27;s MSO covers Hilltop Hospice" in page


def test_the_lead_adds_the_rule_for_small_pharmacy_companies(lead_client):
    npa = CoveringBodyFactory(ods_code="NPA01", name="National Pharmacy Association")
    response = lead_client.post(ADD_URL, cover_data(covering="NPA01", covers="rule", organisation="IGNORED"))
    assert response.status_code == 302
    cover = Cover.objects.get()
    assert (cover.covering, cover.organisation, cover.rule, cover.ends_on) == (
        npa,
        None,
        Cover.Rule.SMALL_PHARMACY_COMPANIES,
        None,
    )


def test_the_add_cover_page_shows_its_form(lead_client):
    response = lead_client.get(ADD_URL)
    assert response.status_code == 200
    page = text(response)
    for name in ("covering", "covers", "organisation", "role", "starts_on_day", "ends_on_year", "reason"):
        assert f'name="{name}"' in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"covering": ""}, "Enter the ODS code of the covering organisation"),
        ({"covering": "ZZZ99", "organisation": "R0A"}, "No organisation has the ODS code ZZZ99"),
        ({"covering": "RAL", "organisation": ""}, "Enter the ODS code of the covered organisation"),
        ({"covering": "RAL", "organisation": "RAL"}, "An organisation cannot cover itself."),
        ({"covering": "RAL", "organisation": "R0A", "role": "deputy_mso"}, "Select a valid choice"),
        ({"covering": "RAL", "organisation": "R0A", "starts_on_day": ""}, "The date the cover starts must include"),
        (
            {"covering": "RAL", "organisation": "R0A", **date_data("ends_on", days(-8))},
            "The cover cannot end before it starts.",
        ),
        ({"covering": "RAL", "organisation": "R0A", **date_data("starts_on", days(-20000))}, "must be after"),
        ({"covering": "RAL", "organisation": "R0A", "reason": ""}, "Give the reason for the change"),
        ({"covering": "RAL", "organisation": "R0A", "covers": ""}, "Choose whether it covers one organisation"),
        ({"covering": "RAL", "covers": "rule", "role": "mdso", "organisation": ""}, None),
    ],
)
def test_a_bad_cover_shows_its_message_and_writes_nothing(lead_client, changes, message):
    closed_body = CoveringBodyFactory(ods_code="OLD01", closed_on=days(-1))
    if message is None:  # the rule from a closed organisation
        changes = {**changes, "covering": closed_body.ods_code}
        message = "only an open organisation can cover every small pharmacy company"
    before = snapshot()
    response = lead_client.post(ADD_URL, cover_data(**changes))
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page and message in page
    assert snapshot() == before


def test_a_chain_of_cover_is_refused_on_the_page(lead_client, world):
    CoverFactory(covering=world.org_b, organisation=world.org_a)
    before = snapshot()
    response = lead_client.post(ADD_URL, cover_data(covering="RAL", organisation=OrganisationFactory().ods_code))
    assert "is itself covered for its MSO by Manchester University NHS Foundation Trust" in text(response)
    assert snapshot() == before


def test_the_lead_ends_a_cover(lead_client, world):
    cover = CoverFactory(reason="The NPA agreed.")
    data = {**date_data(f"end-{cover.pk}-ends_on", days(-1)), f"end-{cover.pk}-reason": "The agreement ended."}
    response = lead_client.post(reverse("organisations:cover-end", args=[cover.pk]), data, follow=True)
    assert response.redirect_chain[-1][0] == RULES_URL
    cover.refresh_from_db()
    assert (cover.ends_on, cover.reason) == (days(-1), "The agreement ended.")
    history = cover.history.latest("history_id")
    assert (history.history_user, history.history_change_reason) == (world.lead, "The agreement ended.")
    assert "Ended:" in text(response)


@pytest.mark.parametrize(
    ("ends_on", "reason", "message"),
    [
        (datetime.date(2023, 6, 1), "Ended.", "The cover cannot end before it starts, on 1 January 2024."),
        (None, "Ended.", "Enter the date the cover ends"),
        (TODAY, "", "Give the reason for the change"),
    ],
)
def test_a_bad_end_of_cover_shows_its_message_on_the_rules_page_and_writes_nothing(
    lead_client, ends_on, reason, message
):
    cover = CoverFactory(starts_on=datetime.date(2024, 1, 1))
    data = {f"end-{cover.pk}-reason": reason}
    if ends_on:
        data.update(date_data(f"end-{cover.pk}-ends_on", ends_on))
    before = snapshot()
    response = lead_client.post(reverse("organisations:cover-end", args=[cover.pk]), data)
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page and message in page
    assert '<details class="nhsuk-details nhsuk-u-margin-bottom-0" open>' in page
    assert snapshot() == before


def test_ending_a_cover_that_does_not_exist_is_not_found(lead_client):
    assert lead_client.post(reverse("organisations:cover-end", args=[987654]), {}).status_code == 404


# --- one organisation's exceptions


def expectations_url(organisation) -> str:
    return reverse("compliance:expectations", args=[organisation.ods_code])


def test_the_organisation_page_shows_each_duty_its_status_and_its_types_rule(lead_client, world):
    hospice = OrganisationFactory(kind=Kind.HOSPICE, name="Hilltop Hospice", generic_mailbox="")
    ExpectationOverrideFactory(organisation=hospice, duty=Duty.MSO, expected=True, reason="It chose to name one.")
    response = lead_client.get(expectations_url(hospice))
    assert response.status_code == 200
    page = text(response)
    assert "Hilltop Hospice" in page and "Who must name an officer" in page
    assert "Missing" in page  # its MSO: expected by the exception, none named
    assert "Not expected" in page  # its MDSO and mailbox, as its type says
    assert "As its type (not expected)" in page
    assert "An exception is in force: expected. Reason: It chose to name one." in page
    assert re.search(r'<input[^>]*name="mso-choice"[^>]*value="expected"[^>]*checked', page)
    assert re.search(r'<input[^>]*name="mdso-choice"[^>]*value="type"[^>]*checked', page)


def test_the_save_buttons_name_each_duty_with_its_acronyms_in_capitals(lead_client, world):
    """Screen readers hear "Save the named MSO", not "the named mso"."""
    page = text(lead_client.get(expectations_url(world.org_a)))
    hidden = re.findall(r'Save<span class="nhsuk-u-visually-hidden"> the ([^<]*)</span>', page)
    assert hidden and all(label == label[0].lower() + label[1:] for label in hidden)
    assert any("MSO" in label for label in hidden)
    assert not any("mso" in label for label in hidden)


def test_the_organisation_page_shows_a_named_officer_and_the_covers(lead_client, world):
    hospice = OrganisationFactory(kind=Kind.HOSPICE, name="Hilltop Hospice")
    CoverFactory(covering=world.org_a, organisation=hospice, reason="Service agreement.")
    page = text(lead_client.get(expectations_url(world.org_a)))
    assert "Named" in page and "As its type (expected)" in page
    assert "Royal Free London NHS Foundation Trust&#x27;s MSO covers Hilltop Hospice" in page


def test_the_lead_makes_an_exception_and_removes_it(lead_client, world):
    trust = world.org_a
    data = {"duty": "mdso", "mdso-choice": "not_expected", "mdso-reason": "Devices are run by the ICB."}
    response = lead_client.post(expectations_url(trust), data, follow=True)
    assert response.redirect_chain[-1][0] == expectations_url(trust)
    assert "Saved: Royal Free London NHS Foundation Trust&#x27;s named MDSO is not expected." in text(response)
    override = ExpectationOverride.objects.get(organisation=trust)
    assert (override.duty, override.expected, override.reason) == ("mdso", False, "Devices are run by the ICB.")
    assert override.history.get().history_user == world.lead
    row = with_coverage(Organisation.objects.all()).get(pk=trust.pk)
    assert row.coverage_status(Duty.MDSO) == "not expected"

    data = {"duty": "mdso", "mdso-choice": "type", "mdso-reason": "The trust runs its own devices again."}
    response = lead_client.post(expectations_url(trust), data, follow=True)
    assert "is as its type says" in text(response)
    assert not ExpectationOverride.objects.filter(organisation=trust).exists()


@pytest.mark.parametrize(
    ("organisation", "data", "message"),
    [
        ("pharmacy", {"mso-choice": "expected"}, "A community pharmacy never names its own officers"),
        ("welsh", {"mso-choice": "expected"}, "is outside England"),
        ("trust", {"mso-choice": "expected", "mso-reason": ""}, "Give the reason for the change"),
        ("trust", {"mso-choice": "maybe"}, "Select a valid choice"),
        ("trust", {"mso-choice": ""}, "Choose what is expected"),
    ],
)
def test_a_bad_exception_shows_its_message_and_writes_nothing(lead_client, world, organisation, data, message):
    target = {
        "pharmacy": lambda: PharmacyFactory(parent=PharmacyCompanyFactory()),
        "welsh": lambda: OrganisationFactory(region=None),
        "trust": lambda: world.org_a,
    }[organisation]()
    post = {"duty": "mso", "mso-reason": "Because.", **data}
    before = snapshot()
    response = lead_client.post(expectations_url(target), post)
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page and message in page
    assert snapshot() == before


def test_a_community_pharmacys_page_says_its_company_answers_for_it(lead_client):
    company = PharmacyCompanyFactory(name="Highstreet Pharmacies Ltd")
    pharmacy = PharmacyFactory(parent=company)
    page = text(lead_client.get(expectations_url(pharmacy)))
    assert "A community pharmacy never names its own officers: its company answers for it." in page
    assert expectations_url(company) in page
    assert 'name="mso-choice"' not in page


def test_an_unknown_duty_is_a_bad_request(lead_client, world):
    before = snapshot()
    assert lead_client.post(expectations_url(world.org_a), {"duty": "ceo"}).status_code == 400
    assert snapshot() == before


def test_an_unknown_organisation_is_not_found(lead_client):
    assert lead_client.get(reverse("compliance:expectations", args=["ZZZ99"])).status_code == 404


# --- the admin goes through the same rules


def admin_url(model: str, page: str, *args) -> str:
    return reverse(f"admin:organisations_{model}_{page}", args=args)


def test_the_admin_lists_and_shows_the_history_of_each_setting(lead_client):
    cover = CoverFactory()
    override = ExpectationOverrideFactory()
    expectation = TypeExpectation.objects.get(kind=Kind.NHS_TRUST)
    for model, obj in (("cover", cover), ("expectationoverride", override), ("typeexpectation", expectation)):
        assert lead_client.get(admin_url(model, "changelist")).status_code == 200
        assert lead_client.get(admin_url(model, "change", obj.pk)).status_code == 200
        assert lead_client.get(admin_url(model, "history", obj.pk)).status_code == 200
    assert lead_client.get(admin_url("cover", "add")).status_code == 200
    assert lead_client.get(admin_url("typeexpectation", "add")).status_code == 403


def test_the_admin_refuses_a_chain_of_cover_with_the_services_message(lead_client, world):
    CoverFactory(covering=world.org_b, organisation=world.org_a)
    before = snapshot()
    data = {
        "covering": world.org_a.pk,
        "organisation": OrganisationFactory().pk,
        "rule": "",
        "role": "mso",
        "starts_on": days(-1).isoformat(),
        "reason": "Cover.",
    }
    response = lead_client.post(admin_url("cover", "add"), data)
    assert response.status_code == 200
    assert "is itself covered for its MSO" in text(response)
    assert snapshot() == before


def test_the_admin_adds_and_ends_a_cover_through_the_services(lead_client, world):
    hospice = OrganisationFactory(kind=Kind.HOSPICE)
    data = {
        "covering": world.org_a.pk,
        "organisation": hospice.pk,
        "rule": "",
        "role": "mso",
        "starts_on": days(-1).isoformat(),
        "reason": "Service agreement.",
    }
    assert lead_client.post(admin_url("cover", "add"), data).status_code == 302
    cover = Cover.objects.get()
    history = cover.history.get()
    assert (history.history_user, history.history_change_reason) == (world.lead, "Service agreement.")

    response = lead_client.post(
        admin_url("cover", "change", cover.pk), {"ends_on": days(-5).isoformat(), "reason": "x"}
    )
    assert "The cover cannot end before it starts" in text(response)
    response = lead_client.post(
        admin_url("cover", "change", cover.pk), {"ends_on": days(10).isoformat(), "reason": "Agreement ends."}
    )
    assert response.status_code == 302
    cover.refresh_from_db()
    assert (cover.ends_on, cover.reason, cover.covering) == (days(10), "Agreement ends.", world.org_a)
    assert cover.history.latest("history_id").history_change_reason == "Agreement ends."


def test_the_admin_refuses_an_expectation_for_community_pharmacies(lead_client):
    expectation = TypeExpectation.objects.get(kind=Kind.PHARMACY)
    before = snapshot()
    response = lead_client.post(
        admin_url("typeexpectation", "change", expectation.pk), {"expects_mso": "on", "reason": "Try."}
    )
    assert response.status_code == 200
    assert "A community pharmacy never names its own officers" in text(response)
    assert snapshot() == before


def test_the_admin_changes_the_threshold_with_the_reason_in_the_history(lead_client, world):
    expectation = TypeExpectation.objects.get(kind=Kind.PHARMACY_COMPANY)
    data = {
        "expects_mso": "on",
        "expects_mdso": "on",
        "expects_mailbox": "on",
        "own_officer_threshold": "30",
        "reason": "Steering group.",
    }
    assert lead_client.post(admin_url("typeexpectation", "change", expectation.pk), data).status_code == 302
    expectation.refresh_from_db()
    assert expectation.own_officer_threshold == 30
    history = expectation.history.latest("history_id")
    assert (history.history_user, history.history_change_reason) == (world.lead, "Steering group.")
    data["own_officer_threshold"] = "-3"
    response = lead_client.post(admin_url("typeexpectation", "change", expectation.pk), data)
    assert response.status_code == 200 and "cannot be below 0" in text(response)


def test_the_admin_refuses_an_exception_outside_england_and_removes_one_through_the_service(lead_client, world):
    welsh = OrganisationFactory(region=None)
    before = snapshot()
    data = {"organisation": welsh.pk, "duty": "mso", "expected": "on", "reason": "Try."}
    response = lead_client.post(admin_url("expectationoverride", "add"), data)
    assert "is outside England" in text(response)
    assert snapshot() == before

    override = ExpectationOverrideFactory(organisation=world.org_b, duty=Duty.MDSO, expected=False)
    response = lead_client.post(admin_url("expectationoverride", "delete", override.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not ExpectationOverride.objects.filter(pk=override.pk).exists()
    history = ExpectationOverride.history.filter(id=override.pk).latest("history_id")
    assert (history.history_type, history.history_user, history.history_change_reason) == (
        "-",
        world.lead,
        "Removed in the admin",
    )


def test_a_covered_organisation_counts_as_covered_only_while_the_covering_one_has_its_officer(lead_client, world):
    """End to end: the lead adds a cover on the page, and the organisation's page shows it covered."""
    hospice = OrganisationFactory(kind=Kind.HOSPICE, ods_code="HOS02")
    ExpectationOverrideFactory(organisation=hospice, duty=Duty.MSO, expected=True)
    lead_client.post(ADD_URL, cover_data(covering="R0A", organisation="HOS02"))
    assert with_coverage(Organisation.objects.all()).get(pk=hospice.pk).coverage_status(Duty.MSO) == "covered"
    world.other_appointment.status = Appointment.Status.ENDED
    world.other_appointment.end_date = TODAY
    world.other_appointment.save()
    row = with_coverage(Organisation.objects.all()).get(pk=hospice.pk)
    assert row.coverage_status(Duty.MSO) == "cover without an officer"
    assert "Cover without an officer" in text(lead_client.get(expectations_url(hospice)))
    AppointmentFactory(organisation=world.org_b, role=Appointment.Role.MSO)
    assert with_coverage(Organisation.objects.all()).get(pk=hospice.pk).coverage_status(Duty.MSO) == "covered"
