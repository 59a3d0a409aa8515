"""Bad input to every search box, filter and address: arbitrary text (NUL bytes, control characters,
20,000 characters, formula-like text, emoji and right-to-left text, whitespace only) in every query
parameter and in the ODS code of every organisation page's address. Never a server error, never a
write; a field that cannot be read says so."""

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import MeetingFactory
from tests.figures import figures
from tests.strategies import (
    arbitrary_text,
    bad_input_settings,
    db_snapshot,
    rolled_back,
    shows_error,
    snapshot_changes,
    with_nul,
)

# Written by a page that shows contact details, whatever its search: who saw whose details.
VIEW_LOGS = {"audit_contactview", "meetings_exportlog"}

# (URL name, its arguments from the world, who uses it, the query parameters it reads)
SEARCH_PAGES = [
    ("directory:organisations", None, "mso", ["q", "region", "kind", "show", "include_closed", "page"]),
    ("directory:search-json", None, "mso", ["q"]),
    ("registrations:start", None, "no_role", ["q", "page"]),
    ("committees:overview", None, "lead", ["q", "region", "patient_representation", "terms_of_reference", "page"]),
    ("compliance:board", None, "lead", ["q", "kind", "region", "status", "age", "page"]),
    ("workspace:progress", None, "lead", ["q", "region", "role", "page"]),
    ("directory:membership", lambda w: {"slug": w.network_a.slug}, "chair_a", ["q", "kind", "gaps", "page"]),
    ("directory:networks", None, "mso", ["mine", "page"]),
    ("directory:network", lambda w: {"slug": w.network_a.slug}, "chair_a", ["page"]),
    ("handovers:list", None, "lead", ["show", "page"]),
    ("officers:change-queue", None, "lead", ["page"]),
    ("registrations:queue", None, "lead", ["page"]),
    ("officers:team-queue", None, "lead", ["page"]),
    ("imports:index", None, "lead", ["page"]),
    ("dashboard:index", None, "lead", ["region", "page"]),
    ("meetings:attendance-add", lambda w: {"pk": _meeting(w).pk}, "chair_a", ["q", "page"]),
    ("meetings:detail", lambda w: {"pk": _meeting(w).pk}, "chair_a", ["page"]),
    ("imports:job", lambda w: {"pk": _import_job(w).pk}, "lead", ["show", "page"]),
    (
        "directory:membership-export",
        lambda w: {"slug": w.network_a.slug, "file_format": "csv"},
        "chair_a",
        ["q", "kind", "gaps"],
    ),
    (
        "directory:membership-export",
        lambda w: {"slug": w.network_a.slug, "file_format": "xlsx"},
        "chair_a",
        ["q", "kind", "gaps"],
    ),
]


def _meeting(world):
    return MeetingFactory(network=world.network_a)


def _import_job(world):
    from tests.factories import ImportJobFactory

    return ImportJobFactory(user=world.lead)


def _url(world, name, kwargs):
    return reverse(name, kwargs=kwargs(world) if kwargs else None)


@pytest.mark.parametrize(("name", "kwargs", "role", "params"), SEARCH_PAGES, ids=[p[0] for p in SEARCH_PAGES])
@bad_input_settings(max_examples=4)
@given(data=st.data())
def test_search_and_filters_never_fail_on_arbitrary_text(client, world, name, kwargs, role, params, data):
    client.force_login(getattr(world, role))
    query = {param: data.draw(arbitrary_text, label=param) for param in data.draw(st.sets(st.sampled_from(params)))}
    with rolled_back():
        url = _url(world, name, kwargs)
        before = db_snapshot()
        response = client.get(url, query)
        assert response.status_code < 500, (url, query)
        # Only the log of whose contact details the page showed may grow.
        assert set(snapshot_changes(before, db_snapshot())) <= VIEW_LOGS, "a search wrote to the database"
    figures.add("bad_inputs", 1)


