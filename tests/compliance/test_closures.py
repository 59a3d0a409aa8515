"""When ODS closes an organisation with officers in post (compliance.closures and its pages): the scan
flags it, the national lead sets the successor and moves the officers there (choosing who stays
named where both have one) or ends their appointments, and the flag resolves at once. Every refusal
changes nothing; the pages are the lead's alone."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from compliance.closures import (
    KEEP_CURRENT,
    KEEP_INCOMING,
    closure_officers_end,
    closure_officers_move,
    organisation_successor_set,
)
from compliance.models import Flag
from compliance.services import compliance_scan
from emails.models import OutboundEmail
from handovers.models import Handover, HandoverChecklistItem
from handovers.services import handover_complete, handover_tick
from officers.models import Appointment
from organisations.models import Organisation
from tests.factories import AppointmentFactory, OrganisationFactory, PersonFactory, UserFactory

TODAY = datetime.date(2026, 4, 14)
CLOSED_ON = datetime.date(2026, 3, 31)
START = datetime.date(2024, 1, 8)
MHRA_ON = datetime.date(2024, 1, 20)
# The closure page and the list of closures, whatever the number of officers or organisations:
# the session, the user and their two-factor check, then the page's own.
QUERIES = 11
LIST_QUERIES = 7


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 4, 14, 10, 0, tzinfo=datetime.UTC), tick=False):
        yield


def scan(day: datetime.date):
    """Run the scan at noon on `day`, as the nightly job would that day."""
    with time_machine.travel(
        datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone()), tick=False
    ):
        return compliance_scan()


def officer(organisation, role, *, first_name, last_name, start=START, **kwargs):
    email = f"{first_name}.{last_name}@nhs.net".lower()
    person = PersonFactory(
        first_name=first_name, last_name=last_name, work_email=email, details_confirmed_on=datetime.date(2026, 1, 5)
    )
    return AppointmentFactory(person=person, organisation=organisation, role=role, start_date=start, **kwargs)


@pytest.fixture
def closed(world):
    """Homerton, a London trust ODS closed on 31 March 2026, with its MSO (registered with the MHRA),
    MDSO, a deputy and a medicines champion in post."""
    organisation = OrganisationFactory(
        ods_code="RQX", name="Homerton Healthcare NHS Foundation Trust", region=world.london, closed_on=CLOSED_ON
    )
    officer(
        organisation,
        Appointment.Role.MSO,
        first_name="Grace",
        last_name="Ode",
        mhra_registered_on=MHRA_ON,
        mhra_reference="MHRA-1234",
    )
    officer(organisation, Appointment.Role.MDSO, first_name="Tariq", last_name="Hussain")
    officer(organisation, Appointment.Role.DEPUTY_MSO, first_name="Lena", last_name="Novak")
    officer(organisation, Appointment.Role.MEDICINES_CHAMPION, first_name="Sam", last_name="Okoro")
    return organisation


@pytest.fixture
def successor(world):
    """Barts, which took over, with no named officers of its own."""
    return OrganisationFactory(ods_code="R1H", name="Barts Health NHS Trust", region=world.london)


@pytest.fixture
def barts_mso(successor):
    """Priya Shah, Barts' named MSO, with a user account."""
    user = UserFactory(email="priya.shah@nhs.net", name="Priya Shah")
    person = PersonFactory(user=user, work_email=user.email, first_name="Priya", last_name="Shah")
    return AppointmentFactory(person=person, organisation=successor, role=Appointment.Role.MSO, start_date=START)


def with_successor(closed, successor):
    Organisation.objects.filter(pk=closed.pk).update(successor=successor)
    closed.refresh_from_db()
    return closed


def in_post(organisation):
    return organisation.appointments.filter(status=Appointment.Status.ACTIVE)


def last_history(instance):
    return instance.history.order_by("-history_id").first()


def emails(template: str) -> list[str]:
    return sorted(address for email in OutboundEmail.objects.filter(template=template) for address in email.to)


def state() -> tuple:
    """Everything a closure could change: appointments, handovers, flags, successors, emails and
    the history of each, row by row."""
    return (
        sorted(Appointment.objects.values_list("pk", "organisation", "role", "status", "start_date", "end_date")),
        sorted(Handover.objects.values_list("pk", "organisation", "outgoing_appointment", "incoming_appointment")),
        sorted(Flag.objects.values_list("pk", "kind", "resolved_at")),
        sorted(Organisation.objects.values_list("pk", "successor")),
        OutboundEmail.objects.count(),
        Appointment.history.count(),
        Handover.history.count(),
        Flag.history.count(),
        Organisation.history.count(),
    )


