"""Audit and privacy: the log of who saw whose contact details, and the anonymisation of people who
left their last role more than the retention period ago."""

import datetime
import re
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, connections, router, transaction
from django.db.models import CharField, Exists, F, Func, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat, Left, Replace
from django.utils import timezone
from simple_history.models import HistoricalChanges
from simple_history.utils import bulk_update_with_history

from access import scopes
from committees.models import CommitteeMember
from emails.models import OutboundEmail
from networks.models import Membership
from officers.models import Appointment, ChangeRequest, Person
from registrations.models import RegistrationRequest
from users.models import User
from users.services import user_sessions_end

from .models import Anonymisation, ContactView


def contact_details_reveal(*, viewer: User, person: Person, path: str) -> bool:
    """Whether `viewer` may see `person`'s contact details (`access.scopes.people_with_contact`, the
    one rule); when they may, and it is not their own page, logs that they saw them on the page at
    `path`. One query: the log row is inserted only if the rule's query finds the person."""
    if not viewer.is_authenticated:
        return False
    if person.user_id is not None and person.user_id == viewer.pk:
        return True
    visible = scopes.people_with_contact(viewer).filter(pk=person.pk).values("pk")
    visible_sql, visible_params = visible.query.sql_with_params()
    meta, quote = ContactView._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("viewer", "person", "viewed_at", "path"))
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 (names from the model, values as parameters)
        f"SELECT %s, %s, %s, %s WHERE EXISTS ({visible_sql})"
    )
    viewed_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [viewer.pk, person.pk, viewed_at, path[:500], *visible_params])
        return cursor.rowcount == 1


def contact_views_record(*, viewer: User | None = None, api_key: str = "", people, path: str) -> int:
    """Logs that `viewer` (a signed-in user) or the partner system holding the API key whose prefix is
    `api_key` saw the contact details of each of `people` on the page or API address at `path` (a
    response listing several people's details, such as a network's membership), in one insert,
    leaving out the viewer's own record. Pass only the people whose details the response showed
    (for a user, those whose ids `access.scopes.contact_visible_ids` returned). Returns how many
    views were logged."""
    if (viewer is None) == (not api_key):
        raise ValueError("A contact view is by a signed-in user or by an API key, one of the two.")
    now = timezone.now()
    own = viewer.pk if viewer is not None else None
    views = [
        ContactView(viewer=viewer, api_key=api_key, person_id=person.pk, viewed_at=now, path=path[:500])
        for person in {person.pk: person for person in people}.values()
        if own is None or person.user_id != own
    ]
    if not views:
        return 0
    fields = [ContactView._meta.get_field(name) for name in ("viewer", "api_key", "person", "viewed_at", "path")]
    using = router.db_for_write(ContactView)
    if len(views) <= connections[using].ops.bulk_batch_size(fields, views):
        # One INSERT, atomic by itself: bulk_create would wrap it in a transaction of its own
        # (BEGIN, INSERT, COMMIT: three round trips to the database instead of one).
        ContactView.objects._insert(views, fields=fields, using=using)
    else:
        ContactView.objects.bulk_create(views)
    return len(views)


# Anonymisation

ANONYMISED_FIRST_NAME = "Former"
ANONYMISED_LAST_NAME = "officer"
ANONYMISED_NAME = f"{ANONYMISED_FIRST_NAME} {ANONYMISED_LAST_NAME}"
ANONYMISED_DOMAIN = "anonymised.invalid"
REMOVED = "[removed]"
# The fields of a change request's `changes` that hold personal details of the person.
PERSONAL_CHANGE_FIELDS = {"first_name", "last_name", "job_title", "registration_number", "work_email", "phone"}
# Any number no other advisory lock in the database uses: "MSOA" in ASCII.
ANONYMISE_LOCK_ID = 0x4D534F41
# People anonymised in one set of statements.
BATCH_SIZE = 200


