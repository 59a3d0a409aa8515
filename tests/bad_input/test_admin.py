"""Bad input in the admin, the national lead's tool for the whole register: every change page of the
register's main records, posted with one to three fields corrupted (arbitrary text, NUL bytes,
20,000 characters, malformed ODS codes, email addresses, telephone numbers and dates, an end before
its start). The page never fails; what is refused writes nothing and the page says what is wrong."""

import pytest
from django.forms import MultiWidget
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import CommitteeFactory, KeyContactFactory, MeetingFactory
from tests.figures import figures
from tests.strategies import (
    arbitrary_text,
    bad_email,
    bad_input_settings,
    bad_ods_code,
    bad_phone,
    db_snapshot,
    rolled_back,
    shows_error,
    snapshot_changes,
)


def _value(bound_field):
    value = bound_field.value()
    if value is None:
        return None
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, list | tuple):
        return [str(getattr(item, "pk", item)) for item in value]
    return str(getattr(value, "pk", value))


def _form_data(form, data: dict) -> None:
    for name in form.fields:
        bound = form[name]
        if isinstance(bound.field.widget, MultiWidget):
            for index, part in enumerate(bound.field.widget.decompress(bound.value())):
                data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
            continue
        value = _value(bound)
        if value is not None:
            data[bound.html_name] = value


def admin_post_data(response) -> dict:
    """What the admin's change page would post unchanged: its form's values and its inlines'."""
    data = {}
    _form_data(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management[name].value()
        for form in formset.forms:
            _form_data(form, data)
    return data


# (admin URL name, the record to change, who it is, the fields to corrupt and how)
ADMIN_CASES = {
    "person": (
        "admin:officers_person_change",
        lambda w: w.mso_person,
        {"first_name": "text", "last_name": "text", "work_email": "email", "phone": "phone", "job_title": "text"},
    ),
    "organisation": (
        "admin:organisations_organisation_change",
        lambda w: w.org_a,
        {
            "ods_code": "ods",
            "name": "text",
            "generic_mailbox": "email",
            "board_director_email": "email",
            "opened_on": "date",
            "closed_on": "date",
            "postcode": "text",
        },
    ),
    "key-contact": (
        "admin:organisations_keycontact_change",
        lambda w: KeyContactFactory(organisation=w.org_a),
        {"name": "text", "email": "email", "phone": "phone"},
    ),
    "appointment": (
        "admin:officers_appointment_change",
        lambda w: w.mso_appointment,
        {"start_date": "date", "end_date": "date", "mhra_reference": "text", "mhra_registered_on": "date"},
    ),
    "meeting": (
        "admin:meetings_meeting_change",
        lambda w: MeetingFactory(network=w.network_a),
        {"title": "text", "held_on": "date"},
    ),
    "committee": (
        "admin:committees_committee_change",
        lambda w: CommitteeFactory(organisation=w.org_a),
        {"name": "text", "chair_name": "text", "last_met_on": "date"},
    ),
    "region": ("admin:organisations_region_change", lambda w: w.london, {"code": "ods", "name": "text"}),
}

BAD_ADMIN_DATES = ["31/02/2024", "2024-13-01", "yesterday", "0000-00-00", "99999-01-01", "1-1-1", "2024-02-30\x00"]


@st.composite
def admin_changes(draw, fields: dict):
    names = draw(st.lists(st.sampled_from(list(fields)), min_size=1, max_size=3, unique=True))
    changes = {}
    must_refuse = []
    for name in names:
        kind = fields[name]
        if kind == "text":
            value = draw(arbitrary_text)
            if "\x00" in value or len(value) > 400:
                must_refuse.append(name)
        elif kind == "email":
            value = draw(bad_email.filter(lambda s: s.strip()))
            must_refuse.append(name)
        elif kind == "phone":
            value = draw(bad_phone)
            must_refuse.append(name)
        elif kind == "ods":
            value = draw(bad_ods_code)
            must_refuse.append(name)
        else:
            value = draw(st.one_of(st.sampled_from(BAD_ADMIN_DATES), arbitrary_text.filter(lambda s: s.strip())))
            must_refuse.append(name)
        changes[name] = value
    return changes, must_refuse


@pytest.mark.parametrize("case", list(ADMIN_CASES))
@bad_input_settings(max_examples=6)
@given(data=st.data())
def test_admin_change_page_refuses_bad_input_with_a_message_and_writes_nothing(client, world, case, data):
    url_name, record, fields = ADMIN_CASES[case]
    changes, must_refuse = data.draw(admin_changes(fields), label="changes")
    client.force_login(world.lead)
    with rolled_back():
        obj = record(world)
        url = reverse(url_name, args=[obj.pk])
        post = admin_post_data(client.get(url))
        post.update(changes)
        before = db_snapshot()
        response = client.post(url, post)
        assert response.status_code < 500
        after = db_snapshot()
        if must_refuse:
            assert response.status_code == 200, f"{case}: {changes} accepted: {snapshot_changes(before, after)}"
        if response.status_code == 200:
            assert after == before, snapshot_changes(before, after)
            assert shows_error(response)
    figures.add("bad_inputs", 1)


@pytest.mark.parametrize("case", list(ADMIN_CASES))
def test_admin_change_page_posted_unchanged_is_saved(client, world, case):
    """The post the examples start from is a valid one: saved, so a refusal is the bad input's."""
    url_name, record, _ = ADMIN_CASES[case]
    client.force_login(world.lead)
    url = reverse(url_name, args=[record(world).pk])
    response = client.post(url, admin_post_data(client.get(url)))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response


@pytest.mark.parametrize(
    ("case", "start", "end"),
    [("organisation", "opened_on", "closed_on"), ("appointment", "start_date", "end_date")],
)
def test_admin_refuses_an_end_before_its_start_with_a_message(client, world, case, start, end):
    url_name, record, _ = ADMIN_CASES[case]
    client.force_login(world.lead)
    url = reverse(url_name, args=[record(world).pk])
    post = admin_post_data(client.get(url))
    post.update({start: "2024-06-01", end: "2024-05-31"})
    if case == "appointment":
        post["status"] = "ended"
    before = db_snapshot()
    response = client.post(url, post)
    assert response.status_code == 200
    assert shows_error(response)
    assert db_snapshot() == before
    figures.add("bad_inputs", 1)


def test_admin_person_phone_with_letters_is_refused_with_the_portal_s_message(client, world):
    client.force_login(world.lead)
    url = reverse("admin:officers_person_change", args=[world.mso_person.pk])
    post = admin_post_data(client.get(url))
    post["phone"] = "call the switchboard"
    response = client.post(url, post)
    assert response.status_code == 200
    assert "Enter a telephone number, like 020 7946 0000" in response.content.decode()
    world.mso_person.refresh_from_db()
    assert world.mso_person.phone != "call the switchboard"
    figures.add("bad_inputs", 1)