FILTER_FORMS = [
    ("directory:organisations", None, "mso", "q"),
    ("registrations:start", None, "no_role", "q"),
    ("committees:overview", None, "lead", "q"),
    ("compliance:board", None, "lead", "q"),
    ("workspace:progress", None, "lead", "region"),
    ("directory:membership", lambda w: {"slug": w.network_a.slug}, "chair_a", "q"),
]


@pytest.mark.parametrize(("name", "kwargs", "role", "param"), FILTER_FORMS, ids=[p[0] for p in FILTER_FORMS])
@bad_input_settings(max_examples=3)
@given(value=with_nul())
def test_search_box_says_a_nul_byte_cannot_be_searched(client, world, name, kwargs, role, param, value):
    """A NUL byte cannot be stored or searched in PostgreSQL: the box shows an error, not a 500."""
    client.force_login(getattr(world, role))
    response = client.get(_url(world, name, kwargs), {param: value})
    assert response.status_code == 200
    assert shows_error(response)
    figures.add("bad_inputs", 1)


@bad_input_settings(max_examples=6)
@given(q=arbitrary_text)
def test_organisation_search_json_answers_any_text_with_json(client, world, q):
    client.force_login(world.mso)
    response = client.get(reverse("directory:search-json"), {"q": q})
    assert response.status_code == 200
    assert isinstance(response.json()["results"], list)
    figures.add("bad_inputs", 1)


# Addresses with an ODS code (or a slug) in them, and who may open each.
ADDRESSES = [
    ("directory:organisation", "ods_code", "mso"),
    ("directory:key-contacts", "ods_code", "mso"),
    ("directory:key-contact-add", "ods_code", "mso"),
    ("directory:board-director", "ods_code", "mso"),
    ("directory:team-propose", "ods_code", "mso"),
    ("committees:detail", "ods_code", "mso"),
    ("committees:edit", "ods_code", "mso"),
    ("committees:member-add", "ods_code", "mso"),
    ("committees:terms-of-reference", "ods_code", "mso"),
    ("committees:terms-of-reference-upload", "ods_code", "mso"),
    ("registrations:create", "ods_code", "no_role"),
    ("dashboard:region", "code", "lead"),
    ("directory:network", "slug", "mso"),
    ("directory:membership", "slug", "chair_a"),
    ("meetings:list", "slug", "lead"),
    ("imports:upload", "dataset", "lead"),
]

address_text = st.one_of(with_nul(), arbitrary_text.filter(lambda s: s and "/" not in s and s not in (".", "..")))


@pytest.mark.parametrize(("name", "arg", "role"), ADDRESSES, ids=[a[0] for a in ADDRESSES])
@bad_input_settings(max_examples=3)
@given(value=address_text)
def test_an_address_with_any_code_is_found_or_not_found(client, world, name, arg, role, value):
    """An ODS code (region code, slug) in the address that is no such thing: 404, never a 500."""
    client.force_login(getattr(world, role))
    url = reverse(name, kwargs={arg: "PLACEHOLDER"}).replace("PLACEHOLDER", _quote(value))
    before = db_snapshot()
    with rolled_back():
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code < 500, (url, method)
        assert set(snapshot_changes(before, db_snapshot())) <= VIEW_LOGS
    figures.add("bad_inputs", 1)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


# Links sent by email, with a key in them: any key that is no such thing is a page saying so.
KEY_ADDRESSES = ["/accounts/confirm-email/{}/", "/accounts/password/reset/key/1a-{}/"]


@pytest.mark.parametrize("address", KEY_ADDRESSES)
@bad_input_settings(max_examples=4)
@given(
    key=st.one_of(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789:-_", min_size=1, max_size=80), address_text)
)
def test_an_emailed_link_with_any_key_never_fails(client, world, address, key):
    with rolled_back():
        before = db_snapshot()
        url = address.format(_quote(key))
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code < 500, url
        assert set(snapshot_changes(before, db_snapshot())) <= VIEW_LOGS
    figures.add("bad_inputs", 1)
