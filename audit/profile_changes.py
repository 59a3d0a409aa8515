"""The national lead's weekly summary of what organisations' officers changed in their profiles
(key contacts, board director, committee record), read from the history tables."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from committees.models import Committee, CommitteeMember
from emails.services import email_queue
from organisations.models import KeyContact, Organisation
from organisations.profile import OFFICER_REASON
from users.models import User


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class ProfileChange:
    """One edit to an organisation's profile, as the history recorded it."""

    organisation_id: int
    what: str
    action: str  # "added", "changed" or "removed"
    fields: list[FieldChange]
    by: str
    at: datetime.datetime


@dataclass
class OrganisationChanges:
    organisation: Organisation
    changes: list[ProfileChange] = field(default_factory=list)


def display_value(model, name: str, value) -> str:
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value or ""))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "j F Y")
    if isinstance(value, datetime.date):
        return date_format(value, "j F Y")
    return str(value)


@dataclass(frozen=True)
class Tracked:
    """A model whose officers' edits the summary lists: the fields shown, how its organisation is
    reached from a history row, and what one row is called."""

    model: type
    fields: tuple[str, ...]
    organisation_path: str
    describe: object  # (history row) -> str


def tracked_models() -> list[Tracked]:
    return [
        Tracked(KeyContact, ("name", "email", "phone"), "organisation_id", lambda row: row.get_role_display()),
        Tracked(
            Organisation,
            ("board_director_name", "board_director_email"),
            "id",
            lambda row: "Board director for medication safety",
        ),
        Tracked(
            Committee,
            (
                "name",
                "chair_name",
                "meeting_frequency",
                "last_met_on",
                "reports_to",
                "reports_to_detail",
                "has_patient_representation",
                "patient_representation_detail",
                "terms_of_reference_type",
                "terms_of_reference_uploaded_at",
            ),
            "organisation_id",
            lambda row: "Medication safety committee",
        ),
        Tracked(
            CommitteeMember,
            ("name", "role", "profession", "is_patient_representative"),
            "committee__organisation_id",
            lambda row: f"Committee member {row.name}",
        ),
    ]


def _changes_of(tracked: Tracked, *, since: datetime.datetime, until: datetime.datetime) -> list[ProfileChange]:
    """The officers' edits to one model in [since, until): two queries, whatever their number (the
    rows, then the row before each, for what it was before)."""
    history = tracked.model.history.model
    previous = (
        history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    rows = list(
        history.objects.filter(history_date__gte=since, history_date__lt=until, history_change_reason=OFFICER_REASON)
        .annotate(previous_id=Subquery(previous), organisation_key=F(tracked.organisation_path))
        .select_related("history_user")
        .order_by("history_id")
    )
    before = history.objects.in_bulk([row.previous_id for row in rows if row.previous_id])
    model = tracked.model
    changes = []
    for row in rows:
        if row.organisation_key is None:
            continue
        old = before.get(row.previous_id)
        if row.history_type == "+":
            action = "added"
            fields = [
                FieldChange(field_label(model, name), "", display_value(model, name, getattr(row, name)))
                for name in tracked.fields
                if display_value(model, name, getattr(row, name))
            ]
        elif row.history_type == "-":
            action = "removed"
            fields = [
                FieldChange(field_label(model, name), display_value(model, name, getattr(row, name)), "")
                for name in tracked.fields
                if display_value(model, name, getattr(row, name))
            ]
        else:
            action = "changed"
            fields = [
                FieldChange(
                    field_label(model, name),
                    display_value(model, name, getattr(old, name)) if old else "",
                    display_value(model, name, getattr(row, name)),
                )
                for name in tracked.fields
                if old is None or getattr(old, name) != getattr(row, name)
            ]
            if not fields:
                continue
        changes.append(
            ProfileChange(
                organisation_id=row.organisation_key,
                what=tracked.describe(row),
                action=action,
                fields=fields,
                by=row.history_user.email if row.history_user else "",
                at=row.history_date,
            )
        )
    return changes


def field_label(model, name: str) -> str:
    """A field's name as a heading: its first letter in capitals, the rest as written ("Generic MSO mailbox")."""
    text = str(model._meta.get_field(name).verbose_name)
    return text[:1].upper() + text[1:]


def profile_changes(*, since: datetime.datetime, until: datetime.datetime) -> list[OrganisationChanges]:
    """Every edit the organisations' officers made to key contacts, the board director and the
    committee record in [since, until), grouped by organisation (by name), oldest edit first.
    A fixed number of queries."""
    changes = [change for tracked in tracked_models() for change in _changes_of(tracked, since=since, until=until)]
    organisations = Organisation.objects.in_bulk({change.organisation_id for change in changes})
    grouped: dict[int, OrganisationChanges] = {}
    for change in sorted(changes, key=lambda change: change.at):
        organisation = organisations.get(change.organisation_id)
        if organisation is not None:
            grouped.setdefault(organisation.pk, OrganisationChanges(organisation)).changes.append(change)
    return sorted(grouped.values(), key=lambda item: (item.organisation.name.lower(), item.organisation.ods_code))


def summary_week(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The ISO week before `today`'s: its Monday, and the Monday after it."""
    this_monday = today - datetime.timedelta(days=today.weekday())
    return this_monday - datetime.timedelta(days=7), this_monday


def profile_change_summaries_send(*, today: datetime.date | None = None) -> int:
    """Email each national lead what organisations' officers changed in their profiles in the week
    before this one (Monday to Sunday). Once per lead per week, however often it runs (the email's
    dedupe key); no email when nothing changed. Returns the number of emails queued."""
    today = today or timezone.localdate()
    monday, next_monday = summary_week(today)
    zone = timezone.get_current_timezone()
    since = datetime.datetime.combine(monday, datetime.time.min, tzinfo=zone)
    until = datetime.datetime.combine(next_monday, datetime.time.min, tzinfo=zone)
    leads = list(User.objects.filter(is_active=True, is_national_lead=True).order_by("email"))
    if not leads:
        return 0
    organisations = profile_changes(since=since, until=until)
    if not organisations:
        return 0
    year, week, _ = monday.isocalendar()
    queued = 0
    for lead in leads:
        with transaction.atomic():
            email = email_queue(
                to=[lead.email],
                template="profile_changes",
                context={
                    "user": lead,
                    "organisations": organisations,
                    "total": sum(len(item.changes) for item in organisations),
                    "monday": monday,
                    "sunday": next_monday - datetime.timedelta(days=1),
                    "week": f"{year}-W{week:02d}",
                    "site_url": settings.SITE_URL,
                    "directory_url": settings.SITE_URL + reverse("directory:organisations"),
                },
                dedupe_key=f"profile-changes:{lead.pk}:{year}-W{week:02d}",
            )
        queued += email is not None
    return queued