def retention_cutoff(today: datetime.date, years: int) -> datetime.date:
    """The same day `years` years before `today` (28 February for 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def people_due_for_anonymisation(*, today: datetime.date, years: int):
    """People not yet anonymised who hold no active or pending appointment and no current network
    membership, ended at least one role (appointment or membership), and ended their last one before
    the retention cutoff. Annotated with `last_appointment_end` and `last_membership_end`."""
    cutoff = retention_cutoff(today, years)
    appointments = Appointment.objects.filter(person=OuterRef("pk"))
    memberships = Membership.objects.filter(person=OuterRef("pk"))
    open_appointments = appointments.filter(status__in=[Appointment.Status.ACTIVE, Appointment.Status.PENDING])
    last_end = appointments.order_by().values("person").annotate(last=Max("end_date")).values("last")
    last_left = memberships.order_by().values("person").annotate(last=Max("left_on")).values("last")
    return (
        Person.objects.annotate(last_appointment_end=Subquery(last_end), last_membership_end=Subquery(last_left))
        .filter(Q(last_appointment_end__isnull=False) | Q(last_membership_end__isnull=False))
        .filter(Q(last_appointment_end__isnull=True) | Q(last_appointment_end__lt=cutoff))
        .filter(Q(last_membership_end__isnull=True) | Q(last_membership_end__lt=cutoff))
        .exclude(Exists(open_appointments))
        .exclude(Exists(memberships.filter(left_on__isnull=True)))
        .exclude(Exists(Anonymisation.objects.filter(person=OuterRef("pk"))))
        .order_by("pk")
    )


@dataclass
class AnonymisationReport:
    anonymised: int = 0
    person_ids: list[int] = field(default_factory=list)

    def summary_line(self) -> str:
        return f"anonymised={self.anonymised}"


def _placeholder_email(prefix: str, field_name: str):
    """An expression for "<prefix>-<id>@anonymised.invalid" from the row's id column."""
    return Concat(Value(f"{prefix}-"), Cast(field_name, CharField()), Value(f"@{ANONYMISED_DOMAIN}"))


def _history(model):
    return model.history.model


def _scrub_change_reasons(texts: set[str]) -> None:
    """Replaces each name and address in `texts` by "[removed]" in the change reason of every history
    row of every model that keeps history: on PostgreSQL one UPDATE per model (a regular expression
    of them all); on SQLite, whose parser limits nesting, one per model and ten names or addresses."""
    texts = sorted({text for text in texts if len(text) >= 5}, key=len, reverse=True)
    if not texts:
        return
    reason = F("history_change_reason")
    if connection.vendor == "postgresql":
        pattern = "|".join(re.escape(text) for text in texts)
        steps = [
            (
                Q(history_change_reason__iregex=pattern),
                Func(reason, Value(pattern), Value(REMOVED), Value("gi"), function="REGEXP_REPLACE"),
            )
        ]
    else:
        steps = []
        for start in range(0, len(texts), 10):
            mentions, replaced = Q(), reason
            for text in texts[start : start + 10]:
                mentions |= Q(history_change_reason__contains=text)
                replaced = Replace(replaced, Value(text), Value(REMOVED))
            steps.append((mentions, replaced))
    for history_model in apps.get_models():
        if not issubclass(history_model, HistoricalChanges):
            continue
        length = history_model._meta.get_field("history_change_reason").max_length
        for mentions, replaced in steps:
            history_model.objects.filter(mentions).update(
                history_change_reason=Left(Cast(replaced, CharField()), length)
            )


