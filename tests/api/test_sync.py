"""Syncing: updated_since lists exactly the organisations that changed (read from their history,
officers who left included); ETag and If-None-Match; the correlation id; the rate limit per key."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from officers.models import Appointment
from organisations.models import Organisation, TypeExpectation
from tests.factories import (
    AppointmentFactory,
    CoverFactory,
    CoveringBodyFactory,
    OrganisationFactory,
    PartnerKeyFactory,
)


@pytest.fixture
def key(db):
    return PartnerKeyFactory()


def codes(client, key, **params):
    response = client.get(reverse("api:organisations"), params, headers={"X-API-Key": key.secret})
    assert response.status_code == 200, response.content
    return {row["ods_code"]: row for row in response.json()["results"]}


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_updated_since_lists_exactly_the_organisations_that_changed(client, world, key):
    renamed, left, person_changed, covered, untouched = (OrganisationFactory() for _ in range(5))
    leaving = AppointmentFactory(organisation=left, role=Appointment.Role.MSO)
    officer = AppointmentFactory(organisation=person_changed, role=Appointment.Role.MDSO).person
    covering = CoveringBodyFactory()
    since = timezone.now()

    renamed.name = "Renamed Hospitals NHS Trust"
    renamed.save()
    leaving.status, leaving.end_date = Appointment.Status.ENDED, timezone.localdate()
    leaving.save()
    officer.last_name = "Changed"
    officer.save()
    CoverFactory(covering=covering, organisation=covered, role="mso")

    changed = codes(client, key, updated_since=iso(since))
    assert set(changed) == {renamed.ods_code, left.ods_code, person_changed.ods_code, covered.ods_code}
    assert changed[left.ods_code]["officers"] == [] and changed[left.ods_code]["mso"]["named"] is False
    assert changed[person_changed.ods_code]["officers"][0]["name"].endswith("Changed")
    assert untouched.ods_code not in changed and world.org_a.ods_code not in changed
    assert codes(client, key, updated_since=iso(timezone.now())) == {}


def test_updated_since_lists_the_organisations_whose_coverage_changed_with_no_change_of_their_own(client, key):
    today = timezone.localdate()
    with time_machine.travel(timezone.now() - datetime.timedelta(days=5), tick=False):
        covering = CoveringBodyFactory()
        leaving = AppointmentFactory(organisation=covering, role=Appointment.Role.MSO)
        covered = OrganisationFactory()
        CoverFactory(covering=covering, organisation=covered, role="mso")
        cover_begun = OrganisationFactory()
        CoverFactory(organisation=cover_begun, role="mso", starts_on=today - datetime.timedelta(days=1))
        hospice = OrganisationFactory(kind=Organisation.Kind.HOSPICE)
        untouched = OrganisationFactory()
        expectation, _ = TypeExpectation.objects.get_or_create(kind=Organisation.Kind.HOSPICE)
    since = timezone.now() - datetime.timedelta(days=2)
    # The types' expectations as the migrations wrote them, before `since` too.
    TypeExpectation.history.update(history_date=timezone.now() - datetime.timedelta(days=5))
    assert set(codes(client, key, updated_since=iso(since))) == {cover_begun.ods_code}

    leaving.status, leaving.end_date = Appointment.Status.ENDED, today
    leaving.save()
    expectation.expects_mso = not expectation.expects_mso
    expectation.save()

    changed = codes(client, key, updated_since=iso(since))
    # The covering body's officer left (the organisation it covers is no longer covered), and the
    # expectation of hospices changed; a cover began yesterday.
    assert set(changed) == {covering.ods_code, covered.ods_code, cover_begun.ods_code, hospice.ods_code}
    assert changed[covered.ods_code]["mso"]["status"] != "covered"
    assert untouched.ods_code not in changed


def test_an_unchanged_response_is_answered_not_modified_to_its_etag(client, world, key):
    url, headers = reverse("api:organisation", args=["RAL"]), {"X-API-Key": key.secret}
    first = client.get(url, headers=headers)
    etag = first["ETag"]
    again = client.get(url, headers=headers | {"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    world.org_a.name = "Royal Free London"
    world.org_a.save()
    changed = client.get(url, headers=headers | {"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_the_correlation_id_is_echoed_on_answers_and_refusals(client, world, key):
    headers = {"X-Correlation-ID": "c0ffee-42"}
    ok = client.get(reverse("api:networks"), headers=headers | {"X-API-Key": key.secret})
    refused = client.get(reverse("api:networks"), headers=headers)
    assert ok["X-Correlation-ID"] == refused["X-Correlation-ID"] == "c0ffee-42"
    assert refused.status_code == 401
    assert "X-Correlation-ID" not in client.get(reverse("api:networks"), headers={"X-Correlation-ID": "<x>"})


def test_a_key_over_its_rate_limit_is_answered_429_with_retry_after(client, world, key, settings):
    settings.API_RATE_LIMIT = "2/minute"
    other = PartnerKeyFactory()
    url = reverse("api:networks")
    assert [client.get(url, headers={"X-API-Key": key.secret}).status_code for _ in range(2)] == [200, 200]
    limited = client.get(url, headers={"X-API-Key": key.secret})
    assert limited.status_code == 429 and limited.json()["code"] == "too_many_requests"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert client.get(url, headers={"X-API-Key": other.secret}).status_code == 200
