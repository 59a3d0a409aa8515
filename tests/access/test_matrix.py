"""The access matrix: every URL the portal serves (read from the URL resolver, so a new page cannot
escape it) × every role, each cell's expected outcome written once in TABLE below.

For each cell the test asserts the GET outcome. Where a role may not use a page, it also POSTs the
page's form (with valid data) as that role and asserts the outcome and that nothing was written
(row counts and the highest id of every table, history tables included, are the same before and
after); CONTROL then sends the same POST as a role that may, and asserts that it does write, so the
refusal is not an accident of bad data. Where a role gets 404 for an object (out of its scope), the
same request for an id that does not exist must give the same 404 page.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from committees import services as committee_services
from compliance.models import Flag
from imports.models import ExportJob
from officers.forms import ChangeDetailsForm
from officers.models import Appointment
from tests.factories import (
    AppointmentFactory,
    AttendanceFactory,
    CalendarFeedFactory,
    ChangeRequestFactory,
    ChecklistHiddenFactory,
    CommitteeFactory,
    CommitteeMemberFactory,
    CoverFactory,
    FlagFactory,
    HandoverFactory,
    ImportJobFactory,
    KeyContactFactory,
    MeetingFactory,
    MessageFactory,
    OfferFactory,
    OrganisationFactory,
    RecipientFactory,
    RegistrationRequestFactory,
    ScheduledMeetingFactory,
    ScheduledWebinarFactory,
    TeamProposalFactory,
    UnmatchedAttendeeFactory,
    WebinarFactory,
)
from tests.factories.files import pdf_bytes
from tests.figures import figures

ROLES = ("anonymous", "lead", "mso", "other_mso", "chair_a", "chair_b", "no_role")

# Outcomes. A cell is "GET" or "GET/POST": what a GET gives and, after the slash, what a POST gives
# (and that the POST writes nothing). A forbidden GET outcome (login, 401, 403, 404) with no slash
# is also the POST's. 405 for GET on a POST-only action.
LOGIN = "login"  # 302 to the portal's sign-in page
ADMIN_LOGIN = "admin"  # 302 to the admin's sign-in address (which sends people to the portal's sign-in)
FORBIDDEN = {LOGIN, ADMIN_LOGIN, "401", "403", "404"}
OUTCOMES = FORBIDDEN | {"200", "302", "405"}

# The URLs the matrix leaves out, each with why. Everything else the resolver serves needs a row.
EXCLUDED = (
    # Django's admin: every admin page goes through AdminSite.admin_view, which lets in active staff
    # only (tests/msonet/test_admin.py covers its pages); its index is in the table below.
    ("admin:", lambda name, view_module: name != "admin:index"),
    # django-allauth's own account and two-factor pages (sign-in, sign-up, email, password, MFA):
    # allauth's views, reached by anonymous visitors by design, tested in tests/test_accounts*.py.
    ("account_", lambda name, view_module: view_module.startswith("allauth.")),
    ("mfa_", lambda name, view_module: view_module.startswith("allauth.")),
)
# Static and media files (served by URL patterns only when DEBUG is on, never in the tests).
EXCLUDED_VIEWS = ("django.views.static.serve",)


# The table: a row per URL name, a column per role. Lines starting with # are comments.
TABLE_TEXT = """
# URL name                              anonymous lead      mso       other_mso chair_a   chair_b   no_role
directory:home                          login     200       200       200       200       200       200
healthz                                 200       200       200       200       200       200       200
readyz                                  200       200       200       200       200       200       200
admin:index                             admin     200       admin     admin     admin     admin     admin
# Accounts (the portal's own pages beside allauth's)
users:resend-confirmation               200       200       200       200       200       200       200
audit:my-data                           login     200       200       200       200       200       200
audit:my-data-download                  login     200       200       200       200       200       200
# Organisations: the directory and public profile for everyone signed in; the private profile's
# change pages for its named officers and the lead (403 for the region's chair, who may see it).
directory:organisations                 login     200       200       200       200       200       200
directory:search-json                   401/405   200       200       200       200       200       200
directory:organisation                  login     200       200       200       200       200       200
directory:organisation-history          login     200       200       200       200       200       200
directory:key-contacts                  login     200       200       404       403       404       404
directory:key-contact-add               login     200       200       404       403       404       404
directory:key-contact-edit              login     200       200       404       403       404       404
directory:key-contact-remove            login     200       200       404       403       404       404
directory:board-director                login     200       200       404       403       404       404
directory:team-propose                  login     200       200       404       403       404       404
# Who must name an officer and who covers whom: the national lead's settings (404 for everyone else).
organisations:coverage-rules            login     200       404       404       404       404       404
organisations:cover-add                 login     200       404       404       404       404       404
organisations:cover-end                 login     405       404       404       404       404       404
compliance:expectations                 login     200       404       404       404       404       404
# People: a person's page for everyone signed in; "me" pages for whoever has a person record.
directory:person                        login     200       200       200       200       200       200
directory:person-history                login     200       200       200       200       200       200
officers:change-details                 login     404       200       200       200       200       404
officers:change-sent                    login     404       200       200       200       200       404
officers:confirm-details                login     405/404   405       405       405       405       405/404
officers:my-change-requests             login     404       200       200       200       200       404
officers:my-change-request              login     404       200       404       404       404       404
officers:change-withdraw                login     405/404   405       405/404   405/404   405/404   405/404
# The national lead's queues: 404 for everyone else, before any object is looked up.
officers:change-queue                   login     200       404       404       404       404       404
officers:change-review                  login     200       404       404       404       404       404
officers:change-approve                 login     405       404       404       404       404       404
officers:change-reject                  login     405       404       404       404       404       404
registrations:start                     login     200       200       200       200       200       200
registrations:create                    login     200       200       200       200       200       200
registrations:list                      login     200       200       200       200       200       200
registrations:detail                    login     200       404       404       404       404       200
registrations:submitted                 login     200       404       404       404       404       200
registrations:withdraw                  login     405/404   405/404   405/404   405/404   405/404   405
registrations:queue                     login     200       404       404       404       404       404
registrations:review                    login     200       404       404       404       404       404
registrations:approve                   login     405       404       404       404       404       404
registrations:reject                    login     405       404       404       404       404       404
officers:team-queue                     login     200       404       404       404       404       404
officers:team-review                    login     200       404       404       404       404       404
officers:team-approve                   login     405       404       404       404       404       404
officers:team-reject                    login     405       404       404       404       404       404
officers:team-withdraw                  login     405       405       405/404   405/404   405/404   405/404
# Networks: the list and a network's page for everyone signed in; membership and meetings for the
# network's chairs and the lead (the national webinars: the national network's).
directory:networks                      login     200       200       200       200       200       200
directory:network                       login     200       200       200       200       200       200
directory:membership                    login     200       404       404       200       404       404
directory:membership-export             login     200       404       404       200       404       404
meetings:webinar-list                   login     200       404       404       404       404       404
meetings:attendance-import              login     200       404       404       200       200       404
meetings:list                           login     200       404       404       200       404       404
meetings:create                         login     200       404       404       200       404       404
meetings:detail                         login     200       404       404       200       404       404
meetings:edit                           login     200       404       404       200       404       404
meetings:attendance-add                 login     200       404       404       200       404       404
meetings:attendance-remove              login     200       404       404       200       404       404
meetings:teams-import                   login     200       404       404       200       404       404
meetings:attendance-export              login     200       404       404       200       404       404
meetings:unmatched-match                login     200       404       404       200       404       404
meetings:unmatched-dismiss              login     405       405/404   405/404   405       405/404   405/404
meetings:cancel                         login     200       404       404       200       404       404
# Webinars and meetings: everyone with a person record (and the lead) sees what they are invited to
# and resets their calendar link; the feed itself needs no sign-in, its secret token is the key.
meetings:upcoming                       login     200       200       200       200       200       404
meetings:calendar-reset                 login     405       405       405       405       405       405/404
meetings:calendar-feed                  200       200       200       200       200       200       200
# Handovers: the lead; the officers handing over; the region's chairs read-only.
handovers:list                          login     200       200       200       200       200       200
handovers:start                         login     200       200       404       404       404       404
handovers:detail                        login     200       200       404       200       404       404
handovers:tick                          login     405       405       405/404   405/403   405/404   405/404
handovers:untick                        login     405       405       405/404   405/403   405/404   405/404
handovers:complete                      login     405       405       405/404   405/403   405/404   405/404
# Closed organisations with officers in post: the lead's pages (404 for everyone else).
compliance:closures                     login     200       404       404       404       404       404
compliance:closure                      login     200       404       404       404       404       404
compliance:closure-successor            login     405       404       404       404       404       404
compliance:closure-move                 login     405       404       404       404       404       404
compliance:closure-end                  login     405       404       404       404       404       404
# Compliance flags: the lead; chairs see their regions' flags and may not acknowledge them.
compliance:board                        login     200       404       404       200       200       404
compliance:acknowledge                  login     405       405/404   405/404   405/403   405/404   405/404
# Committees: the private profile (the lead, the organisation's officers, the region's chairs);
# changed by the named officers and the lead.
committees:overview                     login     200       404       404       200       200       404
committees:detail                       login     200       200       404       200       404       404
committees:edit                         login     200       200       404       403       404       404
committees:member-add                   login     200       200       404       403       404       404
committees:member-edit                  login     200       200       404       403       404       404
committees:member-remove                login     200       200       404       403       404       404
committees:terms-of-reference           login     200       200       404       200       404       404
committees:terms-of-reference-upload    login     200       200       404       403       404       404
committees:terms-of-reference-remove    login     200       200       404       403       404       404
# Getting started: the holder and the lead change a checklist; the region's chairs see it.
workspace:progress                      login     200       404       404       200       200       404
workspace:applicability                 login     200       404       404       404       404       404
workspace:checklist                     login     200       200       404       200       404       404
workspace:item                          login     200       200       404       200/403   404       404
workspace:item-undo                     login     405       405       405/404   405/403   405/404   405/404
# Hiding the checklist from one's own home page, and showing it again: anyone with a person record.
workspace:hide                          login     405/404   405       405       405       405       405/404
workspace:show                          login     405/404   405       405       405       405       405/404
# The national lead's dashboard and imports and exports (404 for others).
dashboard:index                         login     200       404       404       404       404       404
dashboard:region                        login     200       404       404       404       404       404
imports:index                           login     200       404       404       404       404       404
imports:upload                          login     200       404       404       404       404       404
imports:job                             login     200       404       404       404       404       404
imports:job-confirm                     login     405       404       404       404       404       404
imports:job-cancel                      login     405       404       404       404       404       404
imports:export                          login     405       404       404       404       404       404
imports:export-job                      login     200       404       404       404       404       404
imports:export-download                 login     200       404       404       404       404       404
imports:export-cancel                   login     405       404       404       404       404       404
# Messages to the network: every signed-in user reads the messages sent to them, and only those.
mailings:inbox                          login     200       200       200       200       200       200
mailings:read                           login     404       200       404       404       404       404
# Writing and following messages: the lead; chairs for their networks (the scene's message is from
# network A). A message being written lives in its sender's session, which the matrix's clients do
# not have, so its preview and send answer 404 to everyone here (tests/mailings covers them).
mailings:write                          login     200       404       404       200       200       404
mailings:preview                        login     404       404       404       404       404       404
mailings:send                           login     405/404   405/404   405/404   405/404   405/404   405/404
mailings:sent                           login     200       404       404       200       200       404
mailings:detail                         login     200       404       404       200       404       404
mailings:retry                          login     405       405/404   405/404   405       405/404   405/404
# Offers to present at the national webinar: an officer in post offers and follows their own
# offers (404 for anyone without a current appointment, and for another officer's offer); the
# national lead's queue decides them, and moves an accepted one to another webinar (404 for everyone else).
presentations:my-offers                 login     404       200       200       404       404       404
presentations:offer-create              login     404       200       200       404       404       404
presentations:offer-detail              login     404       200       404       404       404       404
presentations:offer-withdraw            login     405/404   405       405/404   405/404   405/404   405/404
presentations:queue                     login     200       404       404       404       404       404
presentations:review                    login     200       404       404       404       404       404
presentations:accept                    login     405       404       404       404       404       404
presentations:decline                   login     405       404       404       404       404       404
presentations:move                      login     405       404       404       404       404       404
# The partner API: API keys only, never a portal session (401 for every signed-in user; its own
# outcome table, keys and scopes included, is tests/api/test_access.py); its schema and
# documentation are public, and any other address under it is a JSON 404.
api:organisations                       401       401       401       401       401       401       401
api:organisation                        401       401       401       401       401       401       401
api:networks                            401       401       401       401       401       401       401
api:coverage                            401       401       401       401       401       401       401
api:schema                              200       200       200       200       200       200       200
api:docs                                200       200       200       200       200       200       200
api:not-found                           404       404       404       404       404       404       404
"""


def _parse_table(text: str) -> dict[str, tuple[str, ...]]:
    table = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            name, *cells = line.split()
            assert len(cells) == len(ROLES), f"TABLE_TEXT: {name} needs a cell for each of {ROLES}"
            assert name not in table, f"TABLE_TEXT: two rows for {name}"
            for cell in cells:
                assert set(cell.split("/")) <= OUTCOMES, f"TABLE_TEXT: {name}: {cell!r} is not an outcome"
            table[name] = tuple(cells)
    return table


TABLE = _parse_table(TABLE_TEXT)


# The URLs: every pattern the resolver serves, by its namespaced name, with its route and view.


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    view_module: str
    view_path: str
    kwargs: tuple[str, ...]


def _view_path(callback) -> str:
    view = getattr(callback, "view_class", None) or callback
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return f"{getattr(view, '__module__', '')}.{getattr(view, '__qualname__', '')}"


def _walk(resolver: URLResolver, prefix: str = "", namespaces: tuple[str, ...] = ()):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = (entry.namespace,) if entry.namespace else ()
            yield from _walk(entry, prefix + str(entry.pattern), namespaces + namespace)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            # A pattern with no name is listed by its route, so it still needs a row.
            name = ":".join(namespaces + (entry.name or route,))
            yield Route(
                name=name,
                route=route,
                view_module=getattr(entry.callback, "__module__", ""),
                view_path=_view_path(entry.callback),
                kwargs=tuple(sorted(entry.pattern.regex.groupindex)),
            )


def _excluded(route: Route) -> bool:
    if route.view_path in EXCLUDED_VIEWS:
        return True
    return any(route.name.startswith(prefix) and rule(route.name, route.view_module) for prefix, rule in EXCLUDED)


def portal_routes() -> dict[str, Route]:
    """Every URL pattern the portal serves, less EXCLUDED, by name (the first of a name wins, as in reverse)."""
    routes = {}
    for route in _walk(get_resolver()):
        if not _excluded(route):
            routes.setdefault(route.name, route)
    return routes


ROUTES = portal_routes()


def test_every_url_the_portal_serves_has_a_row_in_the_table():
    missing = sorted(set(ROUTES) - set(TABLE))
    assert not missing, f"URLs with no row in TABLE (add one, with the outcome for each role): {missing}"
    stale = sorted(set(TABLE) - set(ROUTES))
    assert not stale, f"Rows in TABLE for URLs the portal no longer serves: {stale}"
    assert all(len(row) == len(ROLES) for row in TABLE.values())


def test_the_walk_finds_pages_of_every_app_and_leaves_out_only_admin_and_allauth_pages():
    names = set(ROUTES)
    assert {"directory:home", "admin:index", "registrations:approve", "imports:export-download"} <= names
    assert not any(name.startswith("admin:") and name != "admin:index" for name in names)
    assert "account_login" not in names and "mfa_index" not in names
    # The portal's own pages under /accounts/ are not allauth's: they stay in.
    assert {"audit:my-data", "users:resend-confirmation"} <= names


# The scene: an object of each kind in network A's region (London) and organisation A (RAL).


@pytest.fixture
def scene(world, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    org = world.org_a
    lead = world.lead
    committee = CommitteeFactory(organisation=org)
    committee_services.terms_of_reference_upload(
        committee=committee,
        user=lead,
        upload=SimpleUploadedFile("terms.pdf", pdf_bytes(), content_type="application/pdf"),
    )
    meeting = MeetingFactory(network=world.network_a, title="London MSO network meeting")
    # A scheduled meeting of network A (to cancel) and the MSO's calendar feed.
    scheduled_meeting = ScheduledMeetingFactory(network=world.network_a, title="London MSO network meeting, next")
    calendar_feed = CalendarFeedFactory(user=world.mso)
    return SimpleNamespace(
        world=world,
        organisation=org,
        person=world.mso_person,
        # The MSO's own appointment: its checklist and its handover. A second named role of theirs,
        # with no handover yet, for the start-a-handover page.
        checklist=world.mso_appointment,
        # The MSO hid their checklist from their home page (for the page that shows it again).
        checklist_hidden=ChecklistHiddenFactory(person=world.mso_person),
        handover=HandoverFactory(outgoing_appointment=world.mso_appointment),
        second_appointment=AppointmentFactory(person=world.mso_person, organisation=org, role=Appointment.Role.MDSO),
        key_contact=KeyContactFactory(organisation=org),
        change_request=ChangeRequestFactory(
            person=world.mso_person,
            requested_by=world.mso,
            changes={"phone": {"old": world.mso_person.phone, "new": "020 7000 0000"}},
        ),
        # Asked for by the user with no appointment yet.
        registration=RegistrationRequestFactory(user=world.no_role, organisation=org, role=Appointment.Role.DEPUTY_MSO),
        team_proposal=TeamProposalFactory(organisation=org, proposed_by=world.mso),
        flag=FlagFactory(organisation=org, kind=Flag.Kind.NO_MDSO),
        closed_organisation=_closed_organisation(world),
        committee=committee,
        committee_member=CommitteeMemberFactory(committee=committee),
        meeting=meeting,
        # The MSO's offer to present, waiting for the lead, and an upcoming national webinar for it.
        offer=OfferFactory(person=world.mso_person),
        webinar=WebinarFactory(network=world.national, held_on=days_from_today(14)),
        # The other officer's offer, accepted onto a national webinar since cancelled, to move to that one.
        accepted_offer=OfferFactory(
            person=world.other_person,
            status="approved",
            meeting=ScheduledWebinarFactory(network=world.national, cancelled_at=timezone.now()),
        ),
        scheduled_meeting=scheduled_meeting,
        calendar_feed=calendar_feed,
        attendance=AttendanceFactory(meeting=meeting, person=world.mso_person),
        unmatched=UnmatchedAttendeeFactory(meeting=meeting),
        import_job=ImportJobFactory(user=lead),
        # A covering body's MSO covering a pharmacy company, for the page that ends a cover.
        cover=CoverFactory(reason="Agreed with the pharmacy company."),
        # A message from network A to the MSO of organisation A, whose email the mail server refused.
        message=RecipientFactory(
            message=MessageFactory(sender=lead, network=world.network_a),
            address=world.mso_person.work_email,
            person=world.mso_person,
            email__failed_at=timezone.now(),
            email__last_error="550 No such user",
        ).message,
        export_job=ExportJob.objects.create(
            user=lead,
            dataset="people",
            file_format="csv",
            status=ExportJob.Status.DONE,
            data=b"Work email\r\n",
            finished_at=timezone.now(),
        ),
    )


def _closed_organisation(world):
    """A London trust ODS closed ten days ago, taken over by organisation A, its MSO still in post and flagged."""
    closed = OrganisationFactory(
        ods_code="RQX", region=world.london, closed_on=days_from_today(-10), successor=world.org_a
    )
    AppointmentFactory(organisation=closed, role=Appointment.Role.MSO)
    FlagFactory(organisation=closed, kind=Flag.Kind.OFFICERS_AT_CLOSED)
    return closed


# URL keyword arguments, by name: the value in the scene, and one that names nothing.
KWARGS = {
    "ods_code": lambda s: s.organisation.ods_code,
    "slug": lambda s: s.world.network_a.slug,
    "code": lambda s: s.world.london.code,
    "appointment_pk": lambda s: s.second_appointment.pk,
    "attendance_pk": lambda s: s.attendance.pk,
    "row_pk": lambda s: s.unmatched.pk,
    "file_format": lambda s: "csv",
    "dataset": lambda s: "people",
    "item": lambda s: "national-workspace",
    "token": lambda s: s.calendar_feed.token,
    "draft": lambda s: "0b6f1a2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
    "rest": lambda s: "no-such-resource/",
}
# Pages whose `ods_code` names another organisation of the scene than organisation A.
ODS_CODE = {
    "compliance:closure": "closed_organisation",
    "compliance:closure-successor": "closed_organisation",
    "compliance:closure-move": "closed_organisation",
    "compliance:closure-end": "closed_organisation",
}
# What `pk` means differs from page to page.
PK = {
    "directory:key-contact-edit": "key_contact",
    "directory:key-contact-remove": "key_contact",
    "organisations:cover-end": "cover",
    "directory:person": "person",
    "directory:person-history": "person",
    "officers:my-change-request": "change_request",
    "officers:change-withdraw": "change_request",
    "officers:change-review": "change_request",
    "officers:change-approve": "change_request",
    "officers:change-reject": "change_request",
    "registrations:detail": "registration",
    "registrations:submitted": "registration",
    "registrations:withdraw": "registration",
    "registrations:review": "registration",
    "registrations:approve": "registration",
    "registrations:reject": "registration",
    "officers:team-review": "team_proposal",
    "officers:team-approve": "team_proposal",
    "officers:team-reject": "team_proposal",
    "officers:team-withdraw": "team_proposal",
    "meetings:detail": "meeting",
    "meetings:edit": "meeting",
    "meetings:attendance-add": "meeting",
    "meetings:attendance-remove": "meeting",
    "meetings:teams-import": "meeting",
    "meetings:attendance-export": "meeting",
    "meetings:unmatched-match": "meeting",
    "meetings:unmatched-dismiss": "meeting",
    "meetings:cancel": "scheduled_meeting",
    "handovers:detail": "handover",
    "handovers:tick": "handover",
    "handovers:untick": "handover",
    "handovers:complete": "handover",
    "compliance:acknowledge": "flag",
    "committees:member-edit": "committee_member",
    "committees:member-remove": "committee_member",
    "workspace:checklist": "checklist",
    "workspace:item": "checklist",
    "workspace:item-undo": "checklist",
    "imports:job": "import_job",
    "imports:job-confirm": "import_job",
    "imports:job-cancel": "import_job",
    "imports:export-job": "export_job",
    "imports:export-download": "export_job",
    "imports:export-cancel": "export_job",
    "mailings:read": "message",
    "mailings:detail": "message",
    "mailings:retry": "message",
    "presentations:offer-detail": "offer",
    "presentations:offer-withdraw": "offer",
    "presentations:review": "offer",
    "presentations:accept": "offer",
    "presentations:decline": "offer",
    "presentations:move": "accepted_offer",
}
# Keyword arguments that name an object, and a value that names none.
NONEXISTENT = {
    "ods_code": "ZZZ99",
    "slug": "no-such-network",
    "code": "Y99",
    "pk": 987654321,
    "appointment_pk": 987654321,
    "attendance_pk": 987654321,
    "row_pk": 987654321,
    "token": "no-such-calendar-token",
    "draft": "99999999-9999-4999-8999-999999999999",
}


def url_kwargs(route: Route, scene) -> dict:
    kwargs = {}
    for name in route.kwargs:
        if name == "pk":
            assert route.name in PK, f"{route.name}: say which object of the scene its pk is, in PK"
            kwargs[name] = getattr(scene, PK[route.name]).pk
        elif name == "ods_code" and route.name in ODS_CODE:
            kwargs[name] = getattr(scene, ODS_CODE[route.name]).ods_code
        else:
            assert name in KWARGS, f"{route.name}: no value for the URL keyword argument {name!r}: add it to KWARGS"
            kwargs[name] = KWARGS[name](scene)
    return kwargs


def nonexistent_kwargs(kwargs: dict) -> dict | None:
    """The same arguments with every object replaced by one that does not exist (None: no object)."""
    if not any(name in NONEXISTENT for name in kwargs):
        return None
    return {name: NONEXISTENT.get(name, value) for name, value in kwargs.items()}


# What each page's POST sends: valid data, so that a refusal is the access rule's and not the form's.


def days_from_today(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def _date(prefix: str, day: datetime.date) -> dict:
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


POST_DATA = {
    "mailings:write": lambda s: {"subject": "Patient safety alert", "body": "Dear colleagues.", "copy_mailboxes": "on"},
    "directory:key-contact-add": lambda s: {
        "role": "governance_lead",
        "name": "Grace Ode",
        "email": "g.ode@nhs.net",
    },
    "directory:key-contact-edit": lambda s: {
        "role": s.key_contact.role,
        "name": "Priya Shah",
        "email": "p@nhs.net",
    },
    "directory:board-director": lambda s: {"name": "Dr Board Director", "email": "director@nhs.net"},
    "organisations:coverage-rules": lambda s: {
        "nhs_trust-expects_mso": "on",
        "gp_practice-expects_mso": "on",
        "pharmacy_company-own_officer_threshold": "40",
        "reason": "Agreed at the national MSO steering group.",
    },
    "organisations:cover-add": lambda s: {
        "covering": s.organisation.ods_code,
        "covers": "organisation",
        "organisation": s.world.org_b.ods_code,
        "role": "mdso",
        **_date("starts_on", days_from_today(-1)),
        "reason": "A shared MDSO while Manchester recruits.",
    },
    "organisations:cover-end": lambda s: {
        **_date(f"end-{s.cover.pk}-ends_on", days_from_today(0)),
        f"end-{s.cover.pk}-reason": "The company names its own MSO.",
    },
    "compliance:expectations": lambda s: {
        "duty": "mdso",
        "mdso-choice": "not_expected",
        "mdso-reason": "Devices are run by the ICB.",
    },
    "directory:team-propose": lambda s: {
        "role": Appointment.Role.TEAM_MEMBER,
        "first_name": "Tariq",
        "last_name": "Hussain",
        "work_email": "tariq.hussain@nhs.net",
        "job_title": "Pharmacist",
        "profession": "pharmacist",
        **_date("start_date", days_from_today(-60)),
    },
    "officers:change-details": lambda s: {
        "first_name": "Amina",
        "last_name": "Okafor",
        "job_title": "Medication Safety Officer",
        "profession": "pharmacist",
        "work_email": "mso.a@nhs.net",
        "phone": "020 7000 1234",
        ChangeDetailsForm.mailbox_field_name(s.organisation): "ral.medicines.safety@nhs.net",
    },
    "officers:change-reject": lambda s: {"reason": "Not needed."},
    "registrations:reject": lambda s: {"reason": "Not known at this organisation."},
    "officers:team-reject": lambda s: {"reason": "Not known at this organisation."},
    "meetings:create": lambda s: {
        "title": "Extra meeting",
        "kind": "network",
        **_date("held_on", days_from_today(-7)),
    },
    "meetings:edit": lambda s: {
        "title": "Renamed meeting",
        "kind": "network",
        **_date("held_on", days_from_today(-7)),
    },
    "meetings:attendance-add": lambda s: {"people": [s.world.chair_a.person.pk]},
    "meetings:unmatched-match": lambda s: {"person": s.world.mso_person.pk},
    "handovers:start": lambda s: _date("leaving_date", days_from_today(60)),
    "handovers:tick": lambda s: {"item": "mailbox_access"},
    "handovers:untick": lambda s: {"item": "mailbox_access"},
    "handovers:complete": lambda s: {"reason": "The successor has started."},
    "compliance:closure-successor": lambda s: {
        "successor-successor": s.world.org_b.ods_code,
        "successor-reason": "Merged into Manchester.",
    },
    # Organisation A's MSO stays named; the closed trust's MSO hands over to them.
    "compliance:closure-move": lambda s: {"move-keep_mso": "current"},
    "compliance:closure-end": lambda s: {"end-reason": "No one took over its work."},
    "compliance:acknowledge": lambda s: {"note": "Recruiting an MDSO."},
    "committees:edit": lambda s: {
        "name": "Medicines Safety Group",
        "chair_name": "Dr Chair",
        "meeting_frequency": "quarterly",
        **_date("last_met_on", days_from_today(-20)),
        "reports_to": "board",
        "has_patient_representation": "no",
    },
    "committees:member-add": lambda s: {"name": "Dr New Member", "role": "Consultant", "profession": "doctor"},
    "committees:member-edit": lambda s: {"name": "Dr Renamed Member", "role": "Consultant", "profession": "doctor"},
    "committees:terms-of-reference-upload": lambda s: {
        "file": SimpleUploadedFile("terms.pdf", pdf_bytes(), content_type="application/pdf")
    },
    "workspace:item": lambda s: _date("date", days_from_today(-1)),
    "workspace:applicability": lambda s: {"team_member": ["mhra_registration", "msip_workspace"]},
    "presentations:offer-create": lambda s: {
        "title": "Learning from insulin omissions",
        "summary": "What our wards changed, and the numbers a year on.",
    },
    "presentations:accept": lambda s: {"meeting": s.webinar.pk},
    "presentations:decline": lambda s: {"reason": "We covered insulin in May."},
    "presentations:move": lambda s: {"meeting": s.webinar.pk},
}

# For each page whose POST a role is refused: a role that may send the same POST, which must write.
CONTROL = {
    "mailings:retry": "lead",
    "directory:key-contact-add": "mso",
    "directory:key-contact-edit": "mso",
    "directory:key-contact-remove": "mso",
    "directory:board-director": "mso",
    "directory:team-propose": "mso",
    "organisations:coverage-rules": "lead",
    "organisations:cover-add": "lead",
    "organisations:cover-end": "lead",
    "compliance:expectations": "lead",
    "officers:confirm-details": "mso",
    "officers:change-details": "mso",
    "officers:change-withdraw": "mso",
    "officers:change-approve": "lead",
    "officers:change-reject": "lead",
    "registrations:withdraw": "no_role",
    "registrations:approve": "lead",
    "registrations:reject": "lead",
    "officers:team-approve": "lead",
    "officers:team-reject": "lead",
    "officers:team-withdraw": "mso",
    "meetings:create": "chair_a",
    "meetings:edit": "chair_a",
    "meetings:attendance-add": "chair_a",
    "meetings:attendance-remove": "chair_a",
    "meetings:unmatched-match": "chair_a",
    "meetings:unmatched-dismiss": "chair_a",
    "meetings:cancel": "chair_a",
    "meetings:calendar-reset": "mso",
    "handovers:start": "mso",
    "handovers:tick": "mso",
    "handovers:complete": "lead",
    "compliance:closure-successor": "lead",
    "compliance:closure-move": "lead",
    "compliance:closure-end": "lead",
    "compliance:acknowledge": "lead",
    "committees:edit": "mso",
    "committees:member-add": "mso",
    "committees:member-edit": "mso",
    "committees:member-remove": "mso",
    "committees:terms-of-reference-upload": "mso",
    "committees:terms-of-reference-remove": "mso",
    "workspace:item": "mso",
    "workspace:applicability": "lead",
    "workspace:hide": "other_mso",
    "workspace:show": "mso",
    "imports:job-confirm": "lead",
    "imports:job-cancel": "lead",
    "imports:export": "lead",
    "presentations:offer-create": "mso",
    "presentations:offer-withdraw": "mso",
    "presentations:accept": "lead",
    "presentations:decline": "lead",
    "presentations:move": "lead",
}


# Writes: row counts and the highest id of every table (history tables included), in one query; and
# a digest of every table's rows, so that an update of a table with no history shows too.


def _tables() -> list[tuple[str, str | None]]:
    seen, tables = set(), []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        integer_pk = isinstance(meta.pk, models.AutoField | models.BigAutoField | models.IntegerField)
        tables.append((meta.db_table, meta.pk.column if integer_pk else None))
    return tables


# Sessions change on every signed-in request (the time of last use): counted, not digested.
UNDIGESTED = {"django_session"}


def database_snapshot() -> dict[str, tuple]:
    """Each table's row count, highest id and a digest of its rows. On PostgreSQL one query does it
    all; elsewhere the rows are read and digested here."""
    quote = connection.ops.quote_name
    tables = _tables()
    postgres = connection.vendor == "postgresql"

    def digest(table: str) -> str:
        if table in UNDIGESTED or not postgres:
            return "NULL"
        return "md5(COALESCE(string_agg(t::text, ',' ORDER BY t::text), ''))"

    parts = [
        f"SELECT '{table}', COUNT(*), {f'MAX({quote(pk)})' if pk else 'NULL'}, {digest(table)} FROM {quote(table)} t"
        for table, pk in tables
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        snapshot = {table: tuple(values) for table, *values in cursor.fetchall()}
        if not postgres:
            for table, _pk in tables:
                if table not in UNDIGESTED and snapshot[table][0]:
                    cursor.execute(f"SELECT * FROM {quote(table)}")
                    snapshot[table] += (hash(frozenset(_row_text(row) for row in cursor.fetchall())),)
    return snapshot


def _row_text(row) -> str:
    # Binary columns come back as memoryviews, whose repr is their address: their bytes instead.
    return repr(tuple(bytes(value) if isinstance(value, memoryview) else value for value in row))


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(table for table in before if before[table] != after[table])


# Outcomes.

TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")|(nonce=")[^"]*(")')


def normalised(content: bytes) -> bytes:
    """A page with its CSRF tokens and nonces blanked (they differ on each response)."""
    return TOKEN.sub(lambda m: (m.group(1) or m.group(3)) + (m.group(2) or m.group(4)), content)


def outcome_error(response, expected: str) -> str | None:
    """Why the response is not the expected outcome (None when it is)."""
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        ok = response.status_code == 302 and location.startswith(reverse("account_login") + "?next=")
    elif expected == ADMIN_LOGIN:
        ok = response.status_code == 302 and location.startswith(reverse("admin:login") + "?next=")
    else:
        ok = response.status_code == int(expected)
    if ok:
        return None
    return f"expected {expected}, got {response.status_code}" + (f" to {location}" if location else "")


def split_cell(cell: str) -> tuple[str, str | None]:
    get, _, post = cell.partition("/")
    if not post and get in FORBIDDEN:
        post = get
    return get, post or None


def role_clients(world) -> dict[str, Client]:
    clients = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        if role != "anonymous":
            client.force_login(getattr(world, role))
        clients[role] = client
    return clients


def post_data(route: Route, scene) -> dict:
    make = POST_DATA.get(route.name)
    return make(scene) if make else {}


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_access_matrix(name, scene):
    route = ROUTES[name]
    assert name in TABLE, f"{name} ({route.route}) has no row in TABLE: add one with the outcome for each role"
    kwargs = url_kwargs(route, scene)
    url = reverse(name, kwargs=kwargs)
    missing_kwargs = nonexistent_kwargs(kwargs)
    missing_url = reverse(name, kwargs=missing_kwargs) if missing_kwargs else None
    clients = role_clients(scene.world)
    errors = []
    for role, cell in zip(ROLES, TABLE[name], strict=True):
        client = clients[role]
        get_expected, post_expected = split_cell(cell)
        case_errors = []
        response = client.get(url)
        if error := outcome_error(response, get_expected):
            case_errors.append(f"GET {error}")
        if get_expected == "404" and missing_url:
            missing = client.get(missing_url)
            if missing.status_code != 404 or normalised(missing.content) != normalised(response.content):
                case_errors.append("GET: the 404 differs from the 404 for an id that does not exist")
        if post_expected:
            before = database_snapshot()
            response = client.post(url, post_data(route, scene))
            if error := outcome_error(response, post_expected):
                case_errors.append(f"POST {error}")
            if post_expected == "404" and missing_url:
                missing = client.post(missing_url, post_data(route, scene))
                if missing.status_code != 404 or normalised(missing.content) != normalised(response.content):
                    case_errors.append("POST: the 404 differs from the 404 for an id that does not exist")
            if written := changed_tables(before, database_snapshot()):
                case_errors.append(f"the refused POST wrote to {written}")
        if case_errors:
            errors.append(f"{role}: " + "; ".join(case_errors))
        else:
            figures.add("url_role_cases", 1)
    refused = [role for role, cell in zip(ROLES, TABLE[name], strict=True) if split_cell(cell)[1]]
    if refused and name in CONTROL:
        before = database_snapshot()
        clients[CONTROL[name]].post(url, post_data(route, scene))
        if not changed_tables(before, database_snapshot()):
            errors.append(f"control: the same POST by {CONTROL[name]} wrote nothing, so the refusals prove nothing")
    assert not errors, f"{name} ({url}):\n" + "\n".join(errors)
