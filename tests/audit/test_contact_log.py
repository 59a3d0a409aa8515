"""Seeing another person's contact details on their page is logged (who, whose, when, where), and
the national lead reads the log, read-only, in the admin."""

import pytest
from django.urls import reverse

from audit.models import ContactView
from audit.services import contact_views_record
from tests.directory.test_queries import PERSON_QUERIES
from tests.factories import UserFactory


def person_page(person):
    return reverse("directory:person", args=[person.pk])


@pytest.mark.parametrize("role", ["lead", "chair_a"])
def test_a_view_of_someone_elses_contact_details_is_logged(client, world, role):
    viewer = getattr(world, role)
    client.force_login(viewer)

    response = client.get(person_page(world.mso_person))

    assert response.context["show_contact"] is True
    assert "mso.a@nhs.net" in response.content.decode()
    view = ContactView.objects.get()
    assert (view.viewer, view.person, view.path) == (viewer, world.mso_person, person_page(world.mso_person))
    assert view.viewed_at is not None


def test_each_view_is_logged(client, world):
    client.force_login(world.chair_a)
    for _ in range(3):
        client.get(person_page(world.mso_person))
    assert ContactView.objects.filter(viewer=world.chair_a, person=world.mso_person).count() == 3


def test_looking_at_ones_own_page_is_not_logged(client, world):
    client.force_login(world.mso)
    response = client.get(person_page(world.mso_person))
    assert response.context["show_contact"] is True
    assert not ContactView.objects.exists()


@pytest.mark.parametrize("role", ["other_mso", "chair_b", "no_role"])
def test_a_page_without_contact_details_is_not_logged(client, world, role):
    client.force_login(getattr(world, role))
    response = client.get(person_page(world.mso_person))
    assert response.context["show_contact"] is False
    assert "mso.a@nhs.net" not in response.content.decode()
    assert not ContactView.objects.exists()


def test_logging_adds_no_query_to_the_person_page(client, world, django_assert_max_num_queries):
    client.force_login(world.chair_a)
    client.get(person_page(world.other_person))
    with django_assert_max_num_queries(PERSON_QUERIES) as hidden:
        response = client.get(person_page(world.other_person))
    hidden_queries = len(hidden)  # counted now: the next request empties the connection's query log
    assert response.context["show_contact"] is False
    # Deciding whether the chair may see the details and logging the view is one query.
    with django_assert_max_num_queries(hidden_queries):
        response = client.get(person_page(world.mso_person))
    assert response.context["show_contact"] is True
    assert ContactView.objects.filter(viewer=world.chair_a).count() == 1


# The log in the admin


def test_lead_reads_the_log_in_the_admin(client, world):
    client.force_login(world.chair_a)
    client.get(person_page(world.mso_person))
    view = ContactView.objects.get()
    client.force_login(world.lead)

    changelist = client.get(reverse("admin:audit_contactview_changelist"))
    assert changelist.status_code == 200
    assert "Chloe Adeyemi" in changelist.content.decode() or "chair.a@nhs.net" in changelist.content.decode()
    detail = client.get(reverse("admin:audit_contactview_change", args=[view.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_nobody_adds_changes_or_deletes_log_rows_in_the_admin(client, world):
    client.force_login(world.chair_a)
    client.get(person_page(world.mso_person))
    view = ContactView.objects.get()
    client.force_login(world.lead)

    assert client.get(reverse("admin:audit_contactview_add")).status_code == 403
    client.post(reverse("admin:audit_contactview_change", args=[view.pk]), {"path": "/elsewhere/"})
    assert client.post(reverse("admin:audit_contactview_delete", args=[view.pk]), {"post": "yes"}).status_code == 403
    view.refresh_from_db()
    assert view.path == person_page(world.mso_person)


def test_staff_without_the_national_lead_role_cannot_read_the_log(client, world):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("admin:audit_contactview_changelist")).status_code == 403


# For pages that list several people's contact details


def test_a_list_page_logs_each_person_whose_details_it_showed_in_one_insert(world, django_assert_num_queries):
    people = [world.mso_person, world.other_person, world.mso_person]
    with django_assert_num_queries(1):
        logged = contact_views_record(viewer=world.lead, people=people, path="/networks/london/membership/")
    assert logged == 2
    assert set(ContactView.objects.values_list("person", "path")) == {
        (world.mso_person.pk, "/networks/london/membership/"),
        (world.other_person.pk, "/networks/london/membership/"),
    }


def test_a_list_page_does_not_log_the_viewers_own_details(world, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert contact_views_record(viewer=world.mso, people=[world.mso_person], path="/networks/london/") == 0
    assert not ContactView.objects.exists()


LIST_PAGES = {
    "organisation page": lambda world: reverse("directory:organisation", args=["RAL"]),
    "network page": lambda world: reverse("directory:network", args=["london"]),
    "membership page": lambda world: reverse("directory:membership", args=["london"]),
    "membership export": lambda world: reverse("directory:membership-export", args=["london", "csv"]),
}


@pytest.mark.parametrize("page", LIST_PAGES)
def test_pages_listing_contact_details_log_whose_details_they_showed(client, world, page):
    client.force_login(world.chair_a)
    url = LIST_PAGES[page](world)

    response = client.get(url)

    assert response.status_code == 200
    assert "mso.a@nhs.net" in response.content.decode()
    assert set(ContactView.objects.values_list("viewer", "person", "path")) == {
        (world.chair_a.pk, world.mso_person.pk, url)
    }


@pytest.mark.parametrize("page", ["organisation page", "network page"])
def test_pages_showing_no_contact_details_log_nothing(client, world, page):
    client.force_login(world.other_mso)
    response = client.get(LIST_PAGES[page](world))
    assert response.status_code == 200
    assert "mso.a@nhs.net" not in response.content.decode()
    assert not ContactView.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_list_page_logs_in_one_statement_with_no_transaction_of_its_own(world, django_assert_num_queries):
    """Outside a transaction, as a page runs: one INSERT, atomic by itself (no BEGIN and COMMIT)."""
    with django_assert_num_queries(1) as logged:
        contact_views_record(viewer=world.lead, people=[world.mso_person, world.other_person], path="/networks/")
    assert logged.captured_queries[0]["sql"].startswith("INSERT")
    assert ContactView.objects.count() == 2
