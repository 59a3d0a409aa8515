"""Everything the portal holds about a user, for them to download (their right of access).

The records are found from the model definitions, so a model added later is included without
changing this file: every row of every model (history included) with a foreign key to the user or
to their person record, except where the key names who did something to someone else's record
(`ACTOR_FIELDS`: the reviewer of a request, who ticked a checklist item, who made a history row),
which would hand over other people's details. Secrets are left out (`SECRET_FIELDS`).
"""

import datetime

from django.apps import apps
from django.core import serializers
from django.db.models import ForeignKey, Q
from django.utils import timezone

from emails.models import OutboundEmail
from handovers.models import Handover
from officers.models import Person
from users.models import User

from .models import ContactView

# Keys that record who acted on a record, not whom the record is about.
ACTOR_FIELDS = {
    "history_user",
    "reviewed_by",
    "ticked_by",
    "acknowledged_by",
    "added_by",
    "started_by",
    "completed_by",
    "viewer",
}
# Fields never included: the password hash, authenticator secrets, session keys, calendar feed tokens.
SECRET_FIELDS = {
    "users.user": {"password"},
    "users.historicaluser": {"password"},
    "mfa.authenticator": {"data"},
    "audit.usersession": {"session_key"},
    "meetings.calendarfeed": {"token"},
}
# Included by their own sections below.
OWN_SECTIONS = {"audit.contactview", "emails.outboundemail"}


def _rows(queryset) -> list[dict]:
    model = queryset.model
    secret = SECRET_FIELDS.get(model._meta.label_lower, set())
    fields = [field.name for field in model._meta.concrete_fields if field.name not in secret and not field.primary_key]
    return [{"id": row["pk"], **row["fields"]} for row in serializers.serialize("python", queryset, fields=fields)]


def _links_to(targets: dict) -> dict:
    """For every model, the foreign keys that point at one of `targets` (model → object), as a Q."""
    links: dict = {}
    for model in apps.get_models():
        if model._meta.label_lower in OWN_SECTIONS:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, ForeignKey) or field.name in ACTOR_FIELDS:
                continue
            target = targets.get(field.related_model)
            if target is not None:
                links[model] = links.get(model, Q()) | Q(**{field.name: target})
    return links


def personal_data(user: User) -> dict:
    """Everything held about `user`, as JSON-ready data: their account, their person record, every
    record about them and its history, the emails sent to them and who saw their contact details.
    The number of queries depends on the number of models, not on the amount of data."""
    person = Person.objects.filter(user=user).first()
    targets = {User: user, **({Person: person} if person else {})}

    conditions = _links_to(targets)
    conditions[User] = Q(pk=user.pk)
    conditions[User.history.model] = conditions.get(User.history.model, Q()) | Q(id=user.pk)
    if person is not None:
        conditions[Person.history.model] = conditions.get(Person.history.model, Q()) | Q(id=person.pk)
    records = {}
    for model, condition in sorted(conditions.items(), key=lambda item: item[0]._meta.label_lower):
        rows = _rows(model.objects.filter(condition).order_by("pk"))
        if rows:
            records[model._meta.label_lower] = rows

    handovers = []
    contact_views = []
    if person is not None:
        handovers = _rows(
            Handover.objects.filter(
                Q(outgoing_appointment__person=person) | Q(incoming_appointment__person=person)
            ).order_by("pk")
        )
        contact_views = [
            {
                "viewed_at": view.viewed_at,
                "viewer": view.viewer.get_full_name() if view.viewer_id else view.viewer_label,
                "viewer_email": view.viewer.email if view.viewer_id else "",
                "page": view.path,
            }
            for view in ContactView.objects.filter(person=person).select_related("viewer").order_by("viewed_at")
        ]

    return {
        "generated_at": timezone.now(),
        "account": {"email": user.email, "name": user.name, "date_joined": user.date_joined},
        "records": records,
        "handovers": handovers,
        "emails_sent_to_you": _emails_to(user, person),
        "contact_details_viewed_by": contact_views,
    }


def _emails_to(user: User, person: Person | None) -> list[dict]:
    """The outbox's emails with one of the user's addresses among their recipients."""
    addresses = {
        user.email.lower(),
        *(address.lower() for address in user.emailaddress_set.values_list("email", flat=True)),
    }
    if person is not None:
        addresses.add(person.work_email.lower())
    mentions = Q()
    for address in addresses:
        mentions |= Q(to__icontains=address)
    emails = OutboundEmail.objects.filter(mentions).order_by("created_at", "pk")
    return [
        {
            "to": email.to,
            "subject": email.subject,
            "body": email.body_text,
            "queued_at": email.created_at,
            "sent_at": email.sent_at,
        }
        for email in emails
        if any(str(to).lower() in addresses for to in email.to)
    ]


def personal_data_filename(day: datetime.date | None = None) -> str:
    return f"mso-network-my-data-{(day or timezone.localdate()).isoformat()}.json"
