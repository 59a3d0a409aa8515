"""The email domain policy: nhs.net and nhs.uk always trusted, more domains added by the national
lead in the admin, subdomains covered, everything else needing extra checking."""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from tests.factories import UserFactory
from users.models import TrustedEmailDomain, email_domain_is_trusted

ADD_URL = reverse("admin:users_trustedemaildomain_add")
CHANGELIST_URL = reverse("admin:users_trustedemaildomain_changelist")


@pytest.mark.parametrize(
    "email",
    [
        "someone@nhs.net",
        "Someone@NHS.Net",
        "someone@nhs.uk",
        "someone@england.nhs.uk",
        "someone@pharmacy.trust.nhs.uk",
        "someone@nhs.net.",
        " someone@nhs.net ",
    ],
)
def test_nhs_net_and_nhs_uk_and_their_subdomains_are_always_trusted(db, email):
    assert TrustedEmailDomain.objects.count() == 0
    assert email_domain_is_trusted(email)


@pytest.mark.parametrize(
    "email",
    [
        "someone@gmail.com",
        "someone@evilnhs.uk",
        "someone@nhs.uk.example.com",
        "someone@nhs.net.example.org",
        "someone@nhsnet",
        "someone@uk",
        "someone@sub..nhs.uk",
        "someone@",
        "nhs.net",
        "",
    ],
)
def test_other_addresses_are_not_trusted(db, email):
    assert not email_domain_is_trusted(email)


def test_a_domain_added_to_the_table_is_trusted_with_its_subdomains(db):
    TrustedEmailDomain.objects.create(domain="hscni.net", note="Northern Ireland health and social care")

    assert email_domain_is_trusted("someone@hscni.net")
    assert email_domain_is_trusted("someone@belfasttrust.hscni.net")
    assert not email_domain_is_trusted("someone@nothscni.net")
    assert not email_domain_is_trusted("someone@hscni.net.example.com")


def test_the_database_refuses_a_domain_in_upper_case(db):
    with pytest.raises(IntegrityError):
        TrustedEmailDomain.objects.create(domain="Example.org.uk")


# The admin


def test_lead_adds_a_trusted_domain_in_the_admin_and_the_change_is_audited(client, world):
    client.force_login(world.lead)

    response = client.post(ADD_URL, {"domain": " @HSCNI.net ", "note": "Northern Ireland health and social care"})

    assert response.status_code == 302
    domain = TrustedEmailDomain.objects.get()
    assert domain.domain == "hscni.net"
    assert domain.added_by == world.lead
    assert domain.history.get().history_user == world.lead
    assert email_domain_is_trusted("someone@hscni.net")
    content = client.get(CHANGELIST_URL).content.decode()
    assert "besides nhs.net and nhs.uk, which are always trusted" in content
    assert "hscni.net" in content


@pytest.mark.parametrize(
    ("domain", "error"),
    [
        ("nhs.net", "are always trusted and need no entry"),
        ("england.nhs.uk", "are always trusted and need no entry"),
        ("not a domain", "Enter a domain name such as example.org.uk"),
        ("localhost", "Enter a domain name such as example.org.uk"),
        ("Existing.org.uk", "Trusted email domain with this Domain already exists."),
    ],
)
def test_admin_refuses_a_built_in_malformed_or_repeated_domain(client, world, domain, error):
    TrustedEmailDomain.objects.create(domain="existing.org.uk")
    client.force_login(world.lead)

    response = client.post(ADD_URL, {"domain": domain, "note": ""})

    assert response.status_code == 200
    assert error in response.content.decode()
    assert TrustedEmailDomain.objects.count() == 1


def test_only_the_national_lead_manages_trusted_domains(client, world):
    client.force_login(world.mso)
    assert client.get(CHANGELIST_URL).status_code == 302  # to the sign-in: no staff access
    client.force_login(UserFactory(is_staff=True))
    assert client.get(CHANGELIST_URL).status_code == 403
    assert client.post(ADD_URL, {"domain": "example.org.uk"}).status_code == 403
    assert not TrustedEmailDomain.objects.exists()
