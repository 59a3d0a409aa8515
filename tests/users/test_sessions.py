"""Sessions and accounts: the session id changes at sign-in; sessions end after 30 idle minutes and
12 hours after signing in; deactivating an account ends its sessions; changing the email address or
turning two-factor authentication off needs the password again; a password reset request looks the
same whether or not the address has an account."""

import datetime
import io

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from tests.factories import TOTPAuthenticatorFactory, UserFactory
from users.models import User, UserSession
from users.services import sessions_clear_expired, user_sessions_end
from users.tasks import clear_expired_sessions

PASSWORD = "correct horse battery staple"
HOME = reverse("directory:home")
LOGIN = reverse("account_login")
START = datetime.datetime(2026, 11, 23, 8, 0, tzinfo=datetime.UTC)


def confirmed_user(email="officer@nhs.net", **kwargs):
    user = UserFactory(email=email, **kwargs)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def sign_in(client, user):
    response = client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return response


def session_key(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def is_signed_in(client) -> bool:
    return client.get(HOME).status_code == 200


def signed_out_to_login(response) -> bool:
    return response.status_code == 302 and response.url.startswith(LOGIN)


# The session id changes at sign-in


def test_session_id_changes_at_sign_in_and_the_old_one_is_gone(client, db):
    user = confirmed_user()
    client.get(LOGIN)
    session = client.session
    session["before_sign_in"] = True
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    before = session.session_key

    sign_in(client, user)

    after = session_key(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.get(session_key=after).get_decoded()["_auth_user_id"] == str(user.pk)
    assert UserSession.objects.get(session_key=after).user == user


def test_signing_in_lands_on_the_page_without_a_banner_and_the_header_names_the_person(client, db):
    user = confirmed_user(name="Priya Sandhu")
    response = client.post(LOGIN, {"login": user.email, "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert list(response.context["messages"]) == []
    assert "Successfully signed in" not in response.content.decode()
    assert "Priya Sandhu" in response.content.decode()


def test_session_cookie_is_http_only_and_same_site_lax(client, db):
    response = sign_in(client, confirmed_user())
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


# Idle and absolute timeouts


def test_thirty_minutes_without_a_request_signs_the_user_out(client, db):
    user = confirmed_user()
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user)
        assert is_signed_in(client)
        traveller.shift(datetime.timedelta(minutes=29))
        assert is_signed_in(client)
        traveller.shift(datetime.timedelta(minutes=31))
        assert signed_out_to_login(client.get(HOME))


def test_requests_keep_the_session_alive_past_thirty_minutes(client, db):
    user = confirmed_user()
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user)
        for _ in range(6):  # two hours in all, never 30 minutes idle
            traveller.shift(datetime.timedelta(minutes=20))
            assert is_signed_in(client)


def test_twelve_hours_after_sign_in_the_user_is_signed_out_however_active(client, db):
    user = confirmed_user()
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user)
        for _ in range(28):  # a request every 25 minutes: 11 hours 40 minutes
            traveller.shift(datetime.timedelta(minutes=25))
            assert is_signed_in(client)
        traveller.shift(datetime.timedelta(minutes=25))  # 12 hours 5 minutes after signing in

        response = client.get(HOME, follow=True)

    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert "You were signed out because you signed in more than 12 hours ago" in response.content.decode()
    assert not UserSession.objects.filter(user=user).exists()


def test_timeouts_follow_the_settings(client, db, settings):
    settings.SESSION_IDLE_TIMEOUT = settings.SESSION_COOKIE_AGE = 5 * 60
    settings.SESSION_ABSOLUTE_TIMEOUT = 60 * 60
    user = confirmed_user()
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user)
        traveller.shift(datetime.timedelta(minutes=6))
        assert signed_out_to_login(client.get(HOME))

        sign_in(client, user)
        for _ in range(14):  # 56 minutes
            traveller.shift(datetime.timedelta(minutes=4))
            assert is_signed_in(client)
        traveller.shift(datetime.timedelta(minutes=4))
        response = client.get(HOME, follow=True)
    assert "You were signed out because you signed in more than 1 hour ago" in response.content.decode()