# The whole closure: flagged, successor set, moved, flag resolved.


def test_officers_at_a_closed_organisation_are_flagged_moved_to_the_successor_and_the_flag_resolves(
    world, closed, successor, django_capture_on_commit_callbacks
):
    scan(CLOSED_ON - datetime.timedelta(days=1))
    assert not Flag.objects.open().filter(organisation=closed).exists()
    scan(CLOSED_ON)
    flag = Flag.objects.open().get(organisation=closed)
    assert flag.kind == Flag.Kind.OFFICERS_AT_CLOSED
    assert flag.appointment == closed.appointments.order_by("pk").first()

    organisation_successor_set(organisation=closed, successor=successor, user=world.lead, reason="Merged into Barts")
    closed.refresh_from_db()
    assert closed.successor == successor
    assert last_history(closed).history_user == world.lead
    assert last_history(closed).history_change_reason == "Successor set to R1H: Merged into Barts"

    old = {a.role: a for a in in_post(closed)}
    with django_capture_on_commit_callbacks(execute=True):
        report = closure_officers_move(organisation=closed, keep={}, user=world.lead, reason="ODS merger")

    assert {move.outcome for move in report.moves} == {"moved"}
    assert not in_post(closed).exists()
    for role, appointment in old.items():
        appointment.refresh_from_db()
        assert (appointment.status, appointment.end_date) == (Appointment.Status.ENDED, CLOSED_ON)
        new = Appointment.objects.get(organisation=successor, role=role)
        assert (new.person_id, new.status, new.start_date) == (appointment.person_id, "active", CLOSED_ON)
        for record in (last_history(appointment), last_history(new)):
            assert record.history_user == world.lead
            assert record.history_change_reason == "Moved to R1H after RQX closed: ODS merger"
    mso = Appointment.objects.get(organisation=successor, role=Appointment.Role.MSO)
    assert (mso.mhra_registered_on, mso.mhra_reference) == (MHRA_ON, "MHRA-1234")
    assert not Handover.objects.exists()

    flag.refresh_from_db()
    assert flag.resolved_at is not None
    assert last_history(flag).history_user == world.lead
    # The closed organisation's flag, and Barts' lack of a named MSO and MDSO, which the move filled.
    assert report.flags_resolved == 3
    # One email to each officer moved, each sent.
    assert emails("closure_officer") == sorted(a.person.work_email for a in old.values())
    assert not OutboundEmail.objects.filter(sent_at__isnull=True).exists()
    body = OutboundEmail.objects.get(to=["grace.ode@nhs.net"]).body_text
    assert "Homerton Healthcare NHS Foundation Trust (RQX) closed on 31 March 2026" in body
    assert "moved to Barts Health NHS Trust (R1H) from 31 March 2026" in body

    # The next night's scan agrees: nothing reopens.
    scan(TODAY)
    assert not Flag.objects.open().filter(organisation=closed).exists()


def test_the_move_fills_the_successors_missing_officers_flags_at_once(world, closed, successor):
    scan(CLOSED_ON)
    assert set(Flag.objects.open().filter(organisation=successor).values_list("kind", flat=True)) >= {
        Flag.Kind.NO_MSO,
        Flag.Kind.NO_MDSO,
    }
    closure_officers_move(organisation=with_successor(closed, successor), keep={}, user=world.lead)
    assert not Flag.objects.open().filter(organisation=successor, kind__in=["no_mso", "no_mdso"]).exists()


def test_an_appointment_recorded_as_starting_after_the_closure_ends_and_moves_on_its_start_date(
    world, closed, successor
):
    late = officer(
        closed,
        Appointment.Role.TEAM_MEMBER,
        first_name="Ade",
        last_name="Bello",
        start=CLOSED_ON + datetime.timedelta(3),
    )
    closure_officers_move(organisation=with_successor(closed, successor), keep={}, user=world.lead)
    late.refresh_from_db()
    assert late.end_date == CLOSED_ON + datetime.timedelta(3)
    moved = Appointment.objects.get(organisation=successor, person=late.person)
    assert moved.start_date == CLOSED_ON + datetime.timedelta(3)


