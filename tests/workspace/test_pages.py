"""Getting started in post, the pages: the checklist on the home page and on its own page, each item's
page, who may see and tick what (the officer / another organisation's officer / the chair in the
region / a chair elsewhere / the lead), the progress list and the lead's applicability page."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from emails.models import OutboundEmail
from networks.models import Membership
from officers.models import Appointment
from organisations.models import KeyContact
from tests.factories import (
    AppointmentFactory,
    ChecklistHiddenFactory,
    KeyContactFactory,
    MembershipFactory,
    NetworkFactory,
    OrganisationFactory,
    PersonFactory,
    ProgressFactory,
    TOTPAuthenticatorFactory,
    UserFactory,
    WebinarFactory,
    seed_default_applicability,
)
from workspace.models import ChecklistHidden, Item, NotApplicable, Progress, months_before

TODAY = timezone.localdate()
MSO_ITEMS = len(Item.values)
# A start date within GETTING_STARTED_MONTHS: the checklist is offered on the home page and counted.
NEW_IN_POST = TODAY - datetime.timedelta(days=30)

# Who sees an officer's checklist (world.mso, at org_a in London): status of GET, of a tick.
ACCESS = {
    "mso": (200, 302),  # the officer of this organisation, the holder
    "lead": (200, 302),
    "chair_a": (200, 403),  # the chair of the London network: reads only
    "chair_b": (404, 404),  # a chair elsewhere
    "other_mso": (404, 404),  # the officer of another organisation
    "no_role": (404, 404),
}
PROGRESS_QUERIES = 10
# Session, user, the header's navigation (chaired networks, person), the active appointments, whether
# the checklist is hidden, the checklists' nine (checklists_for), the user's registration requests.
HOME_QUERIES = 16


@pytest.fixture(autouse=True)
def _default_applicability(db):
    seed_default_applicability()


@pytest.fixture
def newcomers(world):
    """The test world, its two named MSOs in post for the last 30 days."""
    for appointment in (world.mso_appointment, world.other_appointment):
        appointment.start_date = NEW_IN_POST
        appointment.save(update_fields=["start_date"])
    return world


def item_url(appointment, item, action=""):
    name = "workspace:item-undo" if action == "undo" else "workspace:item"
    return reverse(name, args=[appointment.pk, item.replace("_", "-")])


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the checklist on the home page


def test_home_shows_the_officer_their_checklist_with_progress(client, world, newcomers):
    ProgressFactory(appointment=world.mso_appointment, item=Item.KEY_CONTACTS, done_by=world.mso)
    client.force_login(world.mso)

    page = text(client.get(reverse("directory:home")))

    assert "Getting started as medication safety officer" in page
    assert f"1 of {MSO_ITEMS} done" in page
    for item in Item:
        assert item.label.replace("'", "&#x27;") in page
        assert item_url(world.mso_appointment, item.value) in page
    assert "Make sure you can read and send from your organisation" in page  # a short explanation
    assert f"Done on {TODAY:%-d %B %Y} by {escape(world.mso.get_full_name())}" in page


def test_home_shows_an_mdso_no_mhra_item(client, world, newcomers):
    user = UserFactory()
    AppointmentFactory(
        person=PersonFactory(user=user), organisation=world.org_a, role=Appointment.Role.MDSO, start_date=NEW_IN_POST
    )
    client.force_login(user)

    page = text(client.get(reverse("directory:home")))

    assert "Getting started as medical device safety officer" in page
    assert f"0 of {MSO_ITEMS - 1} done" in page
    assert Item.MHRA_REGISTRATION.label not in page


def test_home_leaves_out_a_checklist_once_everything_is_done(client, world):
    for item in Item.values:
        ProgressFactory(appointment=world.mso_appointment, item=item)
    world.mso_appointment.mhra_registered_on = TODAY
    world.mso_appointment.save()
    client.force_login(world.mso)

    page = text(client.get(reverse("directory:home")))

    assert "Getting started as" not in page
    assert reverse("workspace:checklist", args=[world.mso_appointment.pk]) in page  # still linked from the roles


def test_home_shows_no_checklist_to_someone_without_a_role(client, world):
    client.force_login(world.no_role)
    assert "Getting started as" not in text(client.get(reverse("directory:home")))


def test_home_queries_do_not_grow_with_the_officers_roles(client, world, newcomers, django_assert_max_num_queries):
    client.force_login(world.mso)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("directory:home"))
    for role in (Appointment.Role.DEPUTY_MSO, Appointment.Role.TEAM_MEMBER):
        appointment = AppointmentFactory(person=world.mso_person, role=role, start_date=NEW_IN_POST)
        ProgressFactory(appointment=appointment, item=Item.MAILBOX_ACCESS)
        KeyContactFactory(organisation=appointment.organisation)
    ProgressFactory(appointment=world.mso_appointment, item=Item.KEY_CONTACTS)

    with django_assert_max_num_queries(HOME_QUERIES):
        response = client.get(reverse("directory:home"))

    assert len(response.context["checklists"]) == 3
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("directory:home"))
    assert len(three.captured_queries) == len(one.captured_queries)


def test_home_links_the_lead_and_a_regional_chair_to_the_progress_list(client, world):
    for user in (world.lead, world.chair_a):
        client.force_login(user)
        assert f'href="{reverse("workspace:progress")}"' in text(client.get(reverse("directory:home")))
    client.force_login(world.mso)
    assert f'href="{reverse("workspace:progress")}"' not in text(client.get(reverse("directory:home")))


# --- for the first months in post


def test_home_offers_no_checklist_to_an_officer_long_in_post(client, world):
    assert world.mso_appointment.start_date < TODAY - datetime.timedelta(days=366)
    client.force_login(world.mso)

    page = text(client.get(reverse("directory:home")))

    assert "Getting started as" not in page
    assert "Work through these in your first weeks in post" not in page
    assert reverse("workspace:checklist", args=[world.mso_appointment.pk]) in page  # still linked from the roles


def test_home_offers_the_checklist_for_as_many_months_in_post_as_the_setting_says(client, world, settings):
    client.force_login(world.mso)
    world.mso_appointment.start_date = TODAY - datetime.timedelta(days=40)
    world.mso_appointment.save()

    settings.GETTING_STARTED_MONTHS = 2
    assert "Getting started as medication safety officer" in text(client.get(reverse("directory:home")))
    settings.GETTING_STARTED_MONTHS = 1
    assert "Getting started as" not in text(client.get(reverse("directory:home")))


def test_home_offers_the_checklist_of_the_new_role_only(client, world, newcomers):
    older = AppointmentFactory(person=world.mso_person, role=Appointment.Role.DEPUTY_MSO)
    client.force_login(world.mso)

    response = client.get(reverse("directory:home"))

    assert [view.appointment.pk for view in response.context["checklists"]] == [world.mso_appointment.pk]
    assert "Getting started as deputy medication safety officer" not in text(response)
    assert older.start_date < NEW_IN_POST


def test_an_officer_hides_the_checklist_from_their_home_page_and_shows_it_again(client, world, newcomers):
    client.force_login(world.mso)
    home = text(client.get(reverse("directory:home")))
    assert f'action="{reverse("workspace:hide")}"' in home
    assert "Hide the getting-started checklist" in home

    response = client.post(reverse("workspace:hide"), follow=True)

    page = text(response)
    assert response.redirect_chain == [(reverse("directory:home"), 302)]
    assert "Your getting-started checklist is hidden from your home page" in page
    assert "Getting started as" not in page
    assert "You have hidden your getting-started checklist" in page
    assert ChecklistHidden.objects.filter(person=world.mso_person).exists()

    checklist = text(client.get(reverse("workspace:checklist", args=[world.mso_appointment.pk])))
    assert "You have hidden the getting-started checklist from your home page" in checklist
    assert f'action="{reverse("workspace:show")}"' in checklist

    response = client.post(reverse("workspace:show"), follow=True)

    assert "Your getting-started checklist is shown on your home page again" in text(response)
    assert "Getting started as medication safety officer" in text(response)
    assert not ChecklistHidden.objects.filter(person=world.mso_person).exists()


def test_hiding_the_checklist_hides_it_for_the_person_only(client, world, newcomers):
    client.force_login(world.mso)
    client.post(reverse("workspace:hide"))
    client.force_login(world.other_mso)
    assert "Getting started as medication safety officer" in text(client.get(reverse("directory:home")))


def test_hiding_and_showing_the_checklist_keep_history_with_who_and_why(client, world, newcomers):
    client.force_login(world.mso)
    client.post(reverse("workspace:hide"))
    client.post(reverse("workspace:show"))

    hidden, shown = ChecklistHidden.history.filter(person=world.mso_person).order_by("history_date", "history_id")

    name = world.mso.get_full_name()
    assert (hidden.history_type, hidden.history_user, hidden.history_change_reason) == (
        "+",
        world.mso,
        f"Hidden from the home page by {name}",
    )
    assert (shown.history_type, shown.history_user, shown.history_change_reason) == (
        "-",
        world.mso,
        f"Shown on the home page again by {name}",
    )


def test_hiding_the_checklist_is_post_only_and_needs_a_person_record(client, world):
    client.force_login(world.mso)
    assert client.get(reverse("workspace:hide")).status_code == 405
    assert client.get(reverse("workspace:show")).status_code == 405
    client.force_login(world.no_role)
    assert client.post(reverse("workspace:hide")).status_code == 404
    assert client.post(reverse("workspace:show")).status_code == 404
    assert not ChecklistHidden.objects.exists()


def test_the_checklist_page_tells_an_officer_long_in_post_that_their_home_page_no_longer_shows_it(client, world):
    client.force_login(world.mso)
    page = text(client.get(reverse("workspace:checklist", args=[world.mso_appointment.pk])))
    assert "Your home page shows this checklist for the first 6 months in post" in page


def test_the_home_page_of_an_officer_who_hid_the_checklist_runs_no_checklist_query(client, world, newcomers):
    ChecklistHiddenFactory(person=world.mso_person)
    client.force_login(world.mso)
    with CaptureQueriesContext(connection) as hidden:
        response = client.get(reverse("directory:home"))
    assert response.context["checklists"] == []
    assert not any("workspace_progress" in query["sql"] for query in hidden.captured_queries)


# --- who may see and tick an officer's checklist


@pytest.mark.parametrize(("who", "expected"), ACCESS.items())
def test_checklist_page_is_seen_by_the_officer_the_lead_and_the_chair_in_the_region(client, world, who, expected):
    client.force_login(getattr(world, who))
    response = client.get(reverse("workspace:checklist", args=[world.mso_appointment.pk]))
    assert response.status_code == expected[0]
    if response.status_code == 200:
        assert f"0 of {MSO_ITEMS} done" in text(response)


@pytest.mark.parametrize(("who", "expected"), ACCESS.items())
def test_item_page_is_seen_by_the_officer_the_lead_and_the_chair_in_the_region(client, world, who, expected):
    client.force_login(getattr(world, who))
    response = client.get(item_url(world.mso_appointment, Item.KEY_CONTACTS))
    assert response.status_code == expected[0]
    if who == "chair_a":
        assert "Mark as done" not in text(response)


@pytest.mark.parametrize(("who", "expected"), ACCESS.items())
def test_only_the_officer_and_the_lead_can_mark_an_item_done(client, world, who, expected):
    client.force_login(getattr(world, who))
    response = client.post(item_url(world.mso_appointment, Item.KEY_CONTACTS))
    assert response.status_code == expected[1]
    assert Progress.objects.filter(appointment=world.mso_appointment).exists() == (expected[1] == 302)


@pytest.mark.parametrize(("who", "expected"), ACCESS.items())
def test_only_the_officer_and_the_lead_can_undo_an_item(client, world, who, expected):
    ProgressFactory(appointment=world.mso_appointment, item=Item.KEY_CONTACTS)
    client.force_login(getattr(world, who))
    response = client.post(item_url(world.mso_appointment, Item.KEY_CONTACTS, "undo"))
    assert response.status_code == expected[1]
    assert Progress.objects.filter(appointment=world.mso_appointment).exists() == (expected[1] != 302)


def test_an_ended_appointment_has_no_checklist_page(client, world):
    appointment = world.mso_appointment
    appointment.status, appointment.end_date = Appointment.Status.ENDED, TODAY
    appointment.save()
    client.force_login(world.mso)
    assert client.get(reverse("workspace:checklist", args=[appointment.pk])).status_code == 404


def test_an_unknown_item_is_not_found(client, world):
    client.force_login(world.mso)
    assert client.get(reverse("workspace:item", args=[world.mso_appointment.pk, "no-such-item"])).status_code == 404


def test_an_mdso_has_no_mhra_item_page(client, world):
    user = UserFactory()
    mdso = AppointmentFactory(person=PersonFactory(user=user), organisation=world.org_a, role=Appointment.Role.MDSO)
    client.force_login(user)

    assert client.get(item_url(mdso, Item.MHRA_REGISTRATION)).status_code == 404
    assert client.post(item_url(mdso, Item.MHRA_REGISTRATION)).status_code == 404
    assert client.get(item_url(mdso, Item.KEY_CONTACTS)).status_code == 200


# --- each item's page: done and undone


def test_mhra_registration_is_recorded_from_its_page_and_undone(client, world):
    client.force_login(world.mso)
    url = item_url(world.mso_appointment, Item.MHRA_REGISTRATION)
    assert "expects the registration by 7 February 2024" in text(client.get(url))

    response = client.post(url, {"date_day": "3", "date_month": "2", "date_year": "2024", "reference": " MHRA  777 "})

    assert response.status_code == 302
    assert response["Location"] == reverse("workspace:checklist", args=[world.mso_appointment.pk])
    world.mso_appointment.refresh_from_db()
    assert (world.mso_appointment.mhra_registered_on, world.mso_appointment.mhra_reference) == (
        datetime.date(2024, 2, 3),
        "MHRA 777",
    )
    page = text(client.get(url))
    assert "3 February 2024" in page and "MHRA 777" in page
    assert 'Undo<span class="nhsuk-u-visually-hidden">: register with the MHRA as the named MSO</span>' in page

    client.post(item_url(world.mso_appointment, Item.MHRA_REGISTRATION, "undo"))
    world.mso_appointment.refresh_from_db()
    assert world.mso_appointment.mhra_registered_on is None


def test_an_item_posted_without_what_it_records_shows_the_errors_and_changes_nothing(client, world):
    client.force_login(world.mso)

    response = client.post(
        item_url(world.mso_appointment, Item.MHRA_REGISTRATION),
        {"date_day": "31", "date_month": "2", "date_year": "2024"},
    )

    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page
    assert "must be a real date" in page
    assert "Enter the MHRA registration reference" in page
    assert not Progress.objects.exists()


def test_a_date_in_the_future_is_refused(client, world):
    client.force_login(world.mso)
    later = TODAY + datetime.timedelta(days=10)

    response = client.post(
        item_url(world.mso_appointment, Item.NATIONAL_WORKSPACE),
        {"date_day": later.day, "date_month": later.month, "date_year": later.year},
    )

    assert response.status_code == 200
    assert "must be today or in the past" in text(response)
    assert not Progress.objects.exists()


@pytest.mark.parametrize(
    ("item", "data"),
    [
        (Item.MAILBOX_ACCESS, {}),
        (Item.CHAIR_CONTACT, {}),
        (Item.KEY_CONTACTS, {}),
        (Item.INCIDENT_SYSTEM, {"system_lead": "Sam Patel"}),
        (Item.NATIONAL_WORKSPACE, {"date_day": "1", "date_month": "3", "date_year": "2024"}),
        (Item.PATIENT_SAFETY_WORKSPACE, {"date_day": "1", "date_month": "3", "date_year": "2024"}),
        (Item.MSIP_WORKSPACE, {"date_day": "1", "date_month": "3", "date_year": "2024"}),
        (Item.NATIONAL_WEBINAR, {"date_day": "1", "date_month": "3", "date_year": "2024"}),
    ],
)
def test_each_item_is_marked_done_and_undone_from_its_page(client, world, item, data):
    client.force_login(world.mso)
    checklist_url = reverse("workspace:checklist", args=[world.mso_appointment.pk])

    client.post(item_url(world.mso_appointment, item), data)

    assert f"1 of {MSO_ITEMS} done" in text(client.get(checklist_url))
    assert Progress.objects.get(appointment=world.mso_appointment).item == item

    client.post(item_url(world.mso_appointment, item, "undo"))

    assert f"0 of {MSO_ITEMS} done" in text(client.get(checklist_url))


def test_the_chair_item_shows_the_chair_and_marking_it_tells_them(committing_client, world):
    client = committing_client
    client.force_login(world.mso)
    url = item_url(world.mso_appointment, Item.CHAIR_CONTACT)

    page = text(client.get(url))
    assert "Chloe Adeyemi" in page and "mailto:chair.a@nhs.net" in page

    response = client.post(url, follow=True)

    assert "We have let Chloe Adeyemi know." in text(response)
    assert list(OutboundEmail.objects.values_list("to", flat=True)) == [["chair.a@nhs.net"]]


def test_the_key_people_item_lists_the_key_contacts_and_links_the_organisation(client, world):
    KeyContactFactory(organisation=world.org_a, role=KeyContact.Role.CHIEF_PHARMACIST, name="Priya Shah")
    KeyContactFactory(organisation=world.org_b, role=KeyContact.Role.GOVERNANCE_LEAD, name="Other Org Person")
    world.org_a.board_director_name = "Dr Jane Board"
    world.org_a.save()
    client.force_login(world.mso)

    page = text(client.get(item_url(world.mso_appointment, Item.KEY_CONTACTS)))

    assert "Priya Shah" in page and "Dr Jane Board" in page
    assert "Other Org Person" not in page
    assert "Patient safety specialist" in page and "Not recorded" in page
    assert "Medical device safety officer" in page
    assert world.org_a.get_absolute_url() in page


def test_the_incident_system_item_suggests_the_lead_on_record(client, world):
    KeyContactFactory(organisation=world.org_a, role=KeyContact.Role.INCIDENT_REPORTING_LEAD, name="Sam Patel")
    client.force_login(world.mso)

    page = text(client.get(item_url(world.mso_appointment, Item.INCIDENT_SYSTEM)))

    assert 'value="Sam Patel"' in page


def test_the_webinar_item_shows_the_next_webinar_once_one_exists(client, world):
    client.force_login(world.mso)
    url = item_url(world.mso_appointment, Item.NATIONAL_WEBINAR)
    assert "will appear here once it is arranged" in text(client.get(url))

    WebinarFactory(network=world.national, held_on=TODAY + datetime.timedelta(days=9), title="Autumn update")

    page = text(client.get(url))
    assert f"{TODAY + datetime.timedelta(days=9):%-d %B %Y}" in page and "Autumn update" in page


def test_the_mailbox_item_shows_the_mailbox_and_what_was_said_at_registration(client, world):
    client.force_login(world.mso)
    page = text(client.get(item_url(world.mso_appointment, Item.MAILBOX_ACCESS)))
    assert world.org_a.generic_mailbox in page


# --- the progress list


@pytest.mark.parametrize(
    ("who", "expected"),
    [("lead", {"RAL", "R0A"}), ("chair_a", {"RAL"}), ("chair_b", {"R0A"}), ("mso", None), ("no_role", None)],
)
def test_progress_list_scope(client, world, newcomers, who, expected):
    client.force_login(getattr(world, who))
    response = client.get(reverse("workspace:progress"))
    if expected is None:
        assert response.status_code == 404
        return
    assert {c.organisation.ods_code for c in response.context["page_obj"]} == expected


def test_progress_list_counts_only_the_officers_new_in_post_and_says_so(client, world, newcomers, settings):
    long_in_post = AppointmentFactory(
        person=PersonFactory(first_name="Longserving", last_name="Officer"),
        organisation=world.org_a,
        role=Appointment.Role.DEPUTY_MSO,
        start_date=datetime.date(2020, 4, 1),
    )
    client.force_login(world.lead)

    response = client.get(reverse("workspace:progress"))

    page = text(response)
    assert long_in_post.pk not in [c.pk for c in response.context["page_obj"]]
    assert "Longserving Officer" not in page
    assert "2 officers still getting started, of the officers who started in the last 6 months" in page
    settings.GETTING_STARTED_MONTHS = 12
    assert "officers who started in the last 12 months" in text(client.get(reverse("workspace:progress")))


def test_progress_list_counts_an_officer_from_their_first_day_to_the_last_day_of_the_months(client, world, settings):
    settings.GETTING_STARTED_MONTHS = 6
    world.mso_appointment.start_date = months_before(TODAY, 6)
    world.mso_appointment.save()
    world.other_appointment.start_date = months_before(TODAY, 6) - datetime.timedelta(days=1)
    world.other_appointment.save()
    client.force_login(world.lead)

    response = client.get(reverse("workspace:progress"))

    assert [c.pk for c in response.context["page_obj"]] == [world.mso_appointment.pk]


def test_a_chair_of_a_network_without_a_region_sees_no_progress_list(client, world):
    user = UserFactory()
    MembershipFactory(person=PersonFactory(user=user), network=NetworkFactory(), role=Membership.Role.CHAIR)
    TOTPAuthenticatorFactory(user=user)
    client.force_login(user)
    assert client.get(reverse("workspace:progress")).status_code == 404


def test_progress_list_shows_how_long_and_how_far_and_leaves_out_those_done(client, world, newcomers):
    ProgressFactory(appointment=world.mso_appointment, item=Item.KEY_CONTACTS)
    ProgressFactory(appointment=world.mso_appointment, item=Item.MAILBOX_ACCESS)
    done_person = PersonFactory(first_name="Finished", last_name="Officer")
    done = AppointmentFactory(
        person=done_person, organisation=world.org_a, role=Appointment.Role.DEPUTY_MSO, start_date=NEW_IN_POST
    )
    for item in Item.values:
        ProgressFactory(appointment=done, item=item)
    client.force_login(world.lead)

    response = client.get(reverse("workspace:progress"))

    page = text(response)
    assert f"2 of {MSO_ITEMS} done" in page
    assert f"{world.mso_appointment.days_in_post():,} days" in page
    assert "Finished Officer" not in page
    row = next(c for c in response.context["page_obj"] if c.pk == world.mso_appointment.pk)
    assert Item.KEY_CONTACTS not in row.outstanding_items()
    assert Item.NATIONAL_WEBINAR in row.outstanding_items()
    assert "Mhra" not in page and "MHRA registration, regional chair," in page


def test_progress_list_filters_by_region_and_role(client, world, newcomers):
    deputy = AppointmentFactory(organisation=world.org_b, role=Appointment.Role.DEPUTY_MSO, start_date=NEW_IN_POST)
    client.force_login(world.lead)

    by_region = client.get(reverse("workspace:progress"), {"region": world.london.code})
    by_role = client.get(reverse("workspace:progress"), {"role": Appointment.Role.DEPUTY_MSO})

    assert [c.pk for c in by_region.context["page_obj"]] == [world.mso_appointment.pk]
    assert [c.pk for c in by_role.context["page_obj"]] == [deputy.pk]


def test_a_chair_cannot_filter_into_another_region(client, world, newcomers):
    client.force_login(world.chair_a)
    response = client.get(reverse("workspace:progress"), {"region": world.north_west.code})
    assert response.context["form"].errors
    assert {c.organisation.ods_code for c in response.context["page_obj"]} == {"RAL"}


@pytest.mark.parametrize("who", ["lead", "chair_a"])
def test_progress_list_queries_do_not_grow_with_the_officers(
    client, world, newcomers, who, django_assert_max_num_queries
):
    client.force_login(getattr(world, who))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("workspace:progress"))
    region = world.london
    for n in range(30):
        organisation = OrganisationFactory(region=region)
        appointment = AppointmentFactory(
            organisation=organisation, role=list(Appointment.Role)[n % 4], start_date=NEW_IN_POST
        )
        ProgressFactory(appointment=appointment, item=Item.KEY_CONTACTS)
        KeyContactFactory(organisation=organisation)

    with django_assert_max_num_queries(PROGRESS_QUERIES):
        response = client.get(reverse("workspace:progress"))

    assert len(response.context["page_obj"]) > 30
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("workspace:progress"))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_progress_list_counts_items_not_applicable_as_not_there(client, world, newcomers):
    deputy = AppointmentFactory(organisation=world.org_a, role=Appointment.Role.DEPUTY_MSO, start_date=NEW_IN_POST)
    client.force_login(world.lead)

    response = client.get(reverse("workspace:progress"))

    row = next(c for c in response.context["page_obj"] if c.pk == deputy.pk)
    assert row.item_count == MSO_ITEMS - 1
    assert Item.MHRA_REGISTRATION not in row.outstanding_items()


# --- the lead's applicability page


def test_the_lead_marks_items_not_applicable_to_a_role(client, world, newcomers):
    client.force_login(world.lead)
    url = reverse("workspace:applicability")
    page = text(client.get(url))
    assert "Items that do not apply to a medical device safety officer" in page
    assert 'class="nhsuk-checkboxes__input" id="id_mdso_0" name="mdso" type="checkbox"' in page
    assert 'value="mhra_registration" checked' in page

    data = {role: sorted(items) for role, items in NotApplicable.by_role().items()}
    data["mso"] = [Item.MSIP_WORKSPACE]
    response = client.post(url, data, follow=True)

    assert "Saved: 1 change" in text(response)
    assert NotApplicable.objects.filter(role="mso", item=Item.MSIP_WORKSPACE).exists()
    client.force_login(world.mso)
    assert f"0 of {MSO_ITEMS - 1} done" in text(client.get(reverse("directory:home")))


def test_the_applicability_page_refuses_an_unknown_item(client, world):
    client.force_login(world.lead)
    response = client.post(reverse("workspace:applicability"), {"mso": ["no_such_item"]})
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert not NotApplicable.objects.filter(role="mso").exists()


@pytest.mark.parametrize("who", ["mso", "chair_a", "no_role"])
def test_only_the_lead_sees_the_applicability_page(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("workspace:applicability")).status_code == 404
    assert client.post(reverse("workspace:applicability"), {"mso": [Item.KEY_CONTACTS]}).status_code == 404
    assert not NotApplicable.objects.filter(role="mso").exists()


# --- the admin: read-only


def test_the_lead_reads_progress_applicability_and_hidden_checklists_in_the_admin_without_changing_them(client, world):
    progress = ProgressFactory(appointment=world.mso_appointment, item=Item.KEY_CONTACTS, done_by=world.mso)
    not_applicable = NotApplicable.objects.get(item=Item.MHRA_REGISTRATION, role="mdso")
    hidden = ChecklistHiddenFactory(person=world.mso_person)
    client.force_login(world.lead)
    for name, pk in (("progress", progress.pk), ("notapplicable", not_applicable.pk), ("checklisthidden", hidden.pk)):
        assert client.get(reverse(f"admin:workspace_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:workspace_{name}_change", args=[pk])).status_code == 200
        assert client.get(reverse(f"admin:workspace_{name}_history", args=[pk])).status_code == 200
        assert client.get(reverse(f"admin:workspace_{name}_add")).status_code == 403
        assert client.post(reverse(f"admin:workspace_{name}_delete", args=[pk]), {"post": "yes"}).status_code == 403
    assert Progress.objects.filter(pk=progress.pk).exists()
