"""Getting started in post: the checklist's items done and undone, the MHRA registration and its flag,
the chair told once, the webinar attended, who may tick, and the items not applicable to a role."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.models import Flag
from compliance.services import compliance_scan
from emails.models import OutboundEmail
from networks.models import Membership
from officers.models import Appointment
from tests.factories import (
    AppointmentFactory,
    AttendanceFactory,
    ChecklistHiddenFactory,
    MembershipFactory,
    PersonFactory,
    ProgressFactory,
    UserFactory,
    WebinarFactory,
    seed_default_applicability,
)
from workspace.checklists import checklists_for
from workspace.models import Checklist, ChecklistHidden, Item, NotApplicable, Progress, is_new_in_post, months_before
from workspace.services import applicability_set, checklist_hide, checklist_show, mark_done, mark_undone

TODAY = timezone.localdate()
A_DATE = TODAY - datetime.timedelta(days=3)

# What each item records when marked done.
DETAILS = {
    Item.MHRA_REGISTRATION: {"date": A_DATE, "reference": "MHRA-12345"},
    Item.MAILBOX_ACCESS: {},
    Item.CHAIR_CONTACT: {},
    Item.KEY_CONTACTS: {},
    Item.INCIDENT_SYSTEM: {"system_lead": "Sam Patel"},
    Item.NATIONAL_WORKSPACE: {"date": A_DATE},
    Item.PATIENT_SAFETY_WORKSPACE: {"date": A_DATE},
    Item.MSIP_WORKSPACE: {"date": A_DATE},
    Item.NATIONAL_WEBINAR: {"date": A_DATE},
}


@pytest.fixture(autouse=True)
def _default_applicability(db):
    seed_default_applicability()


def row_of(appointment, item):
    appointment = Appointment.objects.select_related("organisation").get(pk=appointment.pk)
    return checklists_for([appointment])[0].row(item)


def new_officer(world, role=Appointment.Role.MSO, organisation=None, start_date=None):
    user = UserFactory()
    person = PersonFactory(user=user, work_email=user.email)
    appointment = AppointmentFactory(
        person=person, organisation=organisation or world.org_a, role=role, start_date=start_date or A_DATE
    )
    return user, appointment


@pytest.mark.parametrize("item", Item.values)
def test_each_item_is_done_when_marked_and_to_do_again_when_undone(world, item):
    appointment = world.mso_appointment
    assert not row_of(appointment, item).done

    progress = mark_done(appointment=appointment, item=item, by=world.mso, **DETAILS[item])

    row = row_of(appointment, item)
    assert row.done
    assert row.progress.pk == progress.pk
    assert row.progress.done_by == world.mso
    for name, value in DETAILS[item].items():
        assert getattr(row.progress, name) == value

    mark_undone(appointment=appointment, item=item, by=world.mso)

    assert not row_of(appointment, item).done
    assert not Progress.objects.filter(appointment=appointment, item=item).exists()


def test_marking_done_and_undoing_keep_history_with_who_and_why(world):
    progress = mark_done(appointment=world.mso_appointment, item=Item.KEY_CONTACTS, by=world.mso)
    mark_undone(appointment=world.mso_appointment, item=Item.KEY_CONTACTS, by=world.lead)

    created, deleted = Progress.history.filter(id=progress.pk).order_by("history_date")
    assert (created.history_type, created.history_user, created.history_change_reason) == (
        "+",
        world.mso,
        f"Marked done by {world.mso.get_full_name()}",
    )
    assert (deleted.history_type, deleted.history_user) == ("-", world.lead)
    assert deleted.history_change_reason == f"Undone by {world.lead.get_full_name()}"


def test_marking_a_done_item_again_replaces_what_it_recorded(world):
    mark_done(appointment=world.mso_appointment, item=Item.INCIDENT_SYSTEM, by=world.mso, system_lead="Sam Patel")
    mark_done(appointment=world.mso_appointment, item=Item.INCIDENT_SYSTEM, by=world.mso, system_lead="Jo Brown")

    assert list(Progress.objects.filter(appointment=world.mso_appointment).values_list("system_lead", flat=True)) == [
        "Jo Brown"
    ]


@pytest.mark.parametrize(
    ("item", "details", "field"),
    [
        (Item.MHRA_REGISTRATION, {"date": A_DATE, "reference": "  "}, "reference"),
        (Item.MHRA_REGISTRATION, {"date": None, "reference": "MHRA-1"}, "date"),
        (Item.MHRA_REGISTRATION, {"date": TODAY + datetime.timedelta(days=1), "reference": "MHRA-1"}, "date"),
        (Item.INCIDENT_SYSTEM, {"system_lead": ""}, "system_lead"),
        (Item.NATIONAL_WORKSPACE, {"date": None}, "date"),
        (Item.NATIONAL_WEBINAR, {"date": TODAY + datetime.timedelta(days=7)}, "date"),
    ],
)
def test_an_item_without_what_it_records_is_refused_and_nothing_changes(world, item, details, field):
    with pytest.raises(ValidationError) as error:
        mark_done(appointment=world.mso_appointment, item=item, by=world.mso, **details)

    assert field in error.value.message_dict
    assert not Progress.objects.exists()
    world.mso_appointment.refresh_from_db()
    assert world.mso_appointment.mhra_registered_on is None


def test_mhra_registration_is_recorded_on_the_appointment_and_clears_the_flag_at_once(world):
    appointment = world.mso_appointment  # started in 2024, not registered: flagged by the scan
    compliance_scan()
    flag = Flag.objects.open().get(organisation=world.org_a, kind=Flag.Kind.MHRA_NOT_REGISTERED)

    mark_done(appointment=appointment, item=Item.MHRA_REGISTRATION, by=world.mso, date=A_DATE, reference="MHRA-9")

    appointment.refresh_from_db()
    assert (appointment.mhra_registered_on, appointment.mhra_reference) == (A_DATE, "MHRA-9")
    assert appointment.history.first().history_change_reason.startswith("MHRA registration recorded by")
    flag.refresh_from_db()
    assert flag.resolved_at is not None
    assert flag.history.first().history_user == world.mso


def test_recording_the_mhra_registration_leaves_other_organisations_flags_open(world):
    compliance_scan()

    mark_done(
        appointment=world.mso_appointment, item=Item.MHRA_REGISTRATION, by=world.mso, date=A_DATE, reference="M-1"
    )

    assert Flag.objects.open().filter(organisation=world.org_b, kind=Flag.Kind.MHRA_NOT_REGISTERED).exists()
    assert Flag.objects.open().filter(organisation=world.org_a, kind=Flag.Kind.NO_MDSO).exists()


def test_undoing_the_mhra_registration_clears_it_and_the_next_scan_flags_it_again(world):
    appointment = world.mso_appointment
    compliance_scan()
    mark_done(appointment=appointment, item=Item.MHRA_REGISTRATION, by=world.mso, date=A_DATE, reference="MHRA-9")

    mark_undone(appointment=appointment, item=Item.MHRA_REGISTRATION, by=world.mso)

    appointment.refresh_from_db()
    assert (appointment.mhra_registered_on, appointment.mhra_reference) == (None, "")
    assert not Flag.objects.open().filter(organisation=world.org_a, kind=Flag.Kind.MHRA_NOT_REGISTERED).exists()
    compliance_scan()
    assert Flag.objects.open().filter(organisation=world.org_a, kind=Flag.Kind.MHRA_NOT_REGISTERED).exists()


def test_an_mhra_registration_already_on_record_counts_as_done_and_can_be_undone(world):
    appointment = world.mso_appointment
    appointment.mhra_registered_on = datetime.date(2024, 1, 20)
    appointment.mhra_reference = "OLD-1"
    appointment.save()

    row = row_of(appointment, Item.MHRA_REGISTRATION)
    assert row.done and row.progress is None
    assert row.done_note == "Registered on 20 January 2024, reference OLD-1"
    assert row.can_undo

    mark_undone(appointment=appointment, item=Item.MHRA_REGISTRATION, by=world.mso)
    appointment.refresh_from_db()
    assert appointment.mhra_registered_on is None


def test_the_chair_is_emailed_once_when_the_chair_contact_is_marked_done(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mark_done(appointment=world.mso_appointment, item=Item.CHAIR_CONTACT, by=world.mso)
    with django_capture_on_commit_callbacks(execute=True):
        mark_undone(appointment=world.mso_appointment, item=Item.CHAIR_CONTACT, by=world.mso)
    with django_capture_on_commit_callbacks(execute=True):
        mark_done(appointment=world.mso_appointment, item=Item.CHAIR_CONTACT, by=world.mso)

    chair = Membership.objects.get(network=world.network_a, role=Membership.Role.CHAIR).person
    assert [message.to for message in mail.outbox] == [[chair.work_email]]
    assert "Amina Okafor" in mail.outbox[0].subject
    assert "/workspace/" in mail.outbox[0].body
    assert OutboundEmail.objects.count() == 1


def test_the_vice_chair_is_told_too_and_no_chair_of_another_region(world, django_capture_on_commit_callbacks):
    vice = PersonFactory(work_email="vice.a@nhs.net")
    MembershipFactory(person=vice, network=world.network_a, role=Membership.Role.VICE_CHAIR)

    with django_capture_on_commit_callbacks(execute=True):
        mark_done(appointment=world.mso_appointment, item=Item.CHAIR_CONTACT, by=world.mso)

    assert sorted(message.to[0] for message in mail.outbox) == ["chair.a@nhs.net", "vice.a@nhs.net"]


def test_other_items_email_nobody(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mark_done(appointment=world.mso_appointment, item=Item.KEY_CONTACTS, by=world.mso)
    assert mail.outbox == []


def test_the_webinar_is_done_once_the_person_attended_one_since_starting(world):
    appointment = world.mso_appointment  # started on 8 January 2024
    AttendanceFactory(
        person=world.mso_person,
        meeting=WebinarFactory(network=world.national, held_on=datetime.date(2023, 12, 6)),
    )
    assert not row_of(appointment, Item.NATIONAL_WEBINAR).done

    AttendanceFactory(
        person=world.mso_person,
        meeting=WebinarFactory(network=world.national, held_on=datetime.date(2024, 2, 7), title="February"),
    )

    row = row_of(appointment, Item.NATIONAL_WEBINAR)
    assert row.done
    assert row.done_note == "Attended February on 7 February 2024"
    assert not row.can_undo


def test_a_webinar_attended_stays_done_after_undoing_the_one_marked_by_hand(world):
    AttendanceFactory(person=world.mso_person, meeting=WebinarFactory(network=world.national, held_on=TODAY))
    mark_done(appointment=world.mso_appointment, item=Item.NATIONAL_WEBINAR, by=world.mso, date=A_DATE)

    mark_undone(appointment=world.mso_appointment, item=Item.NATIONAL_WEBINAR, by=world.mso)

    assert row_of(world.mso_appointment, Item.NATIONAL_WEBINAR).done


def test_the_next_national_webinar_is_shown(world):
    WebinarFactory(network=world.national, held_on=TODAY - datetime.timedelta(days=30), title="Past")
    WebinarFactory(network=world.national, held_on=TODAY + datetime.timedelta(days=60), title="Later")
    WebinarFactory(network=world.national, held_on=TODAY + datetime.timedelta(days=5), title="Next")

    view = checklists_for([world.mso_appointment])[0]

    assert view.next_webinar.title == "Next"


@pytest.mark.parametrize("who", ["other_mso", "chair_a", "chair_b", "no_role"])
def test_only_the_holder_and_the_lead_can_tick(world, who):
    with pytest.raises(PermissionDenied):
        mark_done(appointment=world.mso_appointment, item=Item.KEY_CONTACTS, by=getattr(world, who))
    ProgressFactory(appointment=world.mso_appointment, item=Item.MAILBOX_ACCESS)
    with pytest.raises(PermissionDenied):
        mark_undone(appointment=world.mso_appointment, item=Item.MAILBOX_ACCESS, by=getattr(world, who))
    assert list(Progress.objects.values_list("item", flat=True)) == [Item.MAILBOX_ACCESS]


def test_the_lead_can_tick_for_an_officer(world):
    mark_done(appointment=world.mso_appointment, item=Item.KEY_CONTACTS, by=world.lead)
    assert row_of(world.mso_appointment, Item.KEY_CONTACTS).progress.done_by == world.lead


def test_an_ended_appointment_checklist_cannot_change(world):
    appointment = world.mso_appointment
    appointment.status = Appointment.Status.ENDED
    appointment.end_date = TODAY
    appointment.save()

    with pytest.raises(ValidationError):
        mark_done(appointment=appointment, item=Item.KEY_CONTACTS, by=world.mso)


def test_undoing_an_item_not_done_is_refused(world):
    with pytest.raises(ValidationError, match="not marked done"):
        mark_undone(appointment=world.mso_appointment, item=Item.KEY_CONTACTS, by=world.mso)


def test_an_mdso_never_has_the_mhra_item(world):
    user, mdso = new_officer(world, role=Appointment.Role.MDSO)

    view = checklists_for([mdso])[0]

    assert Item.MHRA_REGISTRATION not in [row.item for row in view.rows]
    assert view.item_count == len(Item.values) - 1
    with pytest.raises(ValidationError, match="does not apply"):
        mark_done(appointment=mdso, item=Item.MHRA_REGISTRATION, by=user, date=A_DATE, reference="X")


def test_defaults_leave_the_mhra_item_to_the_named_mso_and_the_chair_to_officers():
    NotApplicable.objects.all().delete()
    seed_default_applicability()
    seed_default_applicability()  # twice: nothing more

    table = NotApplicable.by_role()
    assert Item.MHRA_REGISTRATION not in table["mso"]
    assert {role for role, items in table.items() if Item.MHRA_REGISTRATION in items} >= {
        "mdso",
        "deputy_mso",
        "team_member",
    }
    assert Item.CHAIR_CONTACT in table["team_member"]
    assert NotApplicable.objects.count() == len({(row.item, row.role) for row in NotApplicable.objects.all()})


def test_the_lead_makes_an_item_not_applicable_to_a_role_and_back(world):
    changes = applicability_set(
        not_applicable={"mso": {Item.MSIP_WORKSPACE}, "mdso": {Item.MHRA_REGISTRATION}}, by=world.lead
    )

    assert changes == 1
    assert Item.MSIP_WORKSPACE not in [row.item for row in checklists_for([world.mso_appointment])[0].rows]
    row = NotApplicable.objects.get(role="mso", item=Item.MSIP_WORKSPACE)
    assert row.history.first().history_user == world.lead

    applicability_set(not_applicable={"mso": set()}, by=world.lead)

    assert Item.MSIP_WORKSPACE in [row.item for row in checklists_for([world.mso_appointment])[0].rows]
    assert NotApplicable.history.filter(history_type="-", item=Item.MSIP_WORKSPACE).exists()
    assert NotApplicable.objects.filter(role="mdso", item=Item.MHRA_REGISTRATION).exists()  # untouched


def test_only_the_lead_sets_what_applies(world):
    with pytest.raises(PermissionDenied):
        applicability_set(not_applicable={"mso": {Item.MSIP_WORKSPACE}}, by=world.chair_a)
    assert not NotApplicable.objects.filter(role="mso").exists()


def test_the_database_keeps_one_progress_row_per_appointment_and_item(world):
    ProgressFactory(appointment=world.mso_appointment, item=Item.KEY_CONTACTS)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressFactory(appointment=world.mso_appointment, item=Item.KEY_CONTACTS)


def test_the_database_keeps_one_applicability_row_per_item_and_role():
    with pytest.raises(IntegrityError), transaction.atomic():
        NotApplicable.objects.create(item=Item.MHRA_REGISTRATION, role="mdso")


def test_the_set_based_counts_agree_with_the_checklists(world):
    _, mdso = new_officer(world, role=Appointment.Role.MDSO)
    _, deputy = new_officer(world, role=Appointment.Role.DEPUTY_MSO, organisation=world.org_b)
    ProgressFactory(appointment=mdso, item=Item.KEY_CONTACTS)
    ProgressFactory(appointment=mdso, item=Item.MHRA_REGISTRATION)  # not applicable to an MDSO: not counted
    ProgressFactory(appointment=deputy, item=Item.MAILBOX_ACCESS)
    other = world.other_appointment
    other.mhra_registered_on = A_DATE
    other.save()
    AttendanceFactory(person=world.mso_person, meeting=WebinarFactory(network=world.national, held_on=TODAY))

    annotated = {c.pk: c for c in Checklist.objects.with_progress()}
    appointments = Appointment.objects.select_related("organisation").filter(pk__in=annotated)
    for view in checklists_for(appointments):
        checklist = annotated[view.appointment.pk]
        assert (checklist.done_count, checklist.item_count) == (view.done_count, view.item_count)
        assert checklist.outstanding_items() == [row.item for row in view.rows if not row.done]
    assert annotated[mdso.pk].done_count == 1
    assert annotated[other.pk].done_count == 1
    assert annotated[world.mso_appointment.pk].done_count == 1


def test_an_officer_with_everything_done_is_no_longer_getting_started(world):
    for appointment in (world.mso_appointment, world.other_appointment):
        appointment.start_date = TODAY - datetime.timedelta(days=30)
        appointment.save(update_fields=["start_date"])
    for item in Item.values:
        mark_done(appointment=world.mso_appointment, item=item, by=world.mso, **DETAILS[item])

    assert list(Checklist.objects.with_progress().getting_started()) == [world.other_appointment]


# --- new in post, and the checklist hidden from the home page


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 12, 7), 6, datetime.date(2026, 6, 7)),
        (datetime.date(2026, 3, 1), 6, datetime.date(2025, 9, 1)),
        (datetime.date(2026, 8, 31), 6, datetime.date(2026, 2, 28)),
        (datetime.date(2028, 8, 31), 6, datetime.date(2028, 2, 29)),
        (datetime.date(2026, 1, 15), 13, datetime.date(2024, 12, 15)),
    ],
)
def test_months_before_keeps_the_day_of_the_month_or_takes_the_last_of_a_shorter_month(day, months, expected):
    assert months_before(day, months) == expected


def test_an_appointment_is_new_in_post_from_its_start_for_the_months_the_setting_gives(world, settings):
    settings.GETTING_STARTED_MONTHS = 3
    appointment = world.mso_appointment
    today = datetime.date(2026, 12, 7)
    for start, expected in [
        (datetime.date(2026, 9, 7), True),
        (datetime.date(2026, 9, 6), False),
        (datetime.date(2027, 1, 4), True),  # starts later
    ]:
        appointment.start_date = start
        appointment.save()
        assert is_new_in_post(appointment, today) is expected
        assert Checklist.objects.new_in_post(today).filter(pk=appointment.pk).exists() is expected


def test_the_checklist_is_hidden_once_and_shown_once(world):
    assert checklist_hide(person=world.mso_person, by=world.mso) is True
    assert checklist_hide(person=world.mso_person, by=world.mso) is False
    assert ChecklistHidden.objects.filter(person=world.mso_person).count() == 1
    assert checklist_show(person=world.mso_person, by=world.mso) is True
    assert checklist_show(person=world.mso_person, by=world.mso) is False
    assert not ChecklistHidden.objects.exists()
    assert ChecklistHidden.history.count() == 2


def test_only_the_person_and_the_lead_hide_or_show_their_checklist(world):
    for service in (checklist_hide, checklist_show):
        with pytest.raises(PermissionDenied):
            service(person=world.mso_person, by=world.other_mso)
        with pytest.raises(PermissionDenied):
            service(person=world.mso_person, by=world.chair_a)
    assert not ChecklistHidden.objects.exists()
    assert checklist_hide(person=world.mso_person, by=world.lead) is True
    assert ChecklistHidden.history.get().history_user == world.lead


def test_the_database_keeps_one_hidden_checklist_per_person(world):
    ChecklistHiddenFactory(person=world.mso_person)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChecklistHiddenFactory(person=world.mso_person)
