"""Bad input posted to every form of the portal, through its real page and by the person who uses it.

Each example corrupts one to three fields of a valid post with arbitrary text (NUL bytes, control
characters, 20,000 characters, formula-like text, emoji, right-to-left text, whitespace only), a
malformed email address, telephone number or date (impossible, partial, in words, far in the past or
the future), or an unknown choice. Whatever is posted:

- the page never fails (no status of 500 or more, no exception);
- input that can never be valid (a NUL byte, text longer than any field, a malformed email,
  telephone number or date) is refused with an error message, and writes nothing;
- any post that is not accepted writes nothing (every table's row count and latest history row are
  the same after it as before) and says what is wrong, in the form's error summary or a message.
"""

import datetime
from dataclasses import dataclass, field

import pytest
from allauth.account.models import EmailAddress
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from compliance.models import Flag
from officers.models import Appointment, Profession
from tests.factories import (
    AppointmentFactory,
    ChangeRequestFactory,
    CommitteeFactory,
    CommitteeMemberFactory,
    FlagFactory,
    HandoverFactory,
    KeyContactFactory,
    MeetingFactory,
    OfferFactory,
    OrganisationFactory,
    PersonFactory,
    RegistrationRequestFactory,
    TeamProposalFactory,
    UnmatchedAttendeeFactory,
    WebinarFactory,
)
from tests.figures import figures
from tests.strategies import (
    arbitrary_text,
    bad_date_parts,
    bad_email,
    bad_input_settings,
    bad_phone,
    date_fields,
    db_snapshot,
    rolled_back,
    shows_error,
    snapshot_changes,
)

# The longest any text field accepts: longer text must be refused.
LONGEST_FIELD = 2000
DATE_FIELDS = ("start_date", "leaving_date", "due_date", "last_met_on", "held_on", "date")


@dataclass
class Case:
    """A form: who uses it, how to find its page (and make what it needs), a valid post, and the kind
    of each field that the examples corrupt: text, email, phone, date or choice; a name ending in *
    is required (text: at most LONGEST_FIELD characters; longtext: any length; loose: not a field)."""

    name: str
    role: str
    setup: object  # world -> (url, valid post data)
    fields: dict = field(default_factory=dict)
    # False where no post made in advance can be valid (a code from an authenticator app).
    valid_post_accepted: bool = True
    # True for the pages that ask for the password again first (email and two-factor changes).
    reauthenticate: bool = False


def _date_post(name: str, day: datetime.date) -> dict[str, str]:
    return date_fields(name, {"day": str(day.day), "month": str(day.month), "year": str(day.year)})


TODAY = datetime.date.today()


def registration(world):
    data = {
        "role": Appointment.Role.DEPUTY_MSO,
        **_date_post("start_date", TODAY - datetime.timedelta(days=30)),
        "first_name": "Nia",
        "last_name": "Evans",
        "job_title": "Deputy MSO",
        "profession": Profession.PHARMACIST,
        "registration_number": "2081234",
        "phone": "020 7946 0000",
        "has_mailbox_access": "yes",
        "proposed_mailbox": "mso.team@nhs.net",
    }
    return reverse("registrations:create", args=[world.org_a.ods_code]), data


def registration_no_mailbox(world):
    organisation = OrganisationFactory(ods_code="RZZ9", generic_mailbox="", region=world.london)
    url, data = registration(world)
    data.pop("has_mailbox_access")
    return reverse("registrations:create", args=[organisation.ods_code]), data


def change_details(world):
    person = world.mso_person
    data = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "job_title": "Lead MSO",
        "profession": Profession.PHARMACIST,
        "registration_number": "2081234",
        "work_email": person.work_email,
        "phone": "020 7946 0001",
        f"mailbox_{world.org_a.pk}": "mso.ral@nhs.net",
    }
    return reverse("officers:change-details"), data


def change_reject(world):
    change = ChangeRequestFactory(person=world.other_person, requested_by=world.other_mso)
    return reverse("officers:change-reject", args=[change.pk]), {"reason": "Not needed."}


def registration_reject(world):
    registration = RegistrationRequestFactory(user=world.no_role, organisation=world.org_a)
    return reverse("registrations:reject", args=[registration.pk]), {"reason": "Not the named officer."}


