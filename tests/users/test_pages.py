"""The sign-in, sign-up and account pages render in the NHS.UK layout."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory


@pytest.fixture
def client(committing_client):
    """Account emails go through the outbox: they are sent when the request commits."""
    return committing_client


PASSWORD = "correct horse battery staple"


def assert_nhsuk_page(response, heading):
    content = response.content.decode()
    assert response.status_code == 200
    assert 'class="nhsuk-header"' in content
    assert 'class="nhsuk-footer"' in content
    assert 'href="#maincontent"' in content
    assert f"<h1>{heading}</h1>" in content
    return content


@pytest.fixture
def verified_user(db):
    user = UserFactory(email="officer@nhs.net")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.mark.parametrize(
    ("url_name", "heading"),
    [
        ("account_login", "Sign in"),
        ("account_signup", "Create an account"),
        ("account_reset_password", "Reset your password"),
        ("account_reset_password_done", "Check your email"),
        ("account_email_verification_sent", "Check your email"),
    ],
)
def test_entrance_pages_render_in_the_nhsuk_layout(client, db, url_name, heading):
    assert_nhsuk_page(client.get(reverse(url_name)), heading)


@pytest.mark.parametrize(
    ("url_name", "heading"),
    [
        ("account_email", "Email address"),
        ("account_change_password", "Change your password"),
        ("account_logout", "Sign out"),
    ],
)
def test_account_management_pages_render_in_the_nhsuk_layout(client, verified_user, url_name, heading):
    client.force_login(verified_user)
    content = assert_nhsuk_page(client.get(reverse(url_name)), heading)
    assert 'aria-labelledby="account-nav-heading"' in content


def test_failed_sign_in_shows_the_error_summary(client, verified_user):
    response = client.post(reverse("account_login"), {"login": verified_user.email, "password": "wrong password"})
    content = assert_nhsuk_page(response, "Sign in")
    assert "nhsuk-error-summary" in content
    assert "<title>Error: Sign in" in content


def test_sign_up_errors_link_to_their_fields(client, db):
    response = client.post(reverse("account_signup"), {"email": "not-an-email", "password1": "x", "password2": "y"})
    content = assert_nhsuk_page(response, "Create an account")
    assert 'href="#id_email"' in content
    assert 'class="nhsuk-input nhsuk-input--error"' in content
    assert 'aria-describedby="id_email-error"' in content


def test_form_fields_have_labels_and_no_placeholders(client, db):
    content = client.get(reverse("account_login")).content.decode()
    assert '<label class="nhsuk-label nhsuk-label--s" for="id_login">Email address</label>' in content
    assert '<label class="nhsuk-label nhsuk-label--s" for="id_password">Password</label>' in content
    assert "placeholder=" not in content


def test_sign_in_then_out_through_the_header_form(client, verified_user):
    response = client.post(reverse("account_login"), {"login": verified_user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("directory:home")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("directory:home")).status_code == 302


def test_email_confirmation_page_renders_in_the_nhsuk_layout(client, db):
    client.post(
        reverse("account_signup"),
        {"email": "new.officer@nhs.net", "password1": PASSWORD, "password2": PASSWORD},
    )
    key = re.search(r"/accounts/confirm-email/([^/]+)/", mail.outbox[-1].body).group(1)
    content = assert_nhsuk_page(client.get(reverse("account_confirm_email", args=[key])), "Confirm your email address")
    assert "new.officer@nhs.net" in content


def test_password_reset_from_key_renders_in_the_nhsuk_layout(client, verified_user):
    client.post(reverse("account_reset_password"), {"email": verified_user.email})
    url = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[-1].body).group(1)
    response = client.get(url, follow=True)
    assert_nhsuk_page(response, "Set a new password")
    response = client.post(
        response.redirect_chain[-1][0] if response.redirect_chain else url,
        {"password1": "a new long passphrase 2026", "password2": "a new long passphrase 2026"},
        follow=True,
    )
    assert_nhsuk_page(response, "Your password has been changed")


def test_invalid_password_reset_link_explains_what_to_do(client, db):
    response = client.get(reverse("account_reset_password_from_key", args=["1", "bad-key"]), follow=True)
    assert_nhsuk_page(response, "This link is not valid")


def test_other_allauth_pages_use_the_nhsuk_layout_through_the_layout_override(client, verified_user):
    client.force_login(verified_user)
    response = client.get(reverse("account_reauthenticate"))
    content = response.content.decode()
    assert 'class="nhsuk-header"' in content
    assert 'class="nhsuk-button"' in content