def test_an_idle_session_is_signed_out_with_a_message_whatever_the_session_store(client, db, settings):
    # The stored session outlives the idle timeout here, so the portal's own check must end it.
    settings.SESSION_COOKIE_AGE = 24 * 60 * 60
    user = confirmed_user()
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user)
        traveller.shift(datetime.timedelta(minutes=31))
        response = client.get(HOME, follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert "You were signed out because you had not used the portal for 30 minutes" in response.content.decode()


def test_clearing_expired_sessions_forgets_sessions_past_the_absolute_timeout(client, db):
    user = confirmed_user()
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user)
        traveller.shift(datetime.timedelta(hours=1))
        assert sessions_clear_expired() == 0  # expired in the store, still within 12 hours of signing in
        assert not Session.objects.exists()
        traveller.shift(datetime.timedelta(hours=12))
        out = io.StringIO()
        call_command("clear_expired_sessions", stdout=out)
    assert out.getvalue().strip() == "forgotten=1"
    assert not UserSession.objects.exists()
    assert clear_expired_sessions.delay().get() == "forgotten=0"
    assert settings.CELERY_BEAT_SCHEDULE["clear-expired-sessions"]["task"] == clear_expired_sessions.name


# Deactivating an account ends its sessions


def change_form_data(response):
    """The POST data a browser would send back from an admin change page."""
    data = {}
    for field in response.context["adminform"].form:
        value = field.value()
        if value is None or value is False:
            continue
        data[field.html_name] = "on" if value is True else value
    return data


def test_deactivating_a_user_in_the_admin_ends_their_sessions_for_good(client, world, django_user_model):
    officer = confirmed_user("leaving.officer@nhs.net")
    from django.test import Client

    laptop, phone = Client(), Client()
    sign_in(laptop, officer)
    sign_in(phone, officer)
    old_cookie = session_key(laptop)
    assert is_signed_in(laptop) and is_signed_in(phone)

    client.force_login(world.lead)
    url = reverse("admin:users_user_change", args=[officer.pk])
    data = change_form_data(client.get(url))
    data.pop("is_active")
    assert client.post(url, data).status_code == 302

    officer.refresh_from_db()
    assert not officer.is_active
    assert not Session.objects.filter(session_key=old_cookie).exists()
    assert not UserSession.objects.filter(user=officer).exists()
    assert signed_out_to_login(laptop.get(HOME))
    assert signed_out_to_login(phone.get(HOME))
    # Made active again, the account still needs a new sign-in: the old cookie no longer gets in.
    User.objects.filter(pk=officer.pk).update(is_active=True)
    stale = Client()
    stale.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    assert signed_out_to_login(stale.get(HOME))
    assert is_signed_in(client)  # the lead's own session is untouched


@pytest.mark.parametrize("engine", ["db", "cached_db", "cache"])
def test_ending_a_users_sessions_ends_them_in_every_session_store(client, db, settings, engine):
    # With cached_db a session lives in the cache as well as the database: both copies must go.
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    officer = confirmed_user("moving.officer@nhs.net")
    sign_in(client, officer)
    assert is_signed_in(client)

    assert user_sessions_end(users=[officer]) == 1
    assert signed_out_to_login(client.get(HOME))
    assert not UserSession.objects.filter(user=officer).exists()


def test_other_admin_changes_to_a_user_leave_their_sessions_alone(client, world):
    officer = confirmed_user("staying.officer@nhs.net")
    from django.test import Client

    laptop = Client()
    sign_in(laptop, officer)
    client.force_login(world.lead)
    url = reverse("admin:users_user_change", args=[officer.pk])
    data = change_form_data(client.get(url))
    data["name"] = "Staying Officer"
    assert client.post(url, data).status_code == 302
    assert is_signed_in(laptop)