def team_reject(world):
    proposal = TeamProposalFactory(organisation=world.org_a, proposed_by=world.mso)
    return reverse("officers:team-reject", args=[proposal.pk]), {"reason": "Not in the team."}


def team_propose(world):
    data = {
        "role": Appointment.Role.TEAM_MEMBER,
        "first_name": "Priya",
        "last_name": "Shah",
        "work_email": "priya.shah@nhs.net",
        "job_title": "Lead Pharmacist",
        "profession": Profession.PHARMACIST,
        **_date_post("start_date", TODAY - datetime.timedelta(days=10)),
    }
    return reverse("directory:team-propose", args=[world.org_a.ods_code]), data


def key_contact_add(world):
    data = {"role": "chief_pharmacist", "name": "Priya Shah", "email": "priya.shah@nhs.net", "phone": "020 7946 0002"}
    return reverse("directory:key-contact-add", args=[world.org_a.ods_code]), data


def key_contact_edit(world):
    contact = KeyContactFactory(organisation=world.org_a, role="governance_lead", name="Ola Ade")
    data = {"role": "governance_lead", "name": "Ola Ade", "email": "ola.ade@nhs.net", "phone": "020 7946 0003"}
    return reverse("directory:key-contact-edit", args=[world.org_a.ods_code, contact.pk]), data


def board_director(world):
    data = {"name": "Dr Rhys Morgan", "email": "rhys.morgan@nhs.net"}
    return reverse("directory:board-director", args=[world.org_a.ods_code]), data


def committee_edit(world):
    data = {
        "name": "Medication Safety Committee",
        "chair_name": "Dr Chair",
        "meeting_frequency": "monthly",
        **_date_post("last_met_on", TODAY - datetime.timedelta(days=20)),
        "reports_to": "board",
        "reports_to_detail": "",
        "has_patient_representation": "yes",
        "patient_representation_detail": "A patient safety partner is a member.",
    }
    return reverse("committees:edit", args=[world.org_a.ods_code]), data


def committee_member_add(world):
    CommitteeFactory(organisation=world.org_a)
    data = {"name": "Jo Bloggs", "role": "Chief Pharmacist", "profession": Profession.PHARMACIST}
    return reverse("committees:member-add", args=[world.org_a.ods_code]), data


def committee_member_edit(world):
    member = CommitteeMemberFactory(committee=CommitteeFactory(organisation=world.org_a))
    data = {"name": "Jo Bloggs", "role": "Chief Pharmacist", "profession": Profession.PHARMACIST}
    return reverse("committees:member-edit", args=[world.org_a.ods_code, member.pk]), data


def handover_start(world):
    successor = PersonFactory(work_email="successor@nhs.net")
    data = {
        **_date_post("leaving_date", TODAY + datetime.timedelta(days=30)),
        **_date_post("due_date", TODAY + datetime.timedelta(days=60)),
        "successor_email": successor.work_email,
    }
    return reverse("handovers:start", args=[world.mso_appointment.pk]), data


def _handover(world):
    return HandoverFactory(
        outgoing_appointment=world.mso_appointment,
        organisation=world.org_a,
        due_date=TODAY + datetime.timedelta(days=1),  # left 27 days ago
    )


def handover_complete(world):
    return reverse("handovers:complete", args=[_handover(world).pk]), {"reason": "Successor in post."}


def handover_tick(world):
    return reverse("handovers:tick", args=[_handover(world).pk]), {"item": "mailbox_access"}


def flag_acknowledge(world):
    flag = FlagFactory(organisation=world.org_a, kind=Flag.Kind.NO_MDSO)
    return reverse("compliance:acknowledge", args=[flag.pk]), {"note": "Contacted the trust.", "next": "/flags/"}


def meeting_create(world):
    data = {"title": "National MSO webinar", **_date_post("held_on", TODAY), "kind": "national_webinar"}
    return reverse("meetings:create", args=[world.national.slug]), data


def meeting_schedule(world):
    data = {
        "title": "National MSO webinar: insulin safety",
        **_date_post("held_on", TODAY + datetime.timedelta(days=14)),
        "start_time": "14:00",
        "end_time": "15:00",
        "joining_link": "https://teams.microsoft.com/l/meetup-join/insulin",
        "agenda": "Insulin errors this year",
        "kind": "national_webinar",
    }
    return reverse("meetings:create", args=[world.national.slug]), data