def test_an_officer_already_in_the_role_at_the_successor_is_ended_at_the_closed_one_only(world, closed, successor):
    grace = closed.appointments.get(role=Appointment.Role.MSO)
    AppointmentFactory(person=grace.person, organisation=successor, role=Appointment.Role.MSO, start_date=START)
    report = closure_officers_move(organisation=with_successor(closed, successor), keep={}, user=world.lead)
    assert {m.old.role: m.outcome for m in report.moves}[Appointment.Role.MSO] == "already-there"
    assert successor.appointments.filter(person=grace.person).count() == 1
    assert not Handover.objects.exists()


# Who stays named where the successor has its own officer.


def test_keeping_the_closed_organisations_officer_opens_a_handover_that_swaps_them_when_completed(
    world, closed, successor, barts_mso, django_capture_on_commit_callbacks
):
    grace = closed.appointments.get(role=Appointment.Role.MSO)
    with django_capture_on_commit_callbacks(execute=True):
        report = closure_officers_move(
            organisation=with_successor(closed, successor), keep={"mso": KEEP_INCOMING}, user=world.lead
        )

    grace.refresh_from_db()
    assert (grace.status, grace.end_date) == (Appointment.Status.ENDED, CLOSED_ON)
    pending = Appointment.objects.get(organisation=successor, person=grace.person)
    assert (pending.role, pending.status, pending.start_date) == ("mso", "pending", TODAY)
    assert (pending.mhra_registered_on, pending.mhra_reference) == (MHRA_ON, "MHRA-1234")
    handover = Handover.objects.get()
    assert (handover.organisation, handover.outgoing_appointment, handover.incoming_appointment) == (
        successor,
        barts_mso,
        pending,
    )
    assert (handover.leaving_date, handover.due_date) == (TODAY, TODAY + datetime.timedelta(days=28))
    assert handover.started_by == world.lead
    assert report.handovers == [handover]
    barts_mso.refresh_from_db()
    assert barts_mso.status == Appointment.Status.ACTIVE  # until the handover completes
    assert not Flag.objects.open().filter(organisation=closed).exists()
    assert emails("closure_officer") == sorted(
        ["grace.ode@nhs.net", "tariq.hussain@nhs.net", "lena.novak@nhs.net", "sam.okoro@nhs.net"]
    )
    assert emails("closure_successor_officer") == ["priya.shah@nhs.net"]
    priya = OutboundEmail.objects.get(template="closure_successor_officer").body_text
    assert "Grace Ode, the medication safety officer of Homerton Healthcare NHS Foundation Trust" in priya
    assert f"/handovers/{handover.pk}/" in priya

    handover_complete(handover_id=handover.pk, user=world.lead, reason="Agreed at the merger board.")
    barts_mso.refresh_from_db()
    pending.refresh_from_db()
    assert (barts_mso.status, barts_mso.end_date) == (Appointment.Status.ENDED, TODAY)
    assert pending.status == Appointment.Status.ACTIVE
    assert successor.named_mso.person == grace.person


def test_keeping_the_successors_officer_ends_the_closed_one_and_opens_a_handover_of_the_checklist(
    world, closed, successor, barts_mso, django_capture_on_commit_callbacks
):
    grace = closed.appointments.get(role=Appointment.Role.MSO)
    with django_capture_on_commit_callbacks(execute=True):
        closure_officers_move(
            organisation=with_successor(closed, successor), keep={"mso": KEEP_CURRENT}, user=world.lead
        )

    grace.refresh_from_db()
    assert (grace.status, grace.end_date) == (Appointment.Status.ENDED, CLOSED_ON)
    assert not Appointment.objects.filter(organisation=successor, person=grace.person).exists()
    handover = Handover.objects.get()
    assert (handover.organisation, handover.outgoing_appointment, handover.incoming_appointment) == (
        successor,
        grace,
        barts_mso,
    )
    assert (handover.leaving_date, handover.due_date) == (CLOSED_ON, TODAY + datetime.timedelta(days=28))
    # The other roles had no one at Barts: they simply moved.
    assert set(successor.appointments.current().values_list("role", flat=True)) == {
        "mso",
        "mdso",
        "deputy_mso",
        "medicines_champion",
    }
    assert successor.named_mso == barts_mso
    assert emails("closure_successor_officer") == ["priya.shah@nhs.net"]
    assert "Priya Shah stays the named medication safety officer" in (
        OutboundEmail.objects.get(to=["grace.ode@nhs.net"]).body_text
    )

    # The handover's page says where the outgoing officer was.
    client = Client()
    client.force_login(world.lead)
    page = " ".join(client.get(reverse("handovers:detail", args=[handover.pk])).content.decode().split())
    assert f"at {closed.name} (closed; {successor.name} succeeds it)" in page

    # The checklist is followed, then the handover completes with nothing left to start or end.
    for item in HandoverChecklistItem.Item.values:
        handover_tick(handover_id=handover.pk, item=item, user=world.lead)
    handover_complete(handover_id=handover.pk, user=world.lead)
    handover.refresh_from_db()
    grace.refresh_from_db()
    barts_mso.refresh_from_db()
    assert handover.status == Handover.Status.COMPLETED
    assert (grace.status, grace.end_date) == (Appointment.Status.ENDED, CLOSED_ON)
    assert barts_mso.status == Appointment.Status.ACTIVE
    # An open handover of a closed organisation's ended officer does not lapse before its due date.
    scan(TODAY)
    assert not Flag.objects.open().filter(kind=Flag.Kind.LAPSED_HANDOVER).exists()