# Recent re-authentication for the email address and two-factor authentication


def test_signing_in_with_the_password_counts_as_entering_it_again_for_five_minutes(client, db):
    user = confirmed_user("old.address@nhs.net")
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user)

        # Straight after signing in, a change allauth guards goes ahead without the password again...
        response = client.post(reverse("account_email"), {"action_add": "", "email": "new.address@nhs.net"})
        assert not response.url.startswith(reverse("account_reauthenticate"))
        assert EmailAddress.objects.filter(user=user, email="new.address@nhs.net", verified=False).exists()

        # ...but not once five minutes have passed.
        traveller.shift(datetime.timedelta(minutes=6))
        client.get(HOME)  # still signed in, within the idle timeout
        response = client.post(reverse("account_email"), {"action_remove": "", "email": "new.address@nhs.net"})
        assert response.url.startswith(reverse("account_reauthenticate"))
        assert EmailAddress.objects.filter(email="new.address@nhs.net").exists()


def test_adding_an_email_address_needs_the_password_again(client, db):
    user = confirmed_user("old.address@nhs.net")
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user)
        traveller.shift(datetime.timedelta(minutes=6))

        response = client.post(reverse("account_email"), {"action_add": "", "email": "new.address@nhs.net"})

        assert response.status_code == 302
        assert response.url.startswith(reverse("account_reauthenticate"))
        assert not EmailAddress.objects.filter(email="new.address@nhs.net").exists()
        assert mail.outbox == []

        # With the password entered, the change goes ahead (allauth resumes the request)...
        response = client.post(response.url, {"password": PASSWORD})
        assert EmailAddress.objects.filter(user=user, email="new.address@nhs.net", verified=False).exists()

        # ...and for five minutes after it; then the password is asked for again.
        traveller.shift(datetime.timedelta(minutes=6))
        client.get(HOME)  # still signed in, within the idle timeout
        response = client.post(reverse("account_email"), {"action_remove": "", "email": "new.address@nhs.net"})
        assert response.url.startswith(reverse("account_reauthenticate"))
        assert EmailAddress.objects.filter(email="new.address@nhs.net").exists()


def test_making_another_address_primary_needs_the_password_again(client, db):
    user = confirmed_user("old.address@nhs.net")
    EmailAddress.objects.create(user=user, email="second.address@nhs.net", verified=True, primary=False)
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user)
        traveller.shift(datetime.timedelta(minutes=6))

        response = client.post(reverse("account_email"), {"action_primary": "", "email": "second.address@nhs.net"})

    assert response.url.startswith(reverse("account_reauthenticate"))
    user.refresh_from_db()
    assert user.email == "old.address@nhs.net"


def test_turning_off_two_factor_authentication_needs_the_password_again(client, db):
    user = confirmed_user()
    TOTPAuthenticatorFactory(user=user)
    client.force_login(user)
    deactivate = reverse("mfa_deactivate_totp")

    response = client.post(deactivate)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(deactivate)
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


# Password reset does not tell who has an account


@pytest.fixture
def committing(client, django_capture_on_commit_callbacks):
    send = client.request

    def request(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return send(**kwargs)

    client.request = request
    return client


def strip_tokens(content: str) -> str:
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content)


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(committing, db):
    confirmed_user("known@nhs.net")
    client = committing

    known = client.post(reverse("account_reset_password"), {"email": "known@nhs.net"}, follow=True)
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@nhs.net"}, follow=True)

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("account_reset_password_done"), 302)]
    assert strip_tokens(known.content.decode()) == strip_tokens(unknown.content.decode())
    # Only the known address gets a link to reset a password.
    reset_links = [m.to for m in mail.outbox if "/accounts/password/reset/key/" in m.body]
    assert reset_links == [["known@nhs.net"]]