def meeting_edit(world):
    meeting = MeetingFactory(network=world.network_a)
    return reverse("meetings:edit", args=[meeting.pk]), {
        "title": "London MSO network meeting",
        **_date_post("held_on", TODAY),
    }


def attendance_add(world):
    meeting = MeetingFactory(network=world.network_a)
    return reverse("meetings:attendance-add", args=[meeting.pk]), {"people": [str(world.mso_person.pk)]}


def unmatched_match(world):
    meeting = MeetingFactory(network=world.network_a)
    row = UnmatchedAttendeeFactory(meeting=meeting)
    return reverse("meetings:unmatched-match", args=[meeting.pk, row.pk]), {"person": str(world.mso_person.pk)}


def workspace_item(world):
    return reverse("workspace:item", args=[world.mso_appointment.pk, "mhra-registration"]), {
        **_date_post("date", TODAY - datetime.timedelta(days=3)),
        "reference": "MHRA-12345",
    }


def workspace_incident(world):
    return reverse("workspace:item", args=[world.mso_appointment.pk, "incident-system"]), {"system_lead": "Ola Ade"}


def applicability(world):
    return reverse("workspace:applicability"), {"team_member": ["mhra_registration"]}


def resend_confirmation(world):
    return reverse("users:resend-confirmation"), {"email": "someone@nhs.net"}


PASSWORD = "correct horse battery staple"  # the factories' password
NEW_PASSWORD = "a much longer pass phrase 2026"


def signup(world):
    return reverse("account_signup"), {
        "email": "new.officer@nhs.net",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }


def login(world):
    return reverse("account_login"), {"login": "mso.a@nhs.net", "password": PASSWORD}


def password_reset(world):
    return reverse("account_reset_password"), {"email": "mso.a@nhs.net"}


def password_change(world):
    return reverse("account_change_password"), {
        "oldpassword": PASSWORD,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }


def reauthenticate(world):
    return reverse("account_reauthenticate"), {"password": PASSWORD}


def email_add(world):
    # The address signed in with, as allauth records it on the first visit to this page.
    EmailAddress.objects.get_or_create(user=world.mso, email=world.mso.email, primary=True, verified=True)
    return reverse("account_email"), {"action_add": "", "email": "amina.okafor@nhs.net"}


def totp_activate(world):
    return reverse("mfa_activate_totp"), {"code": "123456"}


def trusted_domain_add(world):
    return reverse("admin:users_trustedemaildomain_add"), {"domain": "newtrust.org.uk", "note": "A new trust."}


def offer_to_present(world):
    data = {
        "title": "Learning from insulin omissions",
        "summary": "What our wards changed, and the numbers a year on.",
        "preferred_months": [f"{TODAY:%Y-%m}"],
    }
    return reverse("presentations:offer-create"), data


def offer_accept(world):
    offer = OfferFactory(person=world.other_person)
    webinar = WebinarFactory(network=world.national, held_on=TODAY + datetime.timedelta(days=20))
    return reverse("presentations:accept", args=[offer.pk]), {"meeting": str(webinar.pk)}


def offer_decline(world):
    offer = OfferFactory(person=world.other_person)
    return reverse("presentations:decline", args=[offer.pk]), {"reason": "We covered insulin in May."}


def message_write(world):
    data = {
        "subject": "Insulin safety alert",
        "body": "Dear colleagues,\n\nPlease read https://www.england.nhs.uk/alerts/.",
        "roles": ["mso"],
        "regions": [str(world.london.pk)],
        "networks": [str(world.network_a.pk)],
        "webinars": "",
        "copy_mailboxes": "on",
    }
    return reverse("mailings:write"), data


