"""Handover workflows (handovers.services): start, tick, complete."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from emails.models import OutboundEmail
from handovers.models import Handover, HandoverChecklistItem
from handovers.services import handover_complete, handover_start, handover_tick, handover_untick
from officers.models import Appointment
from tests.factories import AppointmentFactory, PersonFactory, UserFactory

TODAY = datetime.date(2026, 3, 2)
LEAVING = datetime.date(2026, 2, 27)
ALL_ITEMS = HandoverChecklistItem.Item.values


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def successor(world):
    """Priya Shah, registered and approved as the next MSO at the London trust: her appointment waits."""
    user = UserFactory(email="priya.shah@nhs.net", name="Priya Shah")
    person = PersonFactory(user=user, work_email=user.email, first_name="Priya", last_name="Shah")
    return AppointmentFactory(
        person=person,
        organisation=world.org_a,
        role=Appointment.Role.MSO,
        status=Appointment.Status.PENDING,
        start_date=LEAVING,
    )


def start(world, user=None, **kwargs):
    kwargs.setdefault("leaving_date", LEAVING)
    return handover_start(appointment_id=world.mso_appointment.pk, started_by=user or world.mso, **kwargs)


def with_successor(world, successor):
    handover = start(world)
    handover.incoming_appointment = successor
    handover.save()
    return handover


def tick_all(handover, user):
    for item in ALL_ITEMS:
        handover_tick(handover_id=handover.pk, item=item, user=user)


# Starting


def test_outgoing_officer_starts_a_handover_due_after_the_default_days(world, settings):
    settings.HANDOVER_DUE_DAYS = 28
    handover = start(world)
    assert handover.organisation == world.org_a
    assert handover.outgoing_appointment == world.mso_appointment
    assert handover.incoming_appointment is None
    assert handover.due_date == LEAVING + datetime.timedelta(days=28)
    assert handover.status == Handover.Status.OPEN
    assert handover.started_by == world.mso
    assert handover.history.get().history_change_reason.startswith("Handover opened by")


def test_lead_starts_a_handover_with_a_chosen_due_date(world):
    handover = start(world, user=world.lead, due_date=datetime.date(2026, 3, 20))
    assert handover.due_date == datetime.date(2026, 3, 20)
    assert handover.started_by == world.lead


def test_starting_names_a_known_successor_with_a_pending_appointment(world):
    person = PersonFactory()
    handover = start(world, successor_id=person.pk)
    incoming = handover.incoming_appointment
    assert (incoming.person, incoming.organisation, incoming.role) == (person, world.org_a, Appointment.Role.MSO)
    assert incoming.status == Appointment.Status.PENDING


def test_starting_reuses_the_successors_pending_appointment(world, successor):
    assert start(world, successor_id=successor.person_id).incoming_appointment == successor


@pytest.mark.parametrize("role", ["other_mso", "chair_a", "no_role"])
def test_only_the_holder_or_the_lead_can_start(world, role):
    with pytest.raises(PermissionDenied):
        start(world, user=getattr(world, role))
    assert not Handover.objects.exists()


def test_due_date_before_leaving_date_is_refused(world):
    with pytest.raises(ValidationError, match="due date cannot be before the leaving date"):
        start(world, due_date=LEAVING - datetime.timedelta(days=1))
    assert not Handover.objects.exists()


def test_second_handover_of_the_same_appointment_is_refused(world):
    start(world)
    with pytest.raises(ValidationError, match="already in progress"):
        start(world, user=world.lead)
    assert Handover.objects.count() == 1


# The checklist


def test_tick_records_who_and_when(world):
    handover = start(world)
    tick = handover_tick(handover_id=handover.pk, item="mailbox_access", user=world.mso)
    assert tick.ticked_by == world.mso
    assert tick.ticked_at.date() == TODAY
    # Ticking again changes nothing.
    handover_tick(handover_id=handover.pk, item="mailbox_access", user=world.lead)
    assert HandoverChecklistItem.objects.get().ticked_by == world.mso


def test_untick_removes_the_tick_and_keeps_it_in_the_history(world):
    handover = start(world)
    handover_tick(handover_id=handover.pk, item="mhra_registration", user=world.mso)
    handover_untick(handover_id=handover.pk, item="mhra_registration", user=world.lead)
    assert not HandoverChecklistItem.objects.exists()
    deleted = HandoverChecklistItem.history.filter(history_type="-").get()
    assert deleted.history_user == world.lead


def test_successor_can_tick(world, successor):
    handover = with_successor(world, successor)
    handover_tick(handover_id=handover.pk, item="chair_introduced", user=successor.person.user)
    assert handover.checklist.get().ticked_by == successor.person.user


@pytest.mark.parametrize("role", ["other_mso", "chair_a", "no_role"])
def test_others_cannot_tick_or_untick(world, role):
    handover = start(world)
    handover_tick(handover_id=handover.pk, item="mailbox_access", user=world.mso)
    with pytest.raises(PermissionDenied):
        handover_tick(handover_id=handover.pk, item="national_database", user=getattr(world, role))
    with pytest.raises(PermissionDenied):
        handover_untick(handover_id=handover.pk, item="mailbox_access", user=getattr(world, role))
    assert list(handover.checklist.values_list("item", flat=True)) == ["mailbox_access"]


# Completing


def test_complete_ends_outgoing_on_the_leaving_date_and_activates_incoming(world, successor):
    handover = with_successor(world, successor)
    tick_all(handover, world.mso)
    handover_complete(handover_id=handover.pk, user=world.lead)

    outgoing, incoming = world.mso_appointment, successor
    outgoing.refresh_from_db()
    incoming.refresh_from_db()
    handover.refresh_from_db()
    assert (outgoing.status, outgoing.end_date) == (Appointment.Status.ENDED, LEAVING)
    assert incoming.status == Appointment.Status.ACTIVE
    assert handover.status == Handover.Status.COMPLETED
    assert handover.completed_by == world.lead
    assert handover.completed_at is not None
    # The outgoing appointment was ended before the incoming one was activated.
    ended = outgoing.history.filter(status="ended").get()
    activated = incoming.history.filter(status="active").get()
    assert ended.history_id < activated.history_id
    assert ended.history_change_reason.startswith("Handover completed by")


def test_database_refuses_two_active_named_officers_so_order_matters(world, successor):
    successor.status = Appointment.Status.ACTIVE
    with pytest.raises(IntegrityError), transaction.atomic():
        successor.save()


def test_complete_emails_outgoing_incoming_and_regional_chair(world, successor, django_capture_on_commit_callbacks):
    handover = with_successor(world, successor)
    tick_all(handover, world.mso)
    handover_complete(handover_id=handover.pk, user=world.lead)
    completed = OutboundEmail.objects.filter(template__startswith="handover_completed")
    recipients = sorted(address for email in completed for address in email.to)
    assert recipients == sorted(["mso.a@nhs.net", "priya.shah@nhs.net", "chair.a@nhs.net"])


def test_outgoing_officer_completes_once_successor_is_attached_and_checklist_ticked(world, successor):
    handover = with_successor(world, successor)
    tick_all(handover, world.mso)
    handover_complete(handover_id=handover.pk, user=world.mso)
    handover.refresh_from_db()
    assert handover.status == Handover.Status.COMPLETED


def test_outgoing_officer_cannot_complete_without_a_successor(world):
    handover = start(world)
    tick_all(handover, world.mso)
    with pytest.raises(PermissionDenied):
        handover_complete(handover_id=handover.pk, user=world.mso)
    world.mso_appointment.refresh_from_db()
    assert world.mso_appointment.status == Appointment.Status.ACTIVE


def test_complete_refuses_unticked_items_without_a_reason(world, successor):
    handover = with_successor(world, successor)
    handover_tick(handover_id=handover.pk, item="mailbox_access", user=world.mso)
    with pytest.raises(ValidationError, match="MHRA registration updated"):
        handover_complete(handover_id=handover.pk, user=world.lead)
    with pytest.raises(ValidationError, match="not ticked"):
        handover_complete(handover_id=handover.pk, user=world.mso, reason="Ran out of time")
    handover.refresh_from_db()
    successor.refresh_from_db()
    assert handover.status == Handover.Status.OPEN
    assert successor.status == Appointment.Status.PENDING
    assert not OutboundEmail.objects.filter(template__startswith="handover_completed").exists()


def test_lead_with_a_reason_completes_with_unticked_items(world, successor):
    handover = with_successor(world, successor)
    handover_complete(handover_id=handover.pk, user=world.lead, reason="MHRA confirmed by phone")
    handover.refresh_from_db()
    assert handover.status == Handover.Status.COMPLETED
    assert handover.completion_note == "MHRA confirmed by phone"


def test_complete_refuses_no_successor_unless_lead_gives_a_reason(world):
    handover = start(world)
    tick_all(handover, world.mso)
    with pytest.raises(ValidationError, match="no successor"):
        handover_complete(handover_id=handover.pk, user=world.lead)
    handover_complete(handover_id=handover.pk, user=world.lead, reason="Post vacant until recruitment ends")
    world.mso_appointment.refresh_from_db()
    assert world.mso_appointment.status == Appointment.Status.ENDED
    assert not Appointment.objects.current().filter(organisation=world.org_a, role="mso").exists()


def test_second_completion_says_already_completed(world, successor):
    handover = with_successor(world, successor)
    tick_all(handover, world.mso)
    handover_complete(handover_id=handover.pk, user=world.lead)
    with pytest.raises(ValidationError, match="already completed on 2 March 2026 by"):
        handover_complete(handover_id=handover.pk, user=world.lead)
    with pytest.raises(ValidationError, match="already completed"):
        handover_tick(handover_id=handover.pk, item="mailbox_access", user=world.lead)


def test_complete_is_refused_before_the_leaving_date(world, successor):
    handover = start(world, leaving_date=TODAY + datetime.timedelta(days=3))
    with pytest.raises(ValidationError, match="You can complete this handover from 5 March 2026, the leaving date"):
        handover_complete(handover_id=handover.pk, user=world.lead, reason="Early")


def test_the_lead_may_not_complete_before_the_leaving_date_even_with_a_reason(world, successor):
    handover = with_successor(world, successor)
    Handover.objects.filter(pk=handover.pk).update(leaving_date=TODAY + datetime.timedelta(days=1))
    tick_all(handover, world.mso)
    handover.refresh_from_db()
    assert not handover.can_complete(world.lead)
    assert handover.completable_from(world.lead) == TODAY + datetime.timedelta(days=1)
    assert handover.can_complete(world.lead, TODAY + datetime.timedelta(days=1))
    assert handover.completable_from(world.lead, TODAY + datetime.timedelta(days=1)) is None


@pytest.mark.parametrize("role", ["lead", "mso", "successor", "chair_a"])
@pytest.mark.parametrize("leaving", [LEAVING, TODAY + datetime.timedelta(days=3)], ids=["left", "not-left-yet"])
@pytest.mark.parametrize("ticked", [True, False], ids=["ticked", "unticked"])
@pytest.mark.parametrize("named", [True, False], ids=["successor", "no-successor"])
def test_the_page_offers_completion_exactly_when_the_service_allows_it(world, successor, role, leaving, ticked, named):
    """Handover.can_complete is the one rule: the button shows when, and only when, completing works
    (the national lead giving a reason, as the form lets them)."""
    handover = start(world, leaving_date=leaving)
    if named:
        handover.incoming_appointment = successor
        handover.save()
    if ticked:
        tick_all(handover, world.mso)
    user = successor.person.user if role == "successor" else getattr(world, role)
    handover = Handover.objects.with_people().get(pk=handover.pk)
    offered = handover.can_complete(user)
    try:
        handover_complete(handover_id=handover.pk, user=user, reason="Checked by phone")
    except (ValidationError, PermissionDenied):
        allowed = False
    else:
        allowed = True
    assert offered == allowed
    assert offered == (leaving <= TODAY and (role == "lead" or (role == "mso" and named and ticked)))


@pytest.mark.parametrize("role", ["other_mso", "chair_a", "no_role"])
def test_others_cannot_complete(world, successor, role):
    handover = with_successor(world, successor)
    tick_all(handover, world.mso)
    with pytest.raises(PermissionDenied):
        handover_complete(handover_id=handover.pk, user=getattr(world, role), reason="x")
    handover.refresh_from_db()
    assert handover.status == Handover.Status.OPEN


def test_registration_approval_attaches_the_successor_to_the_started_handover(world):
    from registrations.services import registration_approve
    from tests.registrations.test_registration import make_request

    handover = start(world)
    applicant = UserFactory(email="new.mso@nhs.net")
    request = make_request(applicant, world.org_a, role="mso")
    appointment = registration_approve(request_id=request.pk, reviewer=world.lead)
    handover.refresh_from_db()
    assert handover.incoming_appointment == appointment
    assert appointment.status == Appointment.Status.PENDING
