"""Two-factor authentication: an authenticator app for everyone, required of national leads and
network chairs, asked for at sign-in."""

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.urls import reverse

from access.middleware import MFA_REQUIRED_MESSAGE
from networks.models import Membership
from users.adapters import AccountAdapter

PASSWORD = "correct horse battery staple"
SET_UP = reverse("mfa_activate_totp")
DIRECTORY = reverse("directory:organisations")


@pytest.fixture(autouse=True)
def _totp_tolerance(settings):
    """Accepts the code of the previous 30 seconds too, so a test that crosses into a new period
    between making a code and sending it does not fail."""
    settings.MFA_TOTP_TOLERANCE = 1


def code_for_secret(secret, steps=0):
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + steps))


def wrong_code_for_secret(secret):
    valid = {code_for_secret(secret, steps) for steps in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def secret_of(user):
    return decrypt(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"])


def confirmed(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def without_authenticator_app(user):
    Authenticator.objects.filter(user=user).delete()
    return user


def sign_in(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def confirm_password(client):
    """Enters the password again: allauth asks for it before two-factor authentication changes."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def is_signed_in(client):
    return "_auth_user_id" in client.session


# Required of national leads and network chairs


@pytest.mark.parametrize("role", ["chair_a", "lead"])
def test_lead_or_chair_without_an_authenticator_app_is_sent_to_set_one_up(client, world, role):
    client.force_login(without_authenticator_app(getattr(world, role)))

    for url in [DIRECTORY, reverse("directory:home"), reverse("directory:networks"), reverse("admin:index")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == SET_UP, url


def test_chair_signing_in_without_an_authenticator_app_is_told_why_they_must_set_one_up(client, world):
    chair = confirmed(without_authenticator_app(world.chair_a))
    sign_in(client, chair)

    response = client.get(DIRECTORY, follow=True)

    # Having just entered the password to sign in, the chair is not asked for it again.
    assert response.redirect_chain == [(SET_UP, 302)]
    content = response.content.decode()
    assert MFA_REQUIRED_MESSAGE in content
    assert "<h1>Set up an authenticator app</h1>" in content
    assert 'src="data:image/svg+xml;base64,' in content
    assert client.session[SECRET_SESSION_KEY] in content


def test_setting_up_an_authenticator_app_says_so_in_one_banner(rf):
    # allauth makes the recovery codes as the app is set up and says so in a banner of its own; the
    # page that follows shows the codes, so the portal keeps one banner.
    request = rf.post(SET_UP)
    request.session = {}
    request._messages = FallbackStorage(request)
    adapter = AccountAdapter()

    with allauth_context.request_context(request):
        adapter.add_message(request, messages.SUCCESS, "mfa/messages/totp_activated.txt")
        adapter.add_message(request, messages.WARNING, "mfa/messages/recovery_codes_generated.txt")

    assert [str(message) for message in request._messages] == [
        "Two-factor authentication is on. Keep your recovery codes below somewhere safe: you will need one "
        "if you cannot use your phone."
    ]


def test_new_recovery_codes_asked_for_on_their_own_get_their_banner(rf):
    request = rf.post(reverse("mfa_generate_recovery_codes"))
    request.session = {}
    request._messages = FallbackStorage(request)

    with allauth_context.request_context(request):
        AccountAdapter().add_message(request, messages.WARNING, "mfa/messages/recovery_codes_generated.txt")

    assert len(list(request._messages)) == 1


def test_a_sign_in_without_the_password_still_asks_for_it_before_two_factor_changes(client, world):
    # Following the link that confirms an email address signs in without the password.
    chair = confirmed(without_authenticator_app(world.chair_a))
    client.force_login(chair)

    response = client.get(SET_UP)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))


@pytest.mark.parametrize("role", ["chair_a", "lead"])
def test_lead_or_chair_with_an_authenticator_app_reaches_the_page(client, world, role):
    client.force_login(getattr(world, role))
    assert client.get(DIRECTORY).status_code == 200


@pytest.mark.parametrize("role", ["mso", "no_role"])
def test_officer_or_user_without_a_role_is_not_made_to_set_up_an_authenticator_app(client, world, role):
    user = getattr(world, role)
    assert not Authenticator.objects.filter(user=user).exists()
    client.force_login(user)
    assert client.get(reverse("directory:home")).status_code == 200


def test_vice_chair_must_set_up_an_authenticator_app_too(client, world):
    Membership.objects.filter(person__user=world.chair_a).update(role=Membership.Role.VICE_CHAIR)
    client.force_login(without_authenticator_app(world.chair_a))
    assert client.get(DIRECTORY).url == SET_UP


def test_account_pages_sign_out_and_health_check_stay_open_before_set_up(client, world):
    client.force_login(without_authenticator_app(world.chair_a))

    for url in [reverse("account_email"), reverse("account_change_password"), reverse("mfa_index"), "/healthz/"]:
        assert client.get(url).status_code == 200, url
    client.post(reverse("account_logout"))
    assert not is_signed_in(client)


def test_chair_sets_up_an_authenticator_app_then_sees_recovery_codes_and_reaches_the_page(client, world):
    chair = confirmed(without_authenticator_app(world.chair_a))
    sign_in(client, chair)
    confirm_password(client)
    assert client.get(SET_UP).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post(SET_UP, {"code": code_for_secret(secret)}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("mfa_view_recovery_codes")
    content = response.content.decode()
    assert "<h1>Your recovery codes</h1>" in content
    for code in RecoveryCodes(Authenticator.objects.get(user=chair, type="recovery_codes")).get_unused_codes():
        assert f"<code>{code}</code>" in content
    assert Authenticator.objects.filter(user=chair, type=Authenticator.Type.TOTP).exists()
    assert client.get(DIRECTORY).status_code == 200


def test_set_up_refuses_a_wrong_code(client, world):
    chair = confirmed(without_authenticator_app(world.chair_a))
    sign_in(client, chair)
    confirm_password(client)
    client.get(SET_UP)

    response = client.post(SET_UP, {"code": wrong_code_for_secret(client.session[SECRET_SESSION_KEY])})

    content = response.content.decode()
    assert response.status_code == 200
    assert "nhsuk-error-summary" in content
    assert "The code is not right." in content
    assert not Authenticator.objects.filter(user=chair).exists()


def test_any_user_can_set_up_an_authenticator_app_from_their_account(client, world):
    mso = confirmed(world.mso)
    sign_in(client, mso)
    confirm_password(client)
    content = client.get(reverse("mfa_index")).content.decode()
    assert "<h1>Two-factor authentication</h1>" in content
    assert f'href="{SET_UP}"' in content
    assert client.get(SET_UP).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    client.post(SET_UP, {"code": code_for_secret(secret)})
    assert Authenticator.objects.filter(user=mso, type=Authenticator.Type.TOTP).exists()


# Sign-in asks for the code


def test_sign_in_with_an_authenticator_app_asks_for_a_code_and_accepts_a_valid_one(client, world):
    chair = confirmed(world.chair_a)

    response = sign_in(client, chair)

    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert not is_signed_in(client)
    content = client.get(response.url).content.decode()
    assert "<h1>Enter your security code</h1>" in content
    assert 'autocomplete="one-time-code"' in content

    response = client.post(reverse("mfa_authenticate"), {"code": code_for_secret(secret_of(chair))})

    assert response.status_code == 302
    assert is_signed_in(client)
    assert client.get(DIRECTORY).status_code == 200


def test_sign_in_refuses_a_wrong_code(client, world):
    chair = confirmed(world.chair_a)
    sign_in(client, chair)

    response = client.post(reverse("mfa_authenticate"), {"code": wrong_code_for_secret(secret_of(chair))})

    assert response.status_code == 200
    assert "The code is not right." in response.content.decode()
    assert not is_signed_in(client)


def test_sign_in_accepts_a_recovery_code_once(client, world):
    chair = confirmed(world.chair_a)
    recovery_code = RecoveryCodes.activate(chair).get_unused_codes()[0]
    sign_in(client, chair)

    client.post(reverse("mfa_authenticate"), {"code": recovery_code})

    assert is_signed_in(client)
    client.post(reverse("account_logout"))
    sign_in(client, chair)
    client.post(reverse("mfa_authenticate"), {"code": recovery_code})
    assert not is_signed_in(client)


def test_two_factor_pages_render_in_the_nhsuk_layout(client, world):
    chair = confirmed(world.chair_a)
    RecoveryCodes.activate(chair)
    sign_in(client, chair)
    client.post(reverse("mfa_authenticate"), {"code": code_for_secret(secret_of(chair))})
    confirm_password(client)

    for url, heading in [
        (reverse("mfa_index"), "Two-factor authentication"),
        (reverse("mfa_deactivate_totp"), "Turn off your authenticator app"),
        (reverse("mfa_view_recovery_codes"), "Your recovery codes"),
        (reverse("mfa_generate_recovery_codes"), "Create new recovery codes"),
    ]:
        response = client.get(url)
        content = response.content.decode()
        assert response.status_code == 200, url
        assert 'class="nhsuk-header"' in content
        assert f"<h1>{heading}</h1>" in content
        assert 'aria-labelledby="account-nav-heading"' in content