CASES = [
    Case(
        "registration",
        "no_role",
        registration,
        {
            "role*": "choice",
            "start_date*": "date",
            "first_name*": "text",
            "last_name*": "text",
            "job_title*": "text",
            "profession*": "choice",
            "registration_number": "text",
            "phone*": "phone",
            "has_mailbox_access*": "choice",
        },
    ),
    Case(
        "registration-no-mailbox",
        "no_role",
        registration_no_mailbox,
        {"role*": "choice", "phone*": "phone", "proposed_mailbox": "email", "start_date*": "date"},
    ),
    Case(
        "change-details",
        "mso",
        change_details,
        {
            "first_name*": "text",
            "last_name*": "text",
            "job_title": "text",
            "profession": "choice",
            "registration_number": "text",
            "work_email*": "email",
            "phone": "phone",
        },
    ),
    Case("change-reject", "lead", change_reject, {"reason*": "text"}),
    Case("registration-reject", "lead", registration_reject, {"reason*": "text"}),
    Case("team-reject", "lead", team_reject, {"reason*": "text"}),
    Case(
        "team-propose",
        "mso",
        team_propose,
        {
            "role*": "choice",
            "first_name*": "text",
            "last_name*": "text",
            "work_email*": "email",
            "job_title*": "text",
            "profession*": "choice",
            "start_date*": "date",
        },
    ),
    Case(
        "key-contact-add",
        "mso",
        key_contact_add,
        {"role*": "choice", "name*": "text", "email": "email", "phone": "phone"},
    ),
    Case(
        "key-contact-edit",
        "mso",
        key_contact_edit,
        {"role*": "choice", "name*": "text", "email": "email", "phone": "phone"},
    ),
    Case("board-director", "mso", board_director, {"name": "text", "email": "email"}),
    Case(
        "committee-edit",
        "mso",
        committee_edit,
        {
            "name*": "text",
            "chair_name": "text",
            "meeting_frequency": "choice",
            "last_met_on": "date",
            "reports_to": "choice",
            "has_patient_representation*": "choice",
            "patient_representation_detail*": "text",
        },
    ),
    Case(
        "committee-member-add",
        "mso",
        committee_member_add,
        {"name*": "text", "role": "text", "profession*": "choice"},
    ),
    Case(
        "committee-member-edit",
        "mso",
        committee_member_edit,
        {"name*": "text", "role": "text", "profession*": "choice"},
    ),
    Case(
        "handover-start",
        "mso",
        handover_start,
        {"leaving_date*": "date", "due_date": "date", "successor_email": "email"},
    ),
    Case("handover-complete", "lead", handover_complete, {"reason": "text"}),
    Case("handover-tick", "mso", handover_tick, {"item*": "choice"}),
    Case("flag-acknowledge", "lead", flag_acknowledge, {"note*": "text", "next": "loose"}),
    Case(
        "meeting-create",
        "lead",
        meeting_create,
        {"title*": "text", "held_on*": "date", "kind*": "choice"},
    ),
    Case(
        "meeting-schedule",
        "lead",
        meeting_schedule,
        {"held_on*": "date", "start_time": "text", "end_time": "text", "joining_link": "text", "agenda": "longtext"},
    ),
    Case("meeting-edit", "chair_a", meeting_edit, {"title*": "text", "held_on*": "date"}),
    Case("attendance-add", "chair_a", attendance_add, {"people*": "choice"}),
    Case("unmatched-match", "chair_a", unmatched_match, {"person*": "choice"}),
    Case("workspace-item", "mso", workspace_item, {"date*": "date", "reference*": "text"}),
    Case("workspace-incident-system", "mso", workspace_incident, {"system_lead*": "text"}),
    Case("applicability", "lead", applicability, {"team_member": "choice", "mso": "choice"}),
    Case("resend-confirmation", None, resend_confirmation, {"email*": "email"}),
    Case("signup", None, signup, {"email*": "email", "password1*": "text", "password2*": "text"}),
    Case("login", None, login, {"login*": "email", "password*": "text"}),
    Case("password-reset", None, password_reset, {"email*": "email"}),
    Case(
        "password-change", "mso", password_change, {"oldpassword*": "text", "password1*": "text", "password2*": "text"}
    ),
    Case("trusted-domain-add", "lead", trusted_domain_add, {"domain*": "loose", "note": "longtext"}),
    Case("reauthenticate", "mso", reauthenticate, {"password*": "text"}),
    Case("email-add", "mso", email_add, {"email*": "email"}, reauthenticate=True),
    Case("totp-activate", "mso", totp_activate, {"code*": "text"}, valid_post_accepted=False, reauthenticate=True),
    Case(
        "offer-to-present",
        "mso",
        offer_to_present,
        {"title*": "text", "summary*": "text", "preferred_months": "choice"},
    ),
    Case("offer-accept", "lead", offer_accept, {"meeting*": "choice"}),
    Case("offer-decline", "lead", offer_decline, {"reason*": "text"}),
    Case(
        "message-write",
        "lead",
        message_write,
        {
            "subject*": "text",
            "body*": "longtext",
            "roles": "choice",
            "regions": "choice",
            "networks": "choice",
            "organisation_kinds": "choice",
            "flag_kinds": "choice",
            "webinars": "choice",
        },
    ),
]