def _anonymise_batch(people: list[Person], *, now: datetime.datetime, years: int, reason: str) -> None:
    person_ids = [person.pk for person in people]
    users = list(User.objects.filter(person__in=person_ids))
    user_ids = [user.pk for user in users]

    # What identifies them, before it is overwritten: for the change reasons and the outbox.
    addresses = {person.work_email.lower() for person in people}
    addresses |= {user.email.lower() for user in users}
    addresses |= {
        email.lower() for email in EmailAddress.objects.filter(user__in=user_ids).values_list("email", flat=True)
    }
    names = {person.full_name for person in people if " " in person.full_name}
    names |= {user.name for user in users if " " in user.name}

    # The people, with a history row each (who: nobody, the scheduled job; why: the retention).
    for person in people:
        person.first_name, person.last_name = ANONYMISED_FIRST_NAME, ANONYMISED_LAST_NAME
        person.job_title = person.registration_number = person.phone = ""
        person.work_email = f"former-officer-{person.pk}@{ANONYMISED_DOMAIN}"
        person.updated_at = now
    person_fields = ["first_name", "last_name", "job_title", "registration_number", "phone", "work_email", "updated_at"]
    bulk_update_with_history(people, Person, person_fields, batch_size=500, default_change_reason=reason)
    _history(Person).objects.filter(id__in=person_ids).update(
        first_name=ANONYMISED_FIRST_NAME,
        last_name=ANONYMISED_LAST_NAME,
        job_title="",
        registration_number="",
        phone="",
        work_email=_placeholder_email("former-officer", "id"),
    )

    # Their logins: deactivated, signed out everywhere, with no address, password or authenticator.
    unusable = make_password(None)
    for user in users:
        user.is_active = user.is_staff = user.is_superuser = user.is_national_lead = False
        user.name = ""
        user.email = f"former-user-{user.pk}@{ANONYMISED_DOMAIN}"
        user.password = unusable
    user_fields = ["is_active", "is_staff", "is_superuser", "is_national_lead", "name", "email", "password"]
    bulk_update_with_history(users, User, user_fields, batch_size=500, default_change_reason=reason)
    _history(User).objects.filter(id__in=user_ids).update(name="", email=_placeholder_email("former-user", "id"))
    EmailAddress.objects.filter(user__in=user_ids).delete()
    Authenticator.objects.filter(user__in=user_ids).delete()
    user_sessions_end(users=user_ids)

    # What they wrote in their registration requests, and the values in change requests about them.
    requests = list(RegistrationRequest.objects.filter(user__in=user_ids))
    for request in requests:
        request.first_name, request.last_name = ANONYMISED_FIRST_NAME, ANONYMISED_LAST_NAME
        request.job_title = request.registration_number = request.phone = ""
    request_fields = ["first_name", "last_name", "job_title", "registration_number", "phone"]
    bulk_update_with_history(
        requests, RegistrationRequest, request_fields, batch_size=500, default_change_reason=reason
    )
    _history(RegistrationRequest).objects.filter(user_id__in=user_ids).update(
        first_name=ANONYMISED_FIRST_NAME, last_name=ANONYMISED_LAST_NAME, job_title="", registration_number="", phone=""
    )
    changes = list(ChangeRequest.objects.filter(person__in=person_ids))
    for change in changes:
        change.changes = _scrub_changes(change.changes)
    bulk_update_with_history(changes, ChangeRequest, ["changes"], batch_size=500, default_change_reason=reason)
    change_history = list(_history(ChangeRequest).objects.filter(person_id__in=person_ids))
    for row in change_history:
        row.changes = _scrub_changes(row.changes)
    _history(ChangeRequest).objects.bulk_update(change_history, ["changes"], batch_size=500)

    members = list(CommitteeMember.objects.filter(person__in=person_ids))
    for member in members:
        member.name = ANONYMISED_NAME
    bulk_update_with_history(members, CommitteeMember, ["name"], batch_size=500, default_change_reason=reason)
    _history(CommitteeMember).objects.filter(person_id__in=person_ids).update(name=ANONYMISED_NAME)

    _scrub_change_reasons(addresses | names)
    _outbox_forget(addresses)

    Anonymisation.objects.bulk_create(
        [
            Anonymisation(
                person=person,
                anonymised_at=now,
                retention_years=years,
                last_role_ended_on=max(d for d in (person.last_appointment_end, person.last_membership_end) if d),
            )
            for person in people
        ]
    )


def _scrub_changes(changes: dict) -> dict:
    return {
        name: ({"old": REMOVED, "new": REMOVED} if name in PERSONAL_CHANGE_FIELDS else values)
        for name, values in (changes or {}).items()
    }


def _outbox_forget(addresses: set[str]) -> None:
    """Deletes the outbox's emails addressed only to these addresses (an email that also went to
    someone else stays, as theirs). One query per hundred addresses, and one delete."""
    addresses = sorted(addresses)
    doomed = []
    for start in range(0, len(addresses), 100):
        mentions = Q()
        for address in addresses[start : start + 100]:
            mentions |= Q(to__icontains=address)
        doomed += [
            email.pk
            for email in OutboundEmail.objects.filter(mentions).only("pk", "to")
            if email.to and all(str(to).lower() in addresses for to in email.to)
        ]
    if doomed:
        OutboundEmail.objects.filter(pk__in=doomed).delete()


def _lock() -> None:
    """On PostgreSQL, one anonymisation at a time (the lock ends with the transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ANONYMISE_LOCK_ID])


def people_anonymise(*, today: datetime.date | None = None, years: int | None = None) -> AnonymisationReport:
    """Anonymises everyone `people_due_for_anonymisation` finds, in one transaction: names become
    "Former officer", email addresses unique placeholders, telephone, registration number and job
    title are cleared, in the records and in their history; their login is deactivated, signed out,
    and loses its addresses, password and authenticator app; emails addressed only to them leave the
    outbox. Each change keeps a history row with the reason. Running it again anonymises nobody twice.
    """
    today = today or timezone.localdate()
    years = settings.RETENTION_YEARS if years is None else years
    reason = f"Anonymised: left their last role more than {years} years ago"
    report = AnonymisationReport()
    with transaction.atomic():
        _lock()
        people = list(people_due_for_anonymisation(today=today, years=years))
        now = timezone.now()
        for start in range(0, len(people), BATCH_SIZE):
            _anonymise_batch(people[start : start + BATCH_SIZE], now=now, years=years, reason=reason)
        report.person_ids = [person.pk for person in people]
        report.anonymised = len(people)
    return report
