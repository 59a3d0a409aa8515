"""The partner API's outcome table: every address x every kind of caller (no key, a signed-in
portal user without a key, a revoked, an expired or a wrong key, and a key of each scope), each
cell's outcome written once in TABLE."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PartnerKeyFactory

CALLERS = ("no_key", "session", "wrong", "revoked", "expired", "register", "contacts", "coverage")

# 200c: 200 with the officers' contact details; 200: 200 without them.
TABLE_TEXT = """
# address            no_key session wrong revoked expired register contacts coverage
api:organisations    401    401     401   401     401     200      200c     403
api:organisation     401    401     401   401     401     200      200c     403
api:networks         401    401     401   401     401     200      200c     403
api:coverage         401    401     401   401     401     403      403      200
api:schema           200    200     200   200     200     200      200      200
api:docs             200    200     200   200     200     200      200      200
api:not-found        404    404     404   404     404     404      404      404
"""


def _parse(text):
    table = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            name, *cells = line.split()
            assert len(cells) == len(CALLERS)
            table[name] = dict(zip(CALLERS, cells, strict=True))
    return table


TABLE = _parse(TABLE_TEXT)
ARGS = {"api:organisation": ["RAL"], "api:not-found": ["no-such-thing/"]}
# Whose work email shows that an address gave contact details: organisation A's MSO, network A's chair.
CONTACT = {"api:networks": "chair.a@nhs.net"}


@pytest.fixture
def callers(world):
    """A client and the headers it sends, for each caller."""
    past = timezone.now() - datetime.timedelta(minutes=1)
    register = PartnerKeyFactory()
    keys = {
        "wrong": f"{register.prefix}.not-the-secret",
        "revoked": PartnerKeyFactory(revoked=True).secret,
        "expired": PartnerKeyFactory(expiry_date=past).secret,
        "register": register.secret,
        "contacts": PartnerKeyFactory(scope_contacts=True).secret,
        "coverage": PartnerKeyFactory(scope_register=False, scope_coverage=True).secret,
    }
    made = {}
    for caller in CALLERS:
        client = Client(raise_request_exception=False)
        if caller == "session":
            client.force_login(world.lead)
        made[caller] = (client, {"X-API-Key": keys[caller]} if caller in keys else {})
    return made


def test_the_table_has_a_row_for_every_api_address():
    from tests.access.test_matrix import ROUTES

    assert {name for name in ROUTES if name.startswith("api:")} == set(TABLE)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_api_outcomes(name, world, callers):
    url = reverse(name, args=ARGS.get(name, []))
    errors = []
    refusals = {}
    for caller, expected in TABLE[name].items():
        client, headers = callers[caller]
        response = client.get(url, headers=headers)
        status = int(expected.rstrip("c"))
        if response.status_code != status:
            errors.append(f"{caller}: expected {status}, got {response.status_code}")
            continue
        if name in ("api:schema", "api:docs"):
            continue
        assert response["Content-Type"].startswith("application/json"), f"{caller}: not JSON"
        body = response.json()
        if status >= 400:
            assert set(body) >= {"code", "message"}, f"{caller}: {body}"
            assert "RAL" not in response.content.decode() or name == "api:not-found", f"{caller} saw data"
            refusals.setdefault(status, set()).add(response.content)
        shows_contacts = CONTACT.get(name, world.mso_person.work_email) in response.content.decode()
        if status == 200 and shows_contacts != expected.endswith("c"):
            errors.append(f"{caller}: contact details {'shown' if shows_contacts else 'missing'}")
        if status == 401:
            assert response["WWW-Authenticate"].startswith("Api-Key")
    # No key, a wrong, a revoked and an expired key get the same answer: it tells nothing about the keys.
    if name != "api:not-found":
        assert len(refusals.get(401, ())) <= 1, refusals[401]
    assert not errors, f"{name}:\n" + "\n".join(errors)


def test_a_post_is_refused_and_writes_nothing(world, callers):
    client, headers = callers["contacts"]
    response = client.post(reverse("api:organisations"), {}, content_type="application/json", headers=headers)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