def test_ending_the_appointments_needs_no_successor_and_resolves_the_flag(
    world, closed, django_capture_on_commit_callbacks
):
    scan(CLOSED_ON)
    officers = list(in_post(closed))
    with django_capture_on_commit_callbacks(execute=True):
        report = closure_officers_end(organisation=closed, user=world.lead, reason="No one took over")
    assert {move.outcome for move in report.moves} == {"ended"}
    for appointment in officers:
        appointment.refresh_from_db()
        assert (appointment.status, appointment.end_date) == (Appointment.Status.ENDED, CLOSED_ON)
        assert last_history(appointment).history_user == world.lead
        assert last_history(appointment).history_change_reason == "Ended after RQX closed: No one took over"
    assert Appointment.objects.filter(organisation=closed).count() == len(officers)
    assert not Flag.objects.open().filter(organisation=closed).exists()
    assert len(emails("closure_officer")) == len(officers)
    assert "ended on 31 March 2026" in OutboundEmail.objects.filter(template="closure_officer").first().body_text


# Refusals: each changes nothing.


def _refuse(call, message: str):
    before = state()
    with pytest.raises(ValidationError, match=message):
        call()
    assert state() == before


def test_moving_or_ending_officers_of_an_open_organisation_is_refused(world, closed, successor):
    Organisation.objects.filter(pk=closed.pk).update(closed_on=TODAY + datetime.timedelta(days=30))
    closed = with_successor(closed, successor)
    _refuse(lambda: closure_officers_move(organisation=closed, keep={}, user=world.lead), "is open until")
    _refuse(lambda: closure_officers_end(organisation=closed, user=world.lead, reason="x"), "is open until")


def test_moving_without_a_successor_is_refused(world, closed):
    _refuse(lambda: closure_officers_move(organisation=closed, keep={}, user=world.lead), "Set the successor")


def test_moving_to_a_closed_successor_is_refused(world, closed, successor):
    Organisation.objects.filter(pk=successor.pk).update(closed_on=CLOSED_ON)
    closed = with_successor(closed, successor)
    _refuse(lambda: closure_officers_move(organisation=closed, keep={}, user=world.lead), "closed on 31 March")


@pytest.mark.parametrize("keep", [{}, {"mso": "both"}, {"mdso": KEEP_CURRENT}])
def test_a_clash_with_no_choice_of_who_stays_is_refused(world, closed, successor, barts_mso, keep):
    closed = with_successor(closed, successor)
    _refuse(
        lambda: closure_officers_move(organisation=closed, keep=keep, user=world.lead),
        "Choose who stays the named medication safety officer at Barts Health NHS Trust",
    )


def test_moving_an_officer_whose_handover_is_in_progress_is_refused(world, closed, successor):
    grace = closed.appointments.get(role=Appointment.Role.MSO)
    Handover.objects.create(
        organisation=closed, outgoing_appointment=grace, leaving_date=TODAY, due_date=TODAY, started_by=world.lead
    )
    closed = with_successor(closed, successor)
    _refuse(
        lambda: closure_officers_move(organisation=closed, keep={}, user=world.lead),
        "A handover of Grace Ode's role is in progress",
    )


def test_moving_an_officer_already_waiting_to_start_at_the_successor_is_refused(world, closed, successor):
    grace = closed.appointments.get(role=Appointment.Role.MSO)
    AppointmentFactory(
        person=grace.person, organisation=successor, role=Appointment.Role.MSO, status=Appointment.Status.PENDING
    )
    closed = with_successor(closed, successor)
    _refuse(lambda: closure_officers_move(organisation=closed, keep={}, user=world.lead), "already waiting to start")


