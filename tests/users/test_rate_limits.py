"""Sign-in limits fit the NHS: wrong passwords lock the account tried, not the address they came
from, which one trust's thousands of staff share."""

import datetime
import re

import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a new long passphrase 2026"
LOCKED = "This account is locked for up to 15 minutes because the wrong password was entered too many times."
SHARED_ADDRESS = "203.0.113.7"  # one trust's staff, all behind the same address


def make_user(email):
    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=SHARED_ADDRESS)


def is_signed_in(client):
    return "_auth_user_id" in client.session


def test_wrong_passwords_for_one_account_do_not_stop_a_colleague_at_the_same_address(client, db):
    make_user("a.officer@nhs.net")
    make_user("b.officer@nhs.net")
    for _ in range(20):
        sign_in(client, "a.officer@nhs.net", "a wrong password")

    response = sign_in(client, "b.officer@nhs.net")

    assert response.status_code == 302
    assert is_signed_in(client)


def test_an_account_with_too_many_wrong_passwords_is_locked_even_against_its_right_password(client, db):
    make_user("a.officer@nhs.net")
    start = datetime.datetime.now(tz=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(20):
            sign_in(client, "a.officer@nhs.net", "a wrong password")

        traveller.shift(datetime.timedelta(minutes=14))
        response = sign_in(client, "a.officer@nhs.net")

        assert response.status_code == 200
        assert not is_signed_in(client)
        content = response.content.decode()
        assert LOCKED in content
        assert "reset your password" in content

        traveller.shift(datetime.timedelta(minutes=1, seconds=1))
        response = sign_in(client, "a.officer@nhs.net")

        assert response.status_code == 302
        assert is_signed_in(client)  # within the travel: the session is timed from the travelled clock


def test_nine_wrong_passwords_leave_the_account_open(client, db):
    make_user("a.officer@nhs.net")
    for _ in range(9):
        response = sign_in(client, "a.officer@nhs.net", "a wrong password")
        assert LOCKED not in response.content.decode()

    sign_in(client, "a.officer@nhs.net")

    assert is_signed_in(client)


def test_the_tenth_wrong_password_locks_the_account(client, db):
    make_user("a.officer@nhs.net")
    for _ in range(10):
        sign_in(client, "a.officer@nhs.net", "a wrong password")

    response = sign_in(client, "a.officer@nhs.net")

    assert LOCKED in response.content.decode()
    assert not is_signed_in(client)


def test_the_lock_holds_whatever_host_and_port_the_requests_name(client, db):
    make_user("a.officer@nhs.net")
    for attempt in range(10):
        host = ("testserver", "localhost", "127.0.0.1")[attempt % 3]
        client.post(
            reverse("account_login"),
            {"login": "a.officer@nhs.net", "password": "a wrong password"},
            REMOTE_ADDR=SHARED_ADDRESS,
            HTTP_HOST=f"{host}:{8000 + attempt}",
        )

    response = client.post(
        reverse("account_login"),
        {"login": "a.officer@nhs.net", "password": PASSWORD},
        REMOTE_ADDR=SHARED_ADDRESS,
        HTTP_HOST="testserver:9999",
    )

    assert LOCKED in response.content.decode()
    assert not is_signed_in(client)


def test_a_password_reset_still_unlocks_the_account(committing_client, db):
    client = committing_client
    make_user("a.officer@nhs.net")
    for _ in range(10):
        sign_in(client, "a.officer@nhs.net", "a wrong password")
    assert LOCKED in sign_in(client, "a.officer@nhs.net").content.decode()

    client.post(reverse("account_reset_password"), {"email": "a.officer@nhs.net"})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[-1].body).group(1)
    form_url = client.get(link).url  # allauth moves the key out of the address before showing the form
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    sign_in(client, "a.officer@nhs.net", NEW_PASSWORD)
    assert is_signed_in(client)
