"""The admin shows messages and their recipients to the national lead, read-only: a message is
written and sent only through the portal's pages."""

from django.urls import reverse

from tests.factories import RecipientFactory


def test_the_lead_reads_messages_and_recipients_in_the_admin_but_cannot_change_them(client, world):
    recipient = RecipientFactory(address="mso.a@nhs.net", person=world.mso_person)
    client.force_login(world.lead)
    for url in (
        reverse("admin:mailings_message_changelist"),
        reverse("admin:mailings_message_change", args=[recipient.message.pk]),
        reverse("admin:mailings_message_history", args=[recipient.message.pk]),
        reverse("admin:mailings_recipient_changelist"),
        reverse("admin:mailings_recipient_change", args=[recipient.pk]),
    ):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("admin:mailings_message_add")).status_code == 403
    assert client.get(reverse("admin:mailings_recipient_add")).status_code == 403
    page = client.get(reverse("admin:mailings_message_change", args=[recipient.message.pk])).content.decode()
    assert 'name="_save"' not in page
