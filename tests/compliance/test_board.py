"""The flag board: the lead sees every flag, a chair their networks' regions, anyone else nothing;
the lead acknowledges with a note; the organisation page shows its open flags."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import Flag
from compliance.services import compliance_scan
from handovers.models import Handover
from networks.models import Membership, Network
from organisations.models import NO_REGION, Region
from tests.factories import MembershipFactory, NetworkFactory, OrganisationFactory

BOARD = reverse("compliance:board")
# Session, user, the header's navigation (chaired networks, person record), the two-factor check,
# then the page: the count, the page of flags, the counts by kind and by region, the regions of the filter.
BOARD_QUERIES = 10


@pytest.fixture
def flagged(world):
    """The world's two trusts have an MSO but no MDSO: each gets flags in its own region."""
    compliance_scan()
    return world


def flag_of(organisation, kind=Flag.Kind.NO_MDSO):
    return Flag.objects.open().get(organisation=organisation, kind=kind)


def shown_organisations(response) -> set[str]:
    return {flag.organisation.ods_code for flag in response.context["page_obj"].object_list}


def test_lead_sees_every_flag(client, flagged):
    client.force_login(flagged.lead)
    response = client.get(BOARD)
    assert response.status_code == 200
    assert shown_organisations(response) == {"RAL", "R0A"}
    assert b"Register a named MDSO" in response.content


def test_chair_sees_only_the_flags_of_their_region(client, flagged):
    client.force_login(flagged.chair_a)
    response = client.get(BOARD)
    assert response.status_code == 200
    assert shown_organisations(response) == {"RAL"}
    assert b"Manchester" not in response.content


def test_chair_cannot_see_other_region(client, flagged):
    client.force_login(flagged.chair_b)
    response = client.get(BOARD)
    assert shown_organisations(response) == {"R0A"}
    response = client.get(BOARD, {"q": "RAL"})
    assert shown_organisations(response) == set()


@pytest.mark.parametrize("role", ["mso", "no_role"])
def test_board_is_not_found_for_officers_and_others(client, flagged, role):
    client.force_login(getattr(flagged, role))
    assert client.get(BOARD).status_code == 404


