"""The outbox in the admin: the national lead can see every email and send the unsent ones now; nobody edits them."""

import pytest
from django.core import mail
from django.urls import reverse

from emails.models import OutboundEmail
from tests.factories import OutboundEmailFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:emails_outboundemail_changelist")


@pytest.fixture
def outbox():
    return {
        "approved": OutboundEmailFactory(to=["mso.a@nhs.net"], subject="Your registration was approved", sent=True),
        "reminder": OutboundEmailFactory(to=["mso.b@nhs.net", "deputy.b@nhs.net"], subject="Handover due in 7 days"),
        "digest": OutboundEmailFactory(
            to=["lead@england.nhs.uk"], subject="Open flags this week", last_error="SMTPConnectError: 421"
        ),
    }


def listed(response):
    return {email.subject for email in response.context["cl"].result_list}


def test_lead_sees_every_email_in_the_outbox(client, world, outbox):
    client.force_login(world.lead)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert listed(response) == {email.subject for email in outbox.values()}
    assert "mso.b@nhs.net, deputy.b@nhs.net" in response.content.decode()


def test_lead_searches_the_outbox_by_recipient_and_by_subject(client, world, outbox):
    client.force_login(world.lead)
    assert listed(client.get(CHANGELIST, {"q": "deputy.b@nhs"})) == {"Handover due in 7 days"}
    assert listed(client.get(CHANGELIST, {"q": "approved"})) == {"Your registration was approved"}


def test_lead_filters_the_outbox_by_status(client, world, outbox):
    client.force_login(world.lead)
    assert listed(client.get(CHANGELIST, {"status": "sent"})) == {"Your registration was approved"}
    assert listed(client.get(CHANGELIST, {"status": "unsent"})) == {"Handover due in 7 days", "Open flags this week"}
    assert listed(client.get(CHANGELIST, {"status": "failing"})) == {"Open flags this week"}


def test_outbox_is_read_only_even_for_the_lead(client, world, outbox):
    client.force_login(world.lead)
    email = outbox["reminder"]
    change_url = reverse("admin:emails_outboundemail_change", args=[email.pk])
    response = client.get(change_url)
    assert response.status_code == 200
    assert "Handover due in 7 days" in response.content.decode()
    assert 'name="_save"' not in response.content.decode()
    assert client.post(change_url, {"subject": "Changed"}).status_code == 403
    assert client.get(reverse("admin:emails_outboundemail_add")).status_code == 403
    assert client.get(reverse("admin:emails_outboundemail_delete", args=[email.pk])).status_code == 403
    email.refresh_from_db()
    assert email.subject == "Handover due in 7 days"


def test_lead_sends_unsent_emails_now_and_sent_ones_are_not_sent_again(client, world, outbox):
    client.force_login(world.lead)
    selected = [email.pk for email in outbox.values()]
    response = client.post(CHANGELIST, {"action": "send_now", "_selected_action": selected}, follow=True)
    assert response.status_code == 200
    assert "Sent 2; failed 0; skipped 1" in response.content.decode()
    assert sorted(message.subject for message in mail.outbox) == ["Handover due in 7 days", "Open flags this week"]
    assert not OutboundEmail.objects.unsent().exists()

    client.post(CHANGELIST, {"action": "send_now", "_selected_action": selected}, follow=True)
    assert len(mail.outbox) == 2


def test_officer_without_staff_access_is_sent_to_the_admin_login(client, world, outbox):
    client.force_login(world.mso)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_without_the_lead_role_cannot_see_or_send_the_outbox(client, world, outbox):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(CHANGELIST).status_code == 403
    assert (
        client.post(CHANGELIST, {"action": "send_now", "_selected_action": [outbox["reminder"].pk]}).status_code == 403
    )
    assert mail.outbox == []
