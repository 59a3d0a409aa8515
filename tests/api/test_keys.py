"""The national lead issues, lists and revokes the partners' keys in the admin; only a hash is kept."""

import datetime
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from api.models import PartnerKey
from api.services import partner_key_issue
from audit.models import ContactView
from tests.factories import PartnerKeyFactory


@pytest.fixture
def lead_client(client, world):
    client.force_login(world.lead)
    return client


def _add(client, **data):
    fields = {"name": "Alerts", "partner": "MHRA", "scope_register": "on", "contacts_reason": ""} | data
    return client.post(reverse("admin:api_partnerkey_add"), fields, follow=True)


def test_the_lead_issues_a_key_in_the_admin_shown_once_and_stored_only_as_a_hash(lead_client, world):
    response = _add(lead_client)
    [message] = [str(m) for m in get_messages(response.wsgi_request) if "The API key" in str(m)]
    secret = re.search(r"is (\S+\.\S+) \.", message).group(1)
    key = PartnerKey.objects.get()
    assert key.issued_by == world.lead and key.scopes == {"register"}
    assert secret.startswith(key.prefix + ".")
    assert secret not in key.hashed_key and secret.split(".")[1] not in str(vars(key))
    assert lead_client.get(reverse("api:organisations"), headers={"X-API-Key": secret}).status_code == 200
    listing = lead_client.get(reverse("admin:api_partnerkey_changelist"))
    assert key.prefix in listing.content.decode() and secret not in listing.content.decode()


def test_the_contacts_scope_is_refused_without_a_reason(lead_client):
    response = _add(lead_client, scope_contacts="on")
    assert "Give the reason" in response.content.decode()
    assert not PartnerKey.objects.exists()
    with pytest.raises(Exception, match="Give the reason"):
        partner_key_issue(issued_by=None, name="x", partner="y", scopes={"contacts"})


def test_a_key_revoked_by_the_lead_stops_working_at_once(lead_client):
    key = PartnerKeyFactory()
    headers = {"X-API-Key": key.secret}
    assert lead_client.get(reverse("api:organisations"), headers=headers).status_code == 200
    lead_client.post(
        reverse("admin:api_partnerkey_changelist"), {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )
    key.refresh_from_db()
    assert key.revoked and key.revoked_at is not None
    assert lead_client.get(reverse("api:organisations"), headers=headers).status_code == 401


def test_a_key_stops_working_at_its_expiry(client, world):
    key = PartnerKeyFactory(expiry_date=timezone.now() + datetime.timedelta(hours=1))
    headers = {"X-API-Key": key.secret}
    assert client.get(reverse("api:organisations"), headers=headers).status_code == 200
    PartnerKey.objects.filter(pk=key.pk).update(expiry_date=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(reverse("api:organisations"), headers=headers).status_code == 401


def test_the_lead_sees_each_keys_reads_of_contact_details(lead_client, world):
    key = PartnerKeyFactory(scope_contacts=True)
    lead_client.get(reverse("api:organisations"), headers={"X-API-Key": key.secret})
    listing = lead_client.get(reverse("admin:api_partnerkey_changelist")).content.decode()
    assert "2 in the contact-view log" in listing
    log = lead_client.get(reverse("admin:audit_contactview_changelist") + f"?api_key={key.prefix}").content.decode()
    assert world.mso_person.full_name in log and world.other_person.full_name in log
    assert ContactView.objects.filter(api_key=key.prefix).count() == 2


def test_a_keys_last_use_is_noted_at_most_once_a_minute_and_shown_to_the_lead(
    client, lead_client, world, django_assert_num_queries
):
    key = PartnerKeyFactory()
    headers = {"X-API-Key": key.secret}
    with time_machine.travel(datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC), tick=False):
        assert client.get(reverse("api:networks"), headers=headers).status_code == 200
        key.refresh_from_db()
        assert key.last_used_at == timezone.now()
    with time_machine.travel(datetime.datetime(2026, 12, 7, 9, 0, 30, tzinfo=datetime.UTC), tick=False):
        client.get(reverse("api:networks"), headers=headers)
        key.refresh_from_db()
        assert key.last_used_at == datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)  # no write
    with time_machine.travel(datetime.datetime(2026, 12, 7, 9, 2, tzinfo=datetime.UTC), tick=False):
        client.get(reverse("api:networks"), headers=headers)
        key.refresh_from_db()
        assert key.last_used_at == timezone.now()
    listing = lead_client.get(reverse("admin:api_partnerkey_changelist")).content.decode()
    assert '<td class="field-last_used_at nowrap">7 Dec 2026, 9:02 a.m.</td>' in listing


def test_nobody_else_reaches_the_keys_in_the_admin(client, world):
    client.force_login(world.mso)
    response = client.get(reverse("admin:api_partnerkey_changelist"))
    assert response.status_code == 302