def test_board_sends_anonymous_visitors_to_sign_in(client, flagged):
    response = client.get(BOARD)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_lead_acknowledges_a_flag_which_stays_open(client, flagged):
    flag = flag_of(flagged.org_a)
    client.force_login(flagged.lead)
    response = client.post(
        reverse("compliance:acknowledge", args=[flag.pk]), {"note": " Chased the trust's chief pharmacist. "}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.is_open and flag.acknowledged_by == flagged.lead
    assert flag.acknowledgement_note == "Chased the trust's chief pharmacist."
    response = client.get(BOARD, {"status": "acknowledged"})
    assert [f.pk for f in response.context["page_obj"].object_list] == [flag.pk]
    assert flag.pk not in {f.pk for f in client.get(BOARD, {"status": "open"}).context["page_obj"].object_list}


def test_acknowledging_needs_a_note(client, flagged):
    flag = flag_of(flagged.org_a)
    client.force_login(flagged.lead)
    response = client.post(reverse("compliance:acknowledge", args=[flag.pk]), {"note": "  "}, follow=True)
    flag.refresh_from_db()
    assert flag.acknowledged_at is None
    assert b"Enter a note" in response.content


@pytest.mark.parametrize(
    ("role", "organisation", "status"),
    [("chair_a", "org_a", 403), ("chair_a", "org_b", 404), ("mso", "org_a", 404), ("no_role", "org_a", 404)],
)
def test_only_the_lead_acknowledges(client, flagged, role, organisation, status):
    flag = flag_of(getattr(flagged, organisation))
    client.force_login(getattr(flagged, role))
    response = client.post(reverse("compliance:acknowledge", args=[flag.pk]), {"note": "Seen."})
    assert response.status_code == status
    flag.refresh_from_db()
    assert flag.acknowledged_at is None


def test_acknowledge_is_post_only(client, flagged):
    client.force_login(flagged.lead)
    assert client.get(reverse("compliance:acknowledge", args=[flag_of(flagged.org_a).pk])).status_code == 405


def test_board_filters_by_kind_region_status_and_age(client, flagged):
    client.force_login(flagged.lead)
    old = flag_of(flagged.org_b)
    Flag.objects.filter(pk=old.pk).update(opened_at=timezone.now() - datetime.timedelta(days=45))
    by_kind = client.get(BOARD, {"kind": Flag.Kind.NO_MDSO}).context["page_obj"].object_list
    assert {f.kind for f in by_kind} == {Flag.Kind.NO_MDSO} and len(by_kind) == 2
    assert shown_organisations(client.get(BOARD, {"region": "Y62"})) == {"R0A"}
    assert [f.pk for f in client.get(BOARD, {"age": "30"}).context["page_obj"].object_list] == [old.pk]
    assert list(client.get(BOARD, {"age": "90"}).context["page_obj"].object_list) == []
    assert list(client.get(BOARD, {"status": "resolved"}).context["page_obj"].object_list) == []


def region_choices(response) -> list[str]:
    return [value for value, _label in response.context["form"].fields["region"].choices]


def test_lead_may_filter_by_every_region_or_no_region(client, flagged):
    client.force_login(flagged.lead)
    every_region = list(Region.objects.order_by("name").values_list("code", flat=True))
    assert len(every_region) == 7
    assert region_choices(client.get(BOARD)) == ["", *every_region, NO_REGION]


def test_chair_may_filter_only_by_the_regions_they_chair(client, flagged):
    client.force_login(flagged.chair_a)
    assert region_choices(client.get(BOARD)) == ["", "Y56"]
    specialised = NetworkFactory(kind=Network.Kind.SPECIALISED, region=flagged.north_west)
    MembershipFactory(person=flagged.chair_a.person, network=specialised, role=Membership.Role.VICE_CHAIR)
    assert region_choices(client.get(BOARD)) == ["", "Y56", "Y62"]


def test_chair_filtering_by_a_region_they_do_not_chair_is_an_error(client, flagged):
    client.force_login(flagged.chair_a)
    response = client.get(BOARD, {"region": "Y62"})
    assert "region" in response.context["form"].errors
    assert shown_organisations(response) == {"RAL"}


def test_lead_filters_the_flags_of_organisations_with_no_region(client, flagged):
    national_body = OrganisationFactory(ods_code="8HV42", region=None)
    Flag.objects.create(organisation=national_body, kind=Flag.Kind.NO_MSO)
    client.force_login(flagged.lead)
    assert shown_organisations(client.get(BOARD, {"region": NO_REGION})) == {"8HV42"}
    assert shown_organisations(client.get(BOARD, {"region": "Y56"})) == {"RAL"}


def test_board_filters_have_half_the_page_each_so_their_choices_show_in_full(client, flagged):
    """In a quarter of the page the status box read "Open, acknowledged"."""
    client.force_login(flagged.lead)
    content = client.get(BOARD).content.decode()
    for name in ("kind", "region", "status", "age"):
        column = (
            r'<div class="nhsuk-grid-column-one-half">\s*<div class="nhsuk-form-group[^"]*">\s*'
            rf'<label[^>]*for="id_{name}"'
        )
        assert re.search(column, content), name


def test_board_counts_by_kind_and_region(client, flagged):
    client.force_login(flagged.lead)
    counts = client.get(BOARD).context["counts"]
    total = Flag.objects.open().count()
    assert sum(row["n"] for row in counts["by_kind"]) == total
    assert {row["region"]: row["n"] for row in counts["by_region"]} == {
        "London": Flag.objects.open().filter(organisation=flagged.org_a).count(),
        "North West": Flag.objects.open().filter(organisation=flagged.org_b).count(),
    }


def test_resolved_flags_are_listed_when_asked_for(client, flagged):
    flagged.org_a.generic_mailbox = ""
    flagged.org_a.save()
    compliance_scan()
    flagged.org_a.generic_mailbox = "ral.mso@nhs.net"
    flagged.org_a.save()
    compliance_scan()
    client.force_login(flagged.lead)
    resolved = client.get(BOARD, {"status": "resolved"}).context["page_obj"].object_list
    assert [(f.organisation_id, f.kind) for f in resolved] == [(flagged.org_a.pk, Flag.Kind.NO_MAILBOX)]


def test_lapsed_handover_flag_links_to_the_handover(client, flagged):
    Handover.objects.create(
        organisation=flagged.org_a,
        outgoing_appointment=flagged.mso_appointment,
        leaving_date=datetime.date(2024, 6, 1),
        due_date=datetime.date(2024, 6, 28),
    )
    compliance_scan()
    flag = flag_of(flagged.org_a, Flag.Kind.LAPSED_HANDOVER)
    client.force_login(flagged.lead)
    content = client.get(BOARD, {"kind": Flag.Kind.LAPSED_HANDOVER}).content.decode()
    assert "Complete the handover" in content
    assert f"/{flag.handover_id}/" in content


def add_flagged_organisations(world, n):
    for _ in range(n):
        OrganisationFactory(region=world.london, generic_mailbox="")
        OrganisationFactory(region=world.north_west, generic_mailbox="")
    compliance_scan()


@pytest.mark.parametrize("size", [1, 30])
@pytest.mark.parametrize("role", ["lead", "chair_a"])
def test_board_queries_do_not_grow_with_the_flags(client, flagged, role, size, django_assert_max_num_queries):
    add_flagged_organisations(flagged, size)
    Flag.objects.filter(organisation__region=flagged.london).update(
        acknowledged_at=timezone.now(), acknowledged_by=flagged.lead, acknowledgement_note="Seen."
    )
    client.force_login(getattr(flagged, role))
    with django_assert_max_num_queries(BOARD_QUERIES):
        response = client.get(BOARD)
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) >= min(2 * size, 50)


def test_organisation_page_shows_its_open_flags_to_the_lead_and_its_chair(client, flagged):
    url = flagged.org_a.get_absolute_url()
    for role in ("lead", "chair_a"):
        client.force_login(getattr(flagged, role))
        content = client.get(url).content.decode()
        assert "Open compliance flags" in content
        assert "No active named MDSO" in content
    client.force_login(flagged.chair_b)
    assert "Open compliance flags" not in client.get(url).content.decode()


def test_organisation_page_leaves_out_resolved_flags(client, flagged):
    Flag.objects.filter(organisation=flagged.org_a).update(resolved_at=timezone.now())
    client.force_login(flagged.lead)
    assert "Open compliance flags" not in client.get(flagged.org_a.get_absolute_url()).content.decode()