def test_moving_twice_is_refused_the_second_time(world, closed, successor, barts_mso):
    closed = with_successor(closed, successor)
    closure_officers_move(organisation=closed, keep={"mso": KEEP_INCOMING}, user=world.lead)
    _refuse(
        lambda: closure_officers_move(organisation=closed, keep={"mso": KEEP_INCOMING}, user=world.lead),
        "No officers are in post",
    )
    _refuse(lambda: closure_officers_end(organisation=closed, user=world.lead, reason="x"), "No officers are in post")


def test_keeping_the_incoming_officer_when_the_successors_is_already_handing_over_is_refused(
    world, closed, successor, barts_mso
):
    Handover.objects.create(organisation=successor, outgoing_appointment=barts_mso, leaving_date=TODAY, due_date=TODAY)
    closed = with_successor(closed, successor)
    _refuse(
        lambda: closure_officers_move(organisation=closed, keep={"mso": KEEP_INCOMING}, user=world.lead),
        "A handover of Priya Shah's role at Barts Health NHS Trust is already in progress",
    )


def test_ending_without_a_reason_is_refused(world, closed):
    _refuse(lambda: closure_officers_end(organisation=closed, user=world.lead, reason="  "), "Give the reason")


def test_a_successor_that_is_itself_closed_or_a_loop_is_refused(world, closed, successor):
    def set_successor(organisation, to, reason="Merger"):
        return lambda: organisation_successor_set(
            organisation=organisation, successor=to, user=world.lead, reason=reason
        )

    _refuse(set_successor(closed, closed), "cannot be its own successor")
    _refuse(set_successor(successor, closed), r"closed on 31 March 2026, so it cannot take over")
    _refuse(set_successor(closed, successor, reason=""), "Give the reason")
    # Royal Free → Homerton → Barts: Barts → Royal Free, or Homerton → Royal Free, would loop.
    Organisation.objects.filter(pk=world.org_a.pk).update(successor=closed)
    Organisation.objects.filter(pk=closed.pk).update(closed_on=None, successor=successor)
    _refuse(set_successor(successor, world.org_a), "this would make a loop")
    _refuse(set_successor(closed, world.org_a), "this would make a loop")


# The pages.


def closure_url(organisation, action=""):
    name = f"compliance:closure-{action}" if action else "compliance:closure"
    return reverse(name, args=[organisation.ods_code])


def test_the_lead_sees_the_closed_organisations_and_the_board_links_to_their_page(client, world, closed, successor):
    closed = with_successor(closed, successor)
    scan(CLOSED_ON)
    client.force_login(world.lead)
    response = client.get(reverse("compliance:closures"))
    assert response.status_code == 200
    assert closure_url(closed) in response.text
    assert "Barts Health NHS Trust (R1H)" in response.text
    assert "4 officers" in response.text
    board = client.get(reverse("compliance:board"), {"kind": Flag.Kind.OFFICERS_AT_CLOSED})
    assert f'href="{closure_url(closed)}"' in board.text


def test_the_closure_page_shows_the_officers_the_successor_and_a_choice_of_who_stays(
    client, world, closed, successor, barts_mso
):
    closed = with_successor(closed, successor)
    client.force_login(world.lead)
    response = client.get(closure_url(closed))
    assert response.status_code == 200
    text = response.text
    assert "31 March 2026" in text
    for name in ("Grace Ode", "Tariq Hussain", "Lena Novak", "Sam Okoro"):
        assert name in text
    assert "Who is the named medication safety officer at Barts Health NHS Trust?" in text
    assert 'name="move-keep_mso" type="radio" value="incoming"' in text
    assert "Grace Ode, medication safety officer of Homerton Healthcare NHS Foundation Trust" in text
    assert "Priya Shah, medication safety officer of Barts Health NHS Trust now" in text
    assert "move-keep_mdso" not in text  # Barts has no MDSO: Tariq simply moves
    assert "Move the officers to Barts Health NHS Trust" in text
    assert "End their appointments" in text
    assert "could not be established from ODS" in text


def test_the_page_of_an_open_organisation_says_its_officers_stay_and_offers_only_the_successor(
    client, world, closed, successor, barts_mso
):
    Organisation.objects.filter(pk=closed.pk).update(closed_on=None)
    closed = with_successor(closed, successor)
    client.force_login(world.lead)
    response = client.get(closure_url(closed))
    assert response.status_code == 200
    assert "has not closed Homerton Healthcare NHS Foundation Trust" in response.text
    assert "Change the successor" in response.text
    assert "Move the officers" not in response.text
    assert "End their appointments" not in response.text


