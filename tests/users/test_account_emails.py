"""The account emails django-allauth writes are in the portal's one email layout, HTML and text,
under the portal's name, and their links work."""

import re
from pathlib import Path

import allauth
import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.core.context import request_context
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from emails.models import OutboundEmail
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
LAYOUT_HEADER = "MSO Network – NHS England</td>"  # the banner of templates/emails/base.html
SIGN_OFF = "\n\nMSO Network – NHS England\n"

# Every email allauth's account and two-factor apps can send, found in allauth's own templates, so
# an email a new version of allauth adds is checked too.
ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"
ALLAUTH_EMAILS = sorted(
    str(subject.relative_to(ALLAUTH_TEMPLATES)).removesuffix("_subject.txt")
    for app in ("account", "mfa")
    for subject in (ALLAUTH_TEMPLATES / app / "email").glob("*_subject.txt")
)


@pytest.fixture
def client(committing_client):
    return committing_client


def assert_in_the_portal_layout(email):
    """In the layout of templates/emails/base.html, HTML and text, under the portal's name."""
    assert email.subject.startswith("[MSO Network] ")
    assert LAYOUT_HEADER in email.body_html
    assert email.body_html.startswith("<!DOCTYPE html>")
    assert email.body_text.startswith("Hello,\n\n")
    assert email.body_text.endswith(SIGN_OFF)
    for body in (email.body_text, email.body_html):
        assert "Hello from" not in body
        assert "Thank you for using" not in body
        assert "{{" not in body and "None" not in body
        assert not re.search(r"\b(on|to|from|the|of) [.!,:]", body), "an empty site name or domain"


def html_links(email):
    return re.findall(r'href="([^"]+)"', email.body_html)


def sign_up(client, email):
    return client.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def test_allauth_emails_are_all_found():
    assert {"account/email/email_confirmation_signup", "account/email/password_reset_key"} <= set(ALLAUTH_EMAILS)
    assert "mfa/email/totp_deactivated" in ALLAUTH_EMAILS


@pytest.mark.parametrize("template_prefix", ALLAUTH_EMAILS)
def test_every_allauth_email_is_in_the_portal_layout_with_its_links(template_prefix, db):
    user = UserFactory(email="officer@nhs.net")
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1:8101")
    request.user = AnonymousUser()
    url = "http://127.0.0.1:8101/accounts/a-link/"
    context = {
        "user": user,
        "activate_url": url,
        "password_reset_url": url,
        "signup_url": url,
        "from_email": "old@nhs.net",
        "to_email": "officer@nhs.net",
        "deleted_email": "old@nhs.net",
        "timestamp": timezone.now(),
        "ip": "192.0.2.1",
        "user_agent": "Firefox",
    }
    if template_prefix.endswith("_code"):
        context["code"] = "ABC123"

    with request_context(request):
        get_adapter(request).send_mail(template_prefix, "officer@nhs.net", context)

    email = OutboundEmail.objects.get()
    assert email.to == ["officer@nhs.net"]
    assert_in_the_portal_layout(email)
    assert "MSO Network" in email.body_text.removesuffix(SIGN_OFF)  # in the words, not only the sign-off
    if "code" in context:
        assert "ABC123" in email.body_text and "ABC123" in email.body_html
    elif url in email.body_text:
        assert url in html_links(email)


def test_sign_up_confirmation_email_is_branded_and_its_link_confirms_the_address(client, db):
    sign_up(client, "new.officer@nhs.net")

    email = OutboundEmail.objects.get()
    assert email.template == "email_confirmation_signup"
    assert email.subject == "[MSO Network] Confirm your email address"
    assert_in_the_portal_layout(email)
    assert "signing up to the MSO Network" in email.body_text
    message = mail.outbox[0]
    assert [kind for _, kind in message.alternatives] == ["text/html"]
    assert message.alternatives[0][0] == email.body_html

    link = next(link for link in html_links(email) if "/accounts/confirm-email/" in link)
    assert link in email.body_text
    assert link.startswith("http://testserver/")  # the address the request came to
    client.post(link.removeprefix("http://testserver"))
    assert EmailAddress.objects.get(email="new.officer@nhs.net").verified


def test_account_email_links_and_the_portal_s_own_agree_when_the_server_serves_site_url(client, db, settings):
    settings.SITE_URL = "http://127.0.0.1:8101"  # as `make run PORT=8101` sets it

    client.post(
        reverse("account_signup"),
        {"email": "new.officer@nhs.net", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_HOST="127.0.0.1:8101",
    )

    link = next(link for link in html_links(OutboundEmail.objects.get()) if "/accounts/confirm-email/" in link)
    assert link.startswith(settings.SITE_URL + "/accounts/confirm-email/")


def test_sign_up_with_an_address_that_has_an_account_sends_a_branded_email_with_the_reset_link(client, db):
    user = UserFactory(email="officer@nhs.net")
    EmailAddress.objects.create(user=user, email="officer@nhs.net", verified=True, primary=True)

    sign_up(client, "officer@nhs.net")

    email = OutboundEmail.objects.get()
    assert email.template == "account_already_exists"
    assert_in_the_portal_layout(email)
    assert "http://testserver" + reverse("account_reset_password") in html_links(email)


def test_password_reset_email_is_branded_and_its_link_opens_the_new_password_form(client, db):
    user = UserFactory(email="officer@nhs.net")
    EmailAddress.objects.create(user=user, email="officer@nhs.net", verified=True, primary=True)

    client.post(reverse("account_reset_password"), {"email": "officer@nhs.net"})

    email = OutboundEmail.objects.get()
    assert email.subject == "[MSO Network] Reset your password"
    assert_in_the_portal_layout(email)
    link = next(link for link in html_links(email) if "/accounts/password/reset/key/" in link)
    form = client.get(client.get(link.removeprefix("http://testserver")).url)
    assert form.status_code == 200
    assert 'name="password1"' in form.content.decode()


def test_a_password_change_sends_a_branded_notice_saying_where_it_came_from(client, db):
    user = UserFactory(email="officer@nhs.net")
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email="officer@nhs.net", verified=True, primary=True)
    client.post(reverse("account_login"), {"login": "officer@nhs.net", "password": PASSWORD})

    new_password = "a new long passphrase 2026"
    client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )

    email = OutboundEmail.objects.get(template="password_changed")
    assert email.subject == "[MSO Network] Your password has changed"
    assert_in_the_portal_layout(email)
    assert "This change was made to your MSO Network account" in email.body_text
    assert "IP address: 127.0.0.1" in email.body_text


def test_account_email_sent_outside_a_request_is_in_the_portal_layout_too(db):
    get_adapter().send_mail("account/email/email_confirmation", "officer@nhs.net", {"activate_url": "https://x/"})

    email = OutboundEmail.objects.get()
    assert_in_the_portal_layout(email)
    assert "an account on the MSO Network" in email.body_text