# Accepted without adding or changing a row that the snapshot counts (a message being written is
# kept in the session until it is sent).
ACCEPTED_WITHOUT_ROWS = {
    "resend-confirmation",
    "login",
    "password-change",
    "reauthenticate",
    "email-add",
    "message-write",
}


def _sign_in(client, world, case) -> None:
    cache.clear()  # allauth's rate limits, so that one example's failed sign-ins do not limit the next
    client.logout()
    if case.role is not None:
        client.force_login(getattr(world, case.role))
    if case.reauthenticate:
        assert client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 302


def _must_refuse_text(value: str, required: bool) -> bool:
    return "\x00" in value or len(value) > LONGEST_FIELD or (required and not value.strip())


@st.composite
def corrupted(draw, case: Case):
    """(field, posted value(s), whether it can never be valid) for one to three of the case's fields."""
    names = draw(st.lists(st.sampled_from(list(case.fields)), min_size=1, max_size=3, unique=True))
    changes = []
    for key in names:
        kind, required, name = case.fields[key], key.endswith("*"), key.rstrip("*")
        if kind in ("text", "longtext", "loose"):
            # longtext: a field of any length; loose: not a field, read leniently (a page to go back to)
            value = draw(arbitrary_text)
            must = {"text": _must_refuse_text(value, required), "longtext": "\x00" in value, "loose": False}[kind]
            changes.append((name, {name: value}, must))
        elif kind == "email":
            value = draw(bad_email)
            changes.append((name, {name: value}, bool(value.strip()) or required))
        elif kind == "phone":
            value = draw(bad_phone)
            changes.append((name, {name: value}, bool(value.strip()) or required))
        elif kind == "date":
            parts = draw(bad_date_parts())
            blank = not any(part.strip() for part in parts.values())
            changes.append((name, date_fields(name, parts), not blank or required))
        else:  # a choice: an arbitrary value is refused unless it happens to be blank for an optional one
            value = draw(st.one_of(arbitrary_text, st.lists(arbitrary_text, min_size=1, max_size=3)))
            texts = value if isinstance(value, list) else [value]
            must = any("\x00" in text for text in texts) or (required and not any(t.strip() for t in texts))
            changes.append((name, {name: value}, must))
    return changes


def _refusal_message(response) -> bool:
    """Whether a refused post says why: an error summary or message on the page, or an error or
    warning message carried to the page it redirects to."""
    if response.status_code == 429:  # too many tries: the page says so
        return True
    if response.status_code == 200:
        return shows_error(response)
    levels = [message.level_tag for message in get_messages(response.wsgi_request)]
    return "error" in levels or "warning" in levels


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@bad_input_settings(max_examples=8)
@given(data=st.data())
def test_bad_input_is_refused_with_a_message_and_writes_nothing(client, world, case, data):
    _sign_in(client, world, case)
    changes = data.draw(corrupted(case), label="changes")
    must_refuse = [name for name, _, must in changes if must]
    with rolled_back():
        url, valid = case.setup(world)
        post = dict(valid)
        for name, values, _ in changes:
            if name in DATE_FIELDS:
                for key in (f"{name}_day", f"{name}_month", f"{name}_year"):
                    post.pop(key, None)
            post.update(values)
        before = db_snapshot()
        response = client.post(url, post)
        assert response.status_code < 500, (case.name, post)
        after = db_snapshot()
        accepted = response.status_code in (301, 302, 303) and after != before
        if must_refuse:
            assert not accepted, f"{case.name}: {changes} accepted: {snapshot_changes(before, after)}"
        if not accepted:
            assert after == before, f"{case.name}: a refused post wrote {snapshot_changes(before, after)}"
            if must_refuse:
                assert _refusal_message(response), f"{case.name}: refused {must_refuse} without saying why"
    figures.add("bad_inputs", 1)


VALID_CASES = [case for case in CASES if case.valid_post_accepted]


