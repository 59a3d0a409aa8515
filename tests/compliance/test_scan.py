"""The compliance scan opens each kind of flag on the day its condition becomes true and resolves it
on the day the condition ends; it never duplicates a flag and its number of queries does not grow."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.utils import timezone

from compliance.models import Flag
from compliance.services import compliance_scan, flag_acknowledge
from handovers.models import Handover
from officers.models import Appointment
from organisations.models import Cover, Organisation
from tests.factories import AppointmentFactory, OrganisationFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2024, 1, 8)


def scan(day: datetime.date):
    """Run the scan at noon on `day`, as the nightly job would that day."""
    with time_machine.travel(
        datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone()), tick=False
    ):
        return compliance_scan()


def open_kinds(organisation) -> set[str]:
    return set(Flag.objects.open().filter(organisation=organisation).values_list("kind", flat=True))


def officer(organisation, role=Appointment.Role.MSO, *, start=START, confirmed=datetime.date(2026, 1, 5), **kwargs):
    person = PersonFactory(details_confirmed_on=confirmed)
    kwargs.setdefault("mhra_registered_on", start)
    return AppointmentFactory(person=person, organisation=organisation, role=role, start_date=start, **kwargs)


def compliant(**kwargs):
    """An open organisation with a mailbox, a registered MSO and an MDSO, details confirmed: no flags."""
    organisation = OrganisationFactory(**kwargs)
    officer(organisation, Appointment.Role.MSO)
    officer(organisation, Appointment.Role.MDSO)
    return organisation


def end(appointment, day):
    appointment.status = Appointment.Status.ENDED
    appointment.end_date = day
    appointment.save()


def test_compliant_organisation_gets_no_flag():
    organisation = compliant()
    scan(datetime.date(2026, 3, 2))
    assert open_kinds(organisation) == set()


def test_no_mso_flag_opens_when_the_mso_leaves_and_resolves_when_a_successor_starts():
    organisation = compliant()
    mso = organisation.appointments.get(role=Appointment.Role.MSO)
    end(mso, datetime.date(2026, 3, 1))
    scan(datetime.date(2026, 3, 2))
    flag = Flag.objects.open().get(organisation=organisation)
    assert flag.kind == Flag.Kind.NO_MSO
    assert flag.opened_at.date() == datetime.date(2026, 3, 2)

    officer(
        organisation,
        Appointment.Role.MSO,
        start=datetime.date(2026, 3, 9),
        mhra_registered_on=datetime.date(2026, 3, 9),
    )
    scan(datetime.date(2026, 3, 9))
    flag.refresh_from_db()
    assert flag.resolved_at.date() == datetime.date(2026, 3, 9)
    assert open_kinds(organisation) == set()


def test_no_mdso_flag_opens_and_resolves():
    organisation = OrganisationFactory()
    officer(organisation, Appointment.Role.MSO)
    scan(datetime.date(2026, 3, 2))
    assert open_kinds(organisation) == {Flag.Kind.NO_MDSO}
    officer(organisation, Appointment.Role.MDSO)
    scan(datetime.date(2026, 3, 3))
    assert open_kinds(organisation) == set()
    assert Flag.objects.resolved().get(organisation=organisation).resolved_at.date() == datetime.date(2026, 3, 3)


def test_pending_appointment_is_not_a_named_officer():
    organisation = OrganisationFactory()
    officer(organisation, Appointment.Role.MSO, status=Appointment.Status.PENDING)
    officer(organisation, Appointment.Role.MDSO)
    scan(datetime.date(2026, 3, 2))
    assert open_kinds(organisation) == {Flag.Kind.NO_MSO}


def test_mhra_flag_opens_after_thirty_days_and_resolves_on_registration():
    organisation = compliant()
    organisation.appointments.get(role=Appointment.Role.MSO).delete()
    mso = officer(organisation, start=datetime.date(2026, 1, 1), mhra_registered_on=None)

    scan(datetime.date(2026, 1, 31))  # 30 days after starting: not yet
    assert open_kinds(organisation) == set()
    scan(datetime.date(2026, 2, 1))  # more than 30 days
    flag = Flag.objects.open().get(organisation=organisation)
    assert (flag.kind, flag.appointment_id) == (Flag.Kind.MHRA_NOT_REGISTERED, mso.pk)

    mso.mhra_registered_on = datetime.date(2026, 2, 3)
    mso.save()
    scan(datetime.date(2026, 2, 4))
    flag.refresh_from_db()
    assert flag.resolved_at.date() == datetime.date(2026, 2, 4)


def test_unregistered_mdso_is_not_an_mhra_flag():
    organisation = compliant()
    organisation.appointments.filter(role=Appointment.Role.MDSO).update(mhra_registered_on=None)
    scan(datetime.date(2026, 3, 2))
    assert open_kinds(organisation) == set()


def test_details_flag_opens_twelve_months_after_the_last_confirmation_and_resolves_on_confirming():
    organisation = compliant()
    mdso = organisation.appointments.get(role=Appointment.Role.MDSO)
    mdso.person.details_confirmed_on = datetime.date(2025, 3, 1)
    mdso.person.save()

    scan(datetime.date(2026, 3, 1))  # exactly twelve months: not yet
    assert open_kinds(organisation) == set()
    scan(datetime.date(2026, 3, 2))
    flag = Flag.objects.open().get(organisation=organisation)
    assert (flag.kind, flag.appointment_id) == (Flag.Kind.DETAILS_NOT_CONFIRMED, mdso.pk)

    mdso.person.details_confirmed_on = datetime.date(2026, 3, 5)
    mdso.person.save()
    scan(datetime.date(2026, 3, 5))
    flag.refresh_from_db()
    assert flag.resolved_at.date() == datetime.date(2026, 3, 5)


def test_details_never_confirmed_count_from_the_start_of_the_appointment():
    organisation = compliant()
    organisation.appointments.get(role=Appointment.Role.MSO).delete()
    officer(organisation, start=datetime.date(2025, 3, 1), confirmed=None)
    scan(datetime.date(2026, 3, 1))
    assert open_kinds(organisation) == set()
    scan(datetime.date(2026, 3, 2))
    assert open_kinds(organisation) == {Flag.Kind.DETAILS_NOT_CONFIRMED}


def test_mailbox_flag_opens_without_a_generic_mailbox_and_resolves_when_one_is_recorded():
    organisation = compliant(generic_mailbox="")
    scan(datetime.date(2026, 3, 2))
    assert open_kinds(organisation) == {Flag.Kind.NO_MAILBOX}
    Organisation.objects.filter(pk=organisation.pk).update(generic_mailbox="rxx.mso@nhs.net")
    scan(datetime.date(2026, 3, 3))
    assert open_kinds(organisation) == set()


def handover_of(appointment, *, leaving, due, incoming=None):
    return Handover.objects.create(
        organisation=appointment.organisation,
        outgoing_appointment=appointment,
        incoming_appointment=incoming,
        leaving_date=leaving,
        due_date=due,
    )


def test_handover_lapses_the_day_after_its_due_date_and_its_flag_resolves_on_completion():
    organisation = compliant()
    mso = organisation.appointments.get(role=Appointment.Role.MSO)
    successor = officer(organisation, status=Appointment.Status.PENDING)
    handover = handover_of(mso, leaving=datetime.date(2026, 3, 6), due=datetime.date(2026, 3, 10), incoming=successor)

    scan(datetime.date(2026, 3, 10))
    handover.refresh_from_db()
    assert handover.status == Handover.Status.OPEN
    assert open_kinds(organisation) == set()

    scan(datetime.date(2026, 3, 11))
    handover.refresh_from_db()
    assert handover.status == Handover.Status.LAPSED
    assert handover.history.filter(history_type="~", status=Handover.Status.LAPSED).exists()
    flag = Flag.objects.open().get(organisation=organisation)
    assert (flag.kind, flag.handover_id) == (Flag.Kind.LAPSED_HANDOVER, handover.pk)

    handover.status = Handover.Status.COMPLETED
    handover.completed_at = timezone.now()
    handover.save()
    scan(datetime.date(2026, 3, 12))
    handover.refresh_from_db()
    assert handover.status == Handover.Status.COMPLETED
    flag.refresh_from_db()
    assert flag.resolved_at.date() == datetime.date(2026, 3, 12)


def test_handover_lapses_when_the_outgoing_officer_has_left_with_no_successor():
    organisation = compliant()
    mdso = organisation.appointments.get(role=Appointment.Role.MDSO)
    handover = handover_of(mdso, leaving=datetime.date(2026, 3, 6), due=datetime.date(2026, 4, 3))
    scan(datetime.date(2026, 3, 6))
    assert open_kinds(organisation) == set()

    end(mdso, datetime.date(2026, 3, 6))
    scan(datetime.date(2026, 3, 7))
    handover.refresh_from_db()
    assert handover.status == Handover.Status.LAPSED
    assert open_kinds(organisation) == {Flag.Kind.LAPSED_HANDOVER, Flag.Kind.NO_MDSO}


def test_closed_and_not_yet_open_organisations_are_never_flagged():
    closed = OrganisationFactory(closed_on=datetime.date(2025, 3, 31), generic_mailbox="")
    future = OrganisationFactory(opened_on=datetime.date(2026, 4, 1), generic_mailbox="")
    scan(datetime.date(2026, 3, 2))
    assert open_kinds(closed) == open_kinds(future) == set()


def test_flags_of_an_organisation_resolve_when_it_closes():
    organisation = OrganisationFactory(generic_mailbox="", closed_on=datetime.date(2026, 3, 31))
    scan(datetime.date(2026, 3, 2))
    assert open_kinds(organisation) == {Flag.Kind.NO_MSO, Flag.Kind.NO_MDSO, Flag.Kind.NO_MAILBOX}
    report = scan(datetime.date(2026, 3, 31))
    assert open_kinds(organisation) == set()
    assert report.resolved == 3


def test_a_community_pharmacy_is_never_flagged_its_company_answers_for_it():
    company = OrganisationFactory(kind=Organisation.Kind.PHARMACY_COMPANY, generic_mailbox="")
    pharmacy = OrganisationFactory(kind=Organisation.Kind.PHARMACY, parent=company, generic_mailbox="")
    alone = OrganisationFactory(kind=Organisation.Kind.PHARMACY, generic_mailbox="")
    scan(datetime.date(2026, 3, 2))
    assert open_kinds(pharmacy) == open_kinds(alone) == set()


def test_a_pharmacy_company_is_flagged_once_it_runs_more_than_the_threshold_of_pharmacies():
    company = OrganisationFactory(kind=Organisation.Kind.PHARMACY_COMPANY, region=None, generic_mailbox="")
    OrganisationFactory.create_batch(50, kind=Organisation.Kind.PHARMACY, parent=company)
    scan(datetime.date(2026, 3, 2))
    assert open_kinds(company) == set()
    OrganisationFactory(kind=Organisation.Kind.PHARMACY, parent=company)
    scan(datetime.date(2026, 3, 3))
    assert open_kinds(company) == {Flag.Kind.NO_MSO, Flag.Kind.NO_MDSO, Flag.Kind.NO_MAILBOX}


def test_cover_without_an_officer_flags_the_covering_body_once_not_each_company_it_covers():
    npa = OrganisationFactory(kind=Organisation.Kind.COVERING_BODY, region=None, name="National Pharmacy Association")
    companies = OrganisationFactory.create_batch(3, kind=Organisation.Kind.PHARMACY_COMPANY, region=None)
    for company in companies:
        OrganisationFactory(kind=Organisation.Kind.PHARMACY, parent=company)
    Cover.objects.create(covering=npa, rule=Cover.Rule.SMALL_PHARMACY_COMPANIES, role="mso", starts_on=START)
    scan(datetime.date(2026, 3, 2))
    assert open_kinds(npa) == {Flag.Kind.NO_MSO}
    assert Flag.objects.open().filter(kind=Flag.Kind.NO_MSO).count() == 1

    officer(npa, Appointment.Role.MSO)
    report = scan(datetime.date(2026, 3, 3))
    assert open_kinds(npa) == set()
    assert report.resolved == 1


def test_organisations_outside_england_are_never_flagged():
    welsh = OrganisationFactory(region=None, generic_mailbox="")
    welsh_closed = OrganisationFactory(region=None, closed_on=datetime.date(2025, 3, 31))
    officer(welsh_closed, Appointment.Role.MSO)
    scan(datetime.date(2026, 3, 2))
    assert open_kinds(welsh) == open_kinds(welsh_closed) == set()


def test_officers_in_post_at_a_closed_organisation_are_flagged_until_they_are_moved():
    organisation = compliant(closed_on=datetime.date(2026, 3, 31))
    scan(datetime.date(2026, 3, 30))
    assert open_kinds(organisation) == set()
    scan(datetime.date(2026, 3, 31))
    assert open_kinds(organisation) == {Flag.Kind.OFFICERS_AT_CLOSED}
    flag = Flag.objects.open().get(organisation=organisation)
    assert flag.appointment == organisation.appointments.order_by("pk").first()
    for appointment in organisation.appointments.all():
        end(appointment, datetime.date(2026, 3, 31))
    scan(datetime.date(2026, 4, 1))
    assert open_kinds(organisation) == set()


def test_parent_officers_do_not_cover_an_organisation_that_is_not_a_pharmacy():
    company = compliant(kind=Organisation.Kind.PHARMACY_COMPANY)
    trust = OrganisationFactory(parent=company)
    scan(datetime.date(2026, 3, 2))
    assert open_kinds(trust) == {Flag.Kind.NO_MSO, Flag.Kind.NO_MDSO}


def test_second_scan_changes_nothing():
    OrganisationFactory(generic_mailbox="")
    compliant()
    first = scan(datetime.date(2026, 3, 2))
    before = list(Flag.objects.values_list("pk", "organisation", "kind", "opened_at", "resolved_at"))
    history = Flag.history.count()
    second = scan(datetime.date(2026, 3, 2))
    assert (first.opened, first.resolved, first.open) == (3, 0, 3)
    assert (second.opened, second.resolved, second.open) == (0, 0, 3)
    assert list(Flag.objects.values_list("pk", "organisation", "kind", "opened_at", "resolved_at")) == before
    assert Flag.history.count() == history


def test_a_flag_that_comes_back_is_a_new_flag():
    organisation = OrganisationFactory()
    officer(organisation, Appointment.Role.MSO)
    scan(datetime.date(2026, 3, 2))
    officer(organisation, Appointment.Role.MDSO)
    scan(datetime.date(2026, 3, 3))
    end(organisation.appointments.get(role=Appointment.Role.MDSO), datetime.date(2026, 3, 3))
    scan(datetime.date(2026, 3, 4))
    assert Flag.objects.filter(organisation=organisation, kind=Flag.Kind.NO_MDSO).count() == 2
    assert Flag.objects.open().filter(organisation=organisation).count() == 1


def test_the_database_refuses_a_second_open_flag_of_the_same_kind():
    organisation = OrganisationFactory()
    Flag.objects.create(organisation=organisation, kind=Flag.Kind.NO_MSO)
    now = timezone.now()
    Flag.objects.create(organisation=organisation, kind=Flag.Kind.NO_MSO, opened_at=now, resolved_at=now)
    with pytest.raises(IntegrityError):
        Flag.objects.create(organisation=organisation, kind=Flag.Kind.NO_MSO)


def test_scan_records_opening_and_resolving_in_the_history():
    organisation = OrganisationFactory(generic_mailbox="")
    officer(organisation, Appointment.Role.MSO)
    officer(organisation, Appointment.Role.MDSO)
    scan(datetime.date(2026, 3, 2))
    Organisation.objects.filter(pk=organisation.pk).update(generic_mailbox="a.mso@nhs.net")
    scan(datetime.date(2026, 3, 3))
    flag = Flag.objects.get(organisation=organisation)
    assert [(row.history_type, row.resolved_at is None) for row in flag.history.order_by("history_date")] == [
        ("+", True),
        ("~", False),
    ]


def test_acknowledged_flag_stays_open_until_its_condition_ends():
    lead = UserFactory(is_national_lead=True)
    organisation = compliant(generic_mailbox="")
    scan(datetime.date(2026, 3, 2))
    flag = Flag.objects.open().get(organisation=organisation)
    flag_acknowledge(flag_id=flag.pk, user=lead, note="Asked the chief pharmacist for a mailbox.")
    scan(datetime.date(2026, 3, 3))
    flag.refresh_from_db()
    assert flag.is_open and flag.acknowledged_by == lead
    assert flag.history.first().history_user == lead
    Organisation.objects.filter(pk=organisation.pk).update(generic_mailbox="a.mso@nhs.net")
    scan(datetime.date(2026, 3, 4))
    flag.refresh_from_db()
    assert not flag.is_open


def test_command_prints_one_summary_line():
    OrganisationFactory(generic_mailbox="")
    out = io.StringIO()
    call_command("scan_compliance", stdout=out)
    assert out.getvalue() == "opened=3 resolved=0 open=3\n"
    out = io.StringIO()
    call_command("scan_compliance", stdout=out)
    assert re.fullmatch(r"opened=0 resolved=0 open=3\n", out.getvalue())


def populate(size: int) -> None:
    """`size` organisations with each kind of finding: no MDSO, unregistered MSO, unconfirmed details,
    no mailbox, a lapsed handover; and a pharmacy covered by its parent."""
    for n in range(size):
        organisation = OrganisationFactory(generic_mailbox="" if n % 2 else "x@nhs.net")
        mso = officer(organisation, mhra_registered_on=None, confirmed=None)
        if n % 3 == 0:
            handover_of(mso, leaving=datetime.date(2026, 1, 5), due=datetime.date(2026, 2, 2))
        OrganisationFactory(kind=Organisation.Kind.PHARMACY, parent=organisation)


@pytest.mark.parametrize("size", [2, 6])
def test_scan_runs_the_same_number_of_queries_whatever_the_number_of_organisations(size, django_assert_num_queries):
    populate(size)
    lock = 1 if connection.vendor == "postgresql" else 0
    # The savepoint and its release (the test runs in a transaction), the lock (PostgreSQL), the
    # handovers to lapse, marking them and their history (3), one query per kind (7), the open
    # flags, the new flags and their history (2), the record of the run and the pruning of old ones (2).
    with django_assert_num_queries(17 + lock):
        report = scan(datetime.date(2026, 3, 2))
    assert report.opened >= 3 * size
    Organisation.objects.update(closed_on=datetime.date(2026, 3, 3))
    Appointment.objects.update(status=Appointment.Status.ENDED, end_date=datetime.date(2026, 3, 3))
    # Nothing left to lapse (1), and the open flags resolve: the update, reading them back, their history
    # (3); the record and the pruning (2).
    with django_assert_num_queries(16 + lock):
        report = scan(datetime.date(2026, 3, 3))
    assert report.open == 0 and report.resolved == Flag.objects.count() >= 3 * size
