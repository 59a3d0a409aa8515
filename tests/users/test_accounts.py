"""Accounts end to end: sign-up with a confirmed email address, the confirmation email sent again,
password reset, change of email address, rate limits and the admin's sign-in."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import TOTPAuthenticatorFactory, UserFactory
from users.models import User


@pytest.fixture
def client(committing_client):
    """Account emails go through the outbox: they are sent when the request commits."""
    return committing_client


PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a new long passphrase 2026"
CHECK_YOUR_EMAIL = reverse("account_email_verification_sent")
RESEND_MESSAGE = "is waiting to be confirmed, we have sent it a new link"


def make_user(email, *, verified=True, **kwargs):
    user = UserFactory(email=email, **kwargs)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def confirmation_path(message):
    return re.search(r"http://testserver(/accounts/confirm-email/[^/\s]+/)", message.body).group(1)


def sign_up(client, email):
    return client.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def is_signed_in(client):
    return "_auth_user_id" in client.session


# Sign-up and email confirmation


def test_sign_up_sends_a_confirmation_link_and_the_account_opens_once_it_is_followed(client, db):
    response = sign_up(client, "New.Officer@nhs.net")

    assert response.status_code == 302
    assert response.url == CHECK_YOUR_EMAIL
    assert not is_signed_in(client)
    assert [message.to for message in mail.outbox] == [["new.officer@nhs.net"]]
    response = client.post(confirmation_path(mail.outbox[0]))
    assert response.status_code == 302
    assert is_signed_in(client)
    assert EmailAddress.objects.get(email="new.officer@nhs.net").verified
    assert client.get(reverse("directory:home")).status_code == 200


def test_unconfirmed_account_signing_in_is_sent_to_check_its_email_with_a_way_to_get_it_again(client, db):
    make_user("waiting@nhs.net", verified=False)

    response = sign_in(client, "waiting@nhs.net")

    assert response.status_code == 302
    assert response.url == CHECK_YOUR_EMAIL
    assert not is_signed_in(client)
    assert [message.to for message in mail.outbox] == [["waiting@nhs.net"]]
    content = client.get(CHECK_YOUR_EMAIL).content.decode()
    assert "<h1>Check your email</h1>" in content
    assert f'action="{reverse("users:resend-confirmation")}"' in content
    assert "Send the email again" in content


def test_confirmation_email_sent_again_has_a_link_that_works(client, db):
    client.post(
        reverse("account_signup"), {"email": "new.officer@nhs.net", "password1": PASSWORD, "password2": PASSWORD}
    )
    mail.outbox.clear()
    cache.clear()  # three minutes later

    response = client.post(reverse("users:resend-confirmation"), {"email": "New.Officer@NHS.net"}, follow=True)

    assert response.redirect_chain[-1][0] == CHECK_YOUR_EMAIL
    assert RESEND_MESSAGE in response.content.decode()
    assert [message.to for message in mail.outbox] == [["new.officer@nhs.net"]]
    client.post(confirmation_path(mail.outbox[0]))
    assert EmailAddress.objects.get(email="new.officer@nhs.net").verified


def test_confirmation_email_is_sent_at_most_once_every_three_minutes(client, db):
    client.post(
        reverse("account_signup"), {"email": "new.officer@nhs.net", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert len(mail.outbox) == 1

    response = client.post(reverse("users:resend-confirmation"), {"email": "new.officer@nhs.net"}, follow=True)

    assert RESEND_MESSAGE in response.content.decode()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("email", ["nobody@nhs.net", "confirmed@nhs.net"])
def test_asking_for_the_confirmation_email_again_does_not_reveal_who_has_an_account(client, db, email):
    make_user("confirmed@nhs.net")

    response = client.post(reverse("users:resend-confirmation"), {"email": email}, follow=True)

    assert response.redirect_chain[-1][0] == CHECK_YOUR_EMAIL
    assert f"If {email} {RESEND_MESSAGE}" in response.content.decode()
    assert mail.outbox == []


def test_asking_for_the_confirmation_email_again_with_a_malformed_address_shows_the_error(client, db):
    response = client.post(reverse("users:resend-confirmation"), {"email": "not-an-email"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Get a new confirmation email</h1>" in content
    assert "nhsuk-error-summary" in content
    assert 'href="#id_email"' in content


def test_asking_for_the_confirmation_email_again_is_rate_limited_per_client(client, db):
    for number in range(5):
        response = client.post(reverse("users:resend-confirmation"), {"email": f"someone{number}@nhs.net"})
        assert response.status_code == 302
    response = client.post(reverse("users:resend-confirmation"), {"email": "someone.else@nhs.net"})
    assert response.status_code == 429


# Password reset


def test_password_reset_from_request_to_signing_in_with_the_new_password(client, db):
    make_user("officer@nhs.net")

    response = client.post(reverse("account_reset_password"), {"email": "Officer@nhs.net"})
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["officer@nhs.net"]]
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url  # allauth moves the key out of the address before showing the form
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_from_key_done")

    assert sign_in(client, "officer@nhs.net", PASSWORD).status_code == 200  # refused, form shown again
    assert not is_signed_in(client)
    assert sign_in(client, "officer@nhs.net", NEW_PASSWORD).status_code == 302
    assert is_signed_in(client)


# Change of email address


def test_new_email_address_takes_effect_only_once_it_is_confirmed(client, db):
    user = make_user("old.address@nhs.net")
    sign_in(client, "old.address@nhs.net")
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    response = client.post(reverse("account_email"), {"action_add": "", "email": "New.Address@nhs.net"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "old.address@nhs.net"
    assert [message.to for message in mail.outbox] == [["new.address@nhs.net"]]
    content = client.get(reverse("account_email")).content.decode()
    assert "new.address@nhs.net" in content
    assert "Until you follow the link, you keep signing in with old.address@nhs.net." in content

    client.post(reverse("account_logout"))
    assert sign_in(client, "old.address@nhs.net").status_code == 302
    assert is_signed_in(client)

    client.post(confirmation_path(mail.outbox[0]))

    user.refresh_from_db()
    assert user.email == "new.address@nhs.net"
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary")) == [
        ("new.address@nhs.net", True, True)
    ]
    client.post(reverse("account_logout"))
    assert sign_in(client, "old.address@nhs.net").status_code == 200
    assert not is_signed_in(client)
    assert sign_in(client, "new.address@nhs.net").status_code == 302
    assert is_signed_in(client)


def test_change_of_email_address_can_be_cancelled_before_it_is_confirmed(client, db):
    user = make_user("old.address@nhs.net")
    client.force_login(user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    client.post(reverse("account_email"), {"action_add": "", "email": "new.address@nhs.net"})
    assert EmailAddress.objects.filter(user=user, email="new.address@nhs.net").exists()

    client.post(reverse("account_email"), {"action_remove": "", "email": "new.address@nhs.net"})

    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == ["old.address@nhs.net"]
    user.refresh_from_db()
    assert user.email == "old.address@nhs.net"


def test_account_with_an_authenticator_app_is_told_how_to_change_its_email_address(client, db):
    user = make_user("old.address@nhs.net")
    TOTPAuthenticatorFactory(user=user)
    client.force_login(user)

    response = client.post(reverse("account_email"), {"action_add": "", "email": "new.address@nhs.net"})

    assert response.status_code == 200
    assert "Turn off the authenticator app on the two-factor authentication page" in response.content.decode()
    assert not EmailAddress.objects.filter(email="new.address@nhs.net").exists()


def test_email_address_page_renders_in_the_nhsuk_layout(client, db):
    client.force_login(make_user("officer@nhs.net"))
    content = client.get(reverse("account_email")).content.decode()
    assert "<h1>Email address</h1>" in content
    assert 'class="nhsuk-summary-list"' in content
    assert '<label class="nhsuk-label nhsuk-label--s" for="id_email">New email address</label>' in content
    assert f'href="{reverse("mfa_index")}"' in content  # the account navigation


def test_email_addresses_are_unique_whatever_their_case_with_a_clear_message(db):
    make_user("officer@nhs.net")
    with pytest.raises(ValidationError) as error:
        User(email="Officer@NHS.net").validate_constraints()
    assert error.value.messages == ["An account with this email address already exists."]


# Rate limits


def test_repeated_failed_sign_ins_lock_the_account_for_a_while(client, db):
    make_user("officer@nhs.net")
    for _ in range(10):
        assert sign_in(client, "officer@nhs.net", "wrong password").status_code == 200

    response = sign_in(client, "officer@nhs.net")

    assert response.status_code == 200
    assert "This account is locked for up to 15 minutes" in response.content.decode()
    assert not is_signed_in(client)


# The admin signs in through the portal


def test_admin_sign_in_page_sends_people_to_the_portal_sign_in(client, db):
    response = client.get(reverse("admin:login"), {"next": "/admin/"})

    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next=%2Fadmin%2F"


def test_admin_sign_in_form_cannot_be_used_to_sign_in(client, world):
    response = client.post(reverse("admin:login"), {"username": world.lead.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not is_signed_in(client)


def test_admin_sign_in_page_refuses_a_signed_in_user_without_staff_access(client, world):
    client.force_login(world.mso)
    assert client.get(reverse("admin:login")).status_code == 403