@pytest.mark.parametrize("case", VALID_CASES, ids=[case.name for case in VALID_CASES])
def test_the_valid_post_of_each_case_is_accepted(client, world, case):
    """The valid post the examples start from is accepted, so that a refusal is the bad input's doing."""
    _sign_in(client, world, case)
    url, valid = case.setup(world)
    before = db_snapshot()
    response = client.post(url, valid)
    assert response.status_code in (302, 303), (case.name, response.content.decode()[:3000])
    assert not _refusal_message(response), case.name
    assert db_snapshot() != before or case.name in ACCEPTED_WITHOUT_ROWS


# Every date box of every form, with a date far in the past and far in the future.
DATE_CASES = [(case, key.rstrip("*")) for case in CASES for key, kind in case.fields.items() if kind == "date"]


@pytest.mark.parametrize(("case", "name"), DATE_CASES, ids=[f"{case.name}-{name}" for case, name in DATE_CASES])
def test_a_date_far_in_the_past_or_the_future_is_refused_with_a_message(client, world, case, name):
    _sign_in(client, world, case)
    for year in (1066, 1899, 2999, 9999):
        with rolled_back():
            url, post = case.setup(world)
            post.update(_date_post(name, datetime.date(year, 6, 15)))
            before = db_snapshot()
            response = client.post(url, post)
            assert response.status_code == 200, f"{case.name}: {name} of {year} accepted"
            assert shows_error(response)
            assert db_snapshot() == before
        figures.add("bad_inputs", 1)


def test_a_leaving_date_at_the_end_of_the_calendar_is_refused_not_overflowed(client, world):
    """The due date defaults to some days after the leaving date: from 31 December 9999 there is
    none, and the form says the leaving date is too far ahead instead of failing."""
    client.force_login(world.mso)
    before = db_snapshot()
    response = client.post(
        reverse("handovers:start", args=[world.mso_appointment.pk]),
        date_fields("leaving_date", {"day": "31", "month": "12", "year": "9999"}),
    )
    assert response.status_code == 200
    assert "The leaving date must be within the next 5 years" in response.content.decode()
    assert db_snapshot() == before
    figures.add("bad_inputs", 1)


def test_resend_confirmation_says_how_an_email_address_is_written(client, world):
    response = client.post(reverse("users:resend-confirmation"), {"email": "name at nhs.net"})
    assert response.status_code == 200
    assert "Enter an email address in the correct format, like name@nhs.net" in response.content.decode()
    figures.add("bad_inputs", 1)


@pytest.mark.parametrize("reason", ["Done\x00", "x" * 2001])
def test_completing_a_handover_with_a_reason_that_cannot_be_kept_completes_nothing(client, world, reason):
    """A handover ready to complete (successor named, checklist ticked): a reason that cannot be
    kept is refused with its message, rather than dropped while the handover completes."""
    from django.utils import timezone

    from handovers.models import Handover, HandoverChecklistItem

    handover = _handover(world)
    handover.incoming_appointment = AppointmentFactory(
        person=PersonFactory(), organisation=world.org_a, role=Appointment.Role.MSO, status=Appointment.Status.PENDING
    )
    handover.save()
    for item in HandoverChecklistItem.Item.values:
        HandoverChecklistItem.objects.create(
            handover=handover, item=item, ticked_at=timezone.now(), ticked_by=world.mso
        )
    client.force_login(world.mso)
    before = db_snapshot()
    response = client.post(reverse("handovers:complete", args=[handover.pk]), {"reason": reason})
    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    handover.refresh_from_db()
    assert handover.status == Handover.Status.OPEN
    assert db_snapshot() == before
    figures.add("bad_inputs", 1)


@bad_input_settings(max_examples=6)
@given(code=arbitrary_text)
def test_the_two_factor_code_at_sign_in_refuses_any_text_with_a_message(client, world, code):
    """The national lead signs in with the password, then types anything for the authenticator's code."""
    cache.clear()
    client.logout()
    EmailAddress.objects.get_or_create(user=world.lead, email=world.lead.email, primary=True, verified=True)
    response = client.post(reverse("account_login"), {"login": world.lead.email, "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    with rolled_back():
        before = db_snapshot()
        response = client.post(reverse("mfa_authenticate"), {"code": code})
        assert response.status_code < 500
        assert response.status_code in (200, 429)
        if response.status_code == 200:
            assert shows_error(response)
        assert db_snapshot() == before, snapshot_changes(before, db_snapshot())
    figures.add("bad_inputs", 1)
