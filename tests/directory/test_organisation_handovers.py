"""The organisation page and the handovers of its named roles: a handover in progress is shown, to
those who may see it, instead of a link to start another; the link is offered by the rule
handover_start applies."""

import datetime

import pytest
from django.urls import reverse

from handovers.models import Handover
from handovers.services import handover_start
from officers.models import Appointment
from tests.factories import AppointmentFactory, PersonFactory

LEAVING = datetime.date(2027, 3, 3)


def organisation_page(client, user, organisation):
    client.force_login(user)
    response = client.get(reverse("directory:organisation", args=[organisation.ods_code]))
    assert response.status_code == 200
    return response.content.decode()


def start_url(appointment):
    return reverse("handovers:start", args=[appointment.pk])


@pytest.mark.parametrize("role", ["lead", "mso"])
def test_organisation_page_shows_the_open_handover_instead_of_start_a_handover(client, world, handover, role):
    content = organisation_page(client, getattr(world, role), world.org_a)
    assert "Handover of the medication safety officer role in progress" in content
    assert "Amina Okafor, Medication safety officer" in content
    assert "3 March 2027" in content
    assert "Priya Shah" in content
    assert '<strong class="nhsuk-tag nhsuk-tag--blue">Open</strong>' in content
    assert f'href="{handover.get_absolute_url()}"' in content
    assert start_url(world.mso_appointment) not in content


def test_organisation_page_shows_a_lapsed_handover_and_one_without_a_successor(client, world):
    handover = handover_start(
        appointment_id=world.mso_appointment.pk, leaving_date=datetime.date(2025, 1, 10), started_by=world.lead
    )
    Handover.objects.filter(pk=handover.pk).update(status=Handover.Status.LAPSED)
    content = organisation_page(client, world.lead, world.org_a)
    assert "Not named yet" in content
    assert '<strong class="nhsuk-tag nhsuk-tag--red">Lapsed</strong>' in content
    assert "10 January 2025" in content


def test_the_other_named_role_can_still_be_handed_over(client, world, handover):
    mdso = AppointmentFactory(organisation=world.org_a, role=Appointment.Role.MDSO)
    content = organisation_page(client, world.lead, world.org_a)
    assert start_url(mdso) in content
    assert start_url(world.mso_appointment) not in content


def test_a_completed_handover_is_not_shown_and_the_new_holder_can_start_one(client, world, handover):
    Handover.objects.filter(pk=handover.pk).update(status=Handover.Status.COMPLETED, completed_at=handover.created_at)
    content = organisation_page(client, world.lead, world.org_a)
    assert "role in progress" not in content
    assert start_url(world.mso_appointment) in content


def test_the_chair_of_the_region_sees_the_open_handover_without_a_start_link(client, world, handover):
    content = organisation_page(client, world.chair_a, world.org_a)
    assert handover.get_absolute_url() in content
    assert "Handover of the medication safety officer role in progress" in content
    assert "handovers/start/" not in content


@pytest.mark.parametrize("role", ["other_mso", "chair_b", "no_role"])
def test_those_who_may_not_see_the_handover_are_not_shown_it(client, world, handover, role):
    content = organisation_page(client, getattr(world, role), world.org_a)
    assert handover.get_absolute_url() not in content
    assert "role in progress" not in content
    assert "handovers/start/" not in content


def test_the_organisation_page_runs_the_same_number_of_queries_with_handovers_in_progress(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.lead)
    url = reverse("directory:organisation", args=[world.org_a.ods_code])
    with django_assert_max_num_queries(100) as without:
        client.get(url)
    mdso = AppointmentFactory(organisation=world.org_a, role=Appointment.Role.MDSO)
    for appointment in (world.mso_appointment, mdso):
        successor = PersonFactory()
        handover_start(
            appointment_id=appointment.pk, leaving_date=LEAVING, successor_id=successor.pk, started_by=world.lead
        )
    with django_assert_max_num_queries(len(without.captured_queries)):
        content = client.get(url).content.decode()
    assert content.count("role in progress") == 2