def test_the_lead_moves_the_officers_through_the_page(client, world, closed, successor, barts_mso):
    closed = with_successor(closed, successor)
    client.force_login(world.lead)
    response = client.post(closure_url(closed, "move"), {"move-keep_mso": KEEP_CURRENT, "move-reason": "Merger"})
    assert response.status_code == 302
    assert response["Location"] == closure_url(closed)
    assert not in_post(closed).exists()
    page = client.get(response["Location"])
    assert "4 appointments moved to Barts Health NHS Trust" in page.text
    assert "Handovers in progress at Barts Health NHS Trust" in page.text
    assert "No one is in post" in page.text


def test_the_move_without_a_choice_shows_the_error_and_changes_nothing(client, world, closed, successor, barts_mso):
    closed = with_successor(closed, successor)
    client.force_login(world.lead)
    before = state()
    response = client.post(closure_url(closed, "move"), {"move-reason": "Merger"})
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert "Choose who is the named medication safety officer at Barts Health NHS Trust" in response.text
    assert response.text.count('href="#id_move-keep_mso_0"') == 1
    assert state() == before


def test_the_lead_sets_the_successor_and_ends_the_appointments_through_the_page(client, world, closed, successor):
    client.force_login(world.lead)
    response = client.post(closure_url(closed, "successor"), {"successor-successor": "zz9", "successor-reason": "x"})
    assert "No organisation has the ODS code ZZ9" in response.text
    response = client.post(closure_url(closed, "successor"), {"successor-successor": " r1h ", "successor-reason": "x"})
    assert response.status_code == 302
    closed.refresh_from_db()
    assert closed.successor == successor
    response = client.post(closure_url(closed, "end"), {"end-reason": ""})
    assert "Enter the reason" in response.text
    assert in_post(closed).count() == 4
    response = client.post(closure_url(closed, "end"), {"end-reason": "No one took over"})
    assert response.status_code == 302
    assert not in_post(closed).exists()


def test_a_refusal_from_the_service_is_shown_on_the_page(client, world, closed):
    client.force_login(world.lead)
    response = client.post(closure_url(closed, "move"), {})
    assert response.status_code == 200
    assert "Set the successor of Homerton Healthcare NHS Foundation Trust first" in response.text


@pytest.mark.parametrize("role", ["chair_a", "mso", "no_role"])
def test_the_closure_pages_are_not_found_for_anyone_but_the_lead(client, world, closed, successor, role):
    closed = with_successor(closed, successor)
    client.force_login(getattr(world, role))
    before = state()
    assert client.get(reverse("compliance:closures")).status_code == 404
    assert client.get(closure_url(closed)).status_code == 404
    assert client.post(closure_url(closed, "move"), {}).status_code == 404
    assert client.post(closure_url(closed, "end"), {"end-reason": "x"}).status_code == 404
    assert client.post(closure_url(closed, "successor"), {"successor-successor": "R0A"}).status_code == 404
    assert state() == before


def test_the_closure_page_takes_the_same_number_of_queries_for_more_officers(
    client, world, closed, successor, barts_mso, django_assert_max_num_queries
):
    closed = with_successor(closed, successor)
    Handover.objects.create(organisation=successor, outgoing_appointment=barts_mso, leaving_date=TODAY, due_date=TODAY)
    client.force_login(world.lead)
    with django_assert_max_num_queries(QUERIES):
        assert client.get(closure_url(closed)).status_code == 200
    for n in range(6):
        officer(closed, Appointment.Role.TEAM_MEMBER, first_name="Extra", last_name=f"Member{n}")
    with django_assert_max_num_queries(QUERIES):
        assert client.get(closure_url(closed)).status_code == 200


def test_the_list_of_closures_takes_the_same_number_of_queries_for_more_organisations(
    client, world, closed, django_assert_max_num_queries
):
    scan(CLOSED_ON)
    client.force_login(world.lead)
    with django_assert_max_num_queries(LIST_QUERIES):
        assert client.get(reverse("compliance:closures")).status_code == 200
    for n in range(5):
        other = OrganisationFactory(region=world.london, closed_on=CLOSED_ON, successor=world.org_b)
        officer(other, Appointment.Role.MSO, first_name="Closed", last_name=f"Officer{n}")
    scan(TODAY)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("compliance:closures"))
    assert response.text.count('href="/handovers/closures/') == 6
