"""Every portal page for each role, anonymous visitors sent to sign in, and the header navigation per role."""

import pytest
from django.urls import reverse

ROLES = ["lead", "mso", "other_mso", "chair_a", "chair_b", "no_role"]


def portal_urls(world):
    return [
        reverse("directory:home"),
        reverse("directory:organisations"),
        reverse("directory:organisation", args=[world.org_a.ods_code]),
        reverse("directory:organisation", args=[world.org_b.ods_code]),
        reverse("directory:person", args=[world.mso_person.pk]),
        reverse("directory:person", args=[world.other_person.pk]),
        reverse("directory:networks"),
        reverse("directory:network", args=[world.national.slug]),
        reverse("directory:network", args=[world.network_a.slug]),
        reverse("directory:network", args=[world.network_b.slug]),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_portal_page_renders_for_each_role(client, world, role):
    client.force_login(getattr(world, role))
    for url in portal_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'id="maincontent"' in response.content
        assert b"MSO Network" in response.content


def test_anonymous_visitor_is_sent_to_sign_in_from_every_portal_page(client, world):
    login_url = reverse("account_login")
    for url in portal_urls(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{login_url}?next=")


def test_unknown_ods_code_is_not_found(client, world):
    client.force_login(world.no_role)
    assert client.get(reverse("directory:organisation", args=["ZZZ99"])).status_code == 404


def test_unknown_person_and_network_are_not_found(client, world):
    client.force_login(world.no_role)
    assert client.get(reverse("directory:person", args=[999999])).status_code == 404
    assert client.get(reverse("directory:network", args=["no-such-network"])).status_code == 404


def nav_links(response) -> str:
    """The header's navigation menu, as HTML."""
    html = response.content.decode()
    start = html.index('<nav class="nhsuk-header__navigation"')
    return html[start : html.index("</nav>", start)]


def test_everyone_signed_in_sees_organisations_and_networks_in_the_menu(client, world):
    client.force_login(world.no_role)
    menu = nav_links(client.get(reverse("directory:home")))
    assert reverse("directory:organisations") in menu
    assert reverse("directory:networks") in menu
    assert "Admin" not in menu
    assert "My network" not in menu
    assert "My details" not in menu


def test_national_lead_sees_admin_in_the_menu(client, world):
    client.force_login(world.lead)
    menu = nav_links(client.get(reverse("directory:home")))
    assert reverse("admin:index") in menu


def test_chair_sees_their_network_in_the_menu(client, world):
    client.force_login(world.chair_a)
    menu = nav_links(client.get(reverse("directory:home")))
    assert "My network" in menu
    assert world.network_a.get_absolute_url() in menu
    assert world.network_b.get_absolute_url() not in menu


def test_chair_of_several_networks_sees_my_networks_listing_only_theirs(client, world):
    from networks.models import Membership
    from tests.factories import MembershipFactory

    MembershipFactory(person=world.chair_a.person, network=world.national, role=Membership.Role.VICE_CHAIR)
    client.force_login(world.chair_a)
    menu = nav_links(client.get(reverse("directory:home")))
    assert "My networks" in menu
    response = client.get(reverse("directory:networks") + "?mine=1")
    assert {n.slug for n in response.context["networks"]} == {"national", "london"}
    assert world.network_b.get_absolute_url().encode() not in response.content


def test_officer_sees_my_details_linking_to_their_person_page(client, world):
    client.force_login(world.mso)
    menu = nav_links(client.get(reverse("directory:home")))
    assert "My details" in menu
    assert world.mso_person.get_absolute_url() in menu


def test_sign_out_is_a_post_form_in_the_header(client, world):
    client.force_login(world.no_role)
    html = client.get(reverse("directory:home")).content.decode()
    header = html[html.index("<header") : html.index("</header>")]
    assert f'action="{reverse("account_logout")}" method="post"' in header
    assert "csrfmiddlewaretoken" in header


def test_pages_load_nhsuk_frontend_from_static_files_without_inline_script(client, world):
    client.force_login(world.no_role)
    html = client.get(reverse("directory:organisations")).content.decode()
    assert "/static/nhsuk/nhsuk/nhsuk-frontend.min.css" in html
    assert '<script type="module" src="/static/js/application.js"></script>' in html
    assert "<script>" not in html
    assert "https://" not in html.split("<body", 1)[0]


def test_home_explains_what_to_do_without_a_role(client, world):
    client.force_login(world.no_role)
    assert b"You do not have a role in the network yet" in client.get(reverse("directory:home")).content


def test_home_shows_the_officer_their_organisation(client, world):
    client.force_login(world.mso)
    response = client.get(reverse("directory:home"))
    assert world.org_a.get_absolute_url().encode() in response.content
    assert b"You do not have a role" not in response.content


def test_home_shows_the_chair_their_networks(client, world):
    client.force_login(world.chair_b)
    response = client.get(reverse("directory:home"))
    assert b"Networks you chair" in response.content
    assert world.network_b.get_absolute_url().encode() in response.content


def test_home_shows_the_lead_the_admin(client, world):
    client.force_login(world.lead)
    main = client.get(reverse("directory:home")).content.decode().split('id="maincontent"')[1]
    assert reverse("admin:index") in main
