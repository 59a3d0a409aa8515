"""Account emails written by django-allauth go through the outbox like every other email."""

from django.core import mail
from django.urls import reverse

from emails.models import OutboundEmail

PASSWORD = "a long enough passphrase 2026"


def test_sign_up_confirmation_email_is_stored_in_the_outbox_and_sent_on_commit(committing_client, db):
    committing_client.post(
        reverse("account_signup"), {"email": "new.officer@nhs.net", "password1": PASSWORD, "password2": PASSWORD}
    )

    email = OutboundEmail.objects.get()
    assert email.to == ["new.officer@nhs.net"]
    assert email.template == "email_confirmation_signup"
    assert email.sent_at is not None
    assert [message.subject for message in mail.outbox] == [email.subject]


def test_sign_up_confirmation_email_waits_in_the_outbox_until_the_request_commits(client, db):
    client.post(
        reverse("account_signup"), {"email": "new.officer@nhs.net", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert OutboundEmail.objects.get().sent_at is None
    assert mail.outbox == []
