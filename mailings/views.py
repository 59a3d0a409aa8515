"""Pages for messages to the network.

The officer's own messages: anyone signed in, their own only (`Message.objects.received_by`). The
sender's pages (write, preview, send, the messages sent and each one's sending): the national lead,
and chairs for the networks they chair, through `Message.objects.visible_to` and
`mailings.audience`; anyone else gets 404, as does a chair naming a network they do not chair.

A message being written is kept in the session (a draft, under a token) between the form and the
preview, so nothing is stored until it is sent; the token makes a second press of "Send" send
nothing more."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from access import scopes
from officers.models import Person
from organisations.models import Organisation

from .audience import Audience, audience_describe, audience_in_scope, audience_recipients
from .forms import MessageForm, StatusFilterForm
from .models import Message, Recipient
from .services import LARGE_MESSAGE, message_retry_failed, message_send
from .text import body_html

INBOX_PER_PAGE = 25
SENT_PER_PAGE = 25
RECIPIENTS_PER_PAGE = 50
DRAFTS_SESSION_KEY = "mailings:drafts"
DRAFTS_KEPT = 5


# The officer's side.


@login_required
def inbox(request):
    """The messages sent to the signed-in officer, newest first: a lost email is not a lost message."""
    received = Message.objects.received_by(request.user).select_related("network")
    page_obj = Paginator(received, INBOX_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "mailings/inbox.html",
        {"page_obj": page_obj, "is_sender": _is_sender(request.user), "nav_section": "messages"},
    )


@login_required
def read(request, pk):
    """One message sent to the signed-in officer; 404 for any other."""
    message = get_object_or_404(Message.objects.received_by(request.user).select_related("network"), pk=pk)
    return render(
        request,
        "mailings/read.html",
        {"message": message, "body_html": body_html(message.body), "nav_section": "messages"},
    )


# The sender's side.


def _is_sender(user) -> bool:
    return user.is_authenticated and (user.is_national_lead or scopes.is_chair(user))


def _require_sender(user) -> None:
    if not _is_sender(user):
        raise Http404("No such page.")


def _get_message_for_sender(user, pk: int) -> Message:
    """A message the user sent or may follow (Message.objects.visible_to); 404 for anyone else."""
    return get_object_or_404(Message.objects.visible_to(user).select_related("network", "sender"), pk=pk)


def _drafts(request) -> dict:
    return request.session.get(DRAFTS_SESSION_KEY, {})


def _get_draft(request, token) -> dict:
    draft = _drafts(request).get(str(token))
    if draft is None:
        raise Http404("This message is no longer waiting to be sent.")
    return draft


def _save_draft(request, token: str, draft: dict) -> None:
    drafts = {key: value for key, value in _drafts(request).items() if key != token}
    drafts[token] = draft
    request.session[DRAFTS_SESSION_KEY] = dict(list(drafts.items())[-DRAFTS_KEPT:])


def _drop_draft(request, token) -> None:
    drafts = dict(_drafts(request))
    drafts.pop(str(token), None)
    request.session[DRAFTS_SESSION_KEY] = drafts


def _posted_networks_in_scope(request) -> None:
    """A chair naming a network they do not chair gets 404, as for a page outside their scope."""
    try:
        networks = tuple(int(value) for value in request.POST.getlist("networks"))
    except ValueError:
        return  # not a network at all: the form says so
    if networks and not audience_in_scope(request.user, Audience(networks=networks)):
        raise Http404("No such network.")


@login_required
def sent_list(request):
    """The messages the sender may follow (the lead: all; a chair: theirs and their networks'),
    newest first, with how many of each were sent, wait and failed."""
    _require_sender(request.user)

    def counted(recipients):
        counts = recipients.filter(message=OuterRef("pk")).order_by().values("message").annotate(n=Count("pk"))
        return Coalesce(Subquery(counts.values("n")), 0)

    sent = (
        Message.objects.visible_to(request.user)
        .select_related("network", "sender")
        .annotate(sent_count=counted(Recipient.objects.sent()), failed_count=counted(Recipient.objects.failed()))
        .order_by("-created_at", "-pk")
    )
    page_obj = Paginator(sent, SENT_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "mailings/sent_list.html", {"page_obj": page_obj, "nav_section": "messages"})


@login_required
def write(request):
    """Write a message and choose its audience; on to the preview, where it is sent."""
    _require_sender(request.user)
    token = request.GET.get("draft", "")
    draft = _drafts(request).get(token) if token else None
    if request.method == "POST":
        _posted_networks_in_scope(request)
        form = MessageForm(request.POST, user=request.user)
        if form.is_valid():
            audience = form.audience()
            if not audience_recipients(request.user, audience):
                form.add_error(None, "No one matches this audience. Choose fewer criteria, or other ones.")
            else:
                token = token if draft is not None else str(uuid.uuid4())
                _save_draft(
                    request,
                    token,
                    {
                        "subject": form.cleaned_data["subject"],
                        "body": form.cleaned_data["body"],
                        "audience": audience.as_json(),
                    },
                )
                return redirect("mailings:preview", draft=token)
    else:
        form = MessageForm(initial=MessageForm.initial_from(draft) if draft else None, user=request.user)
    return render(
        request,
        "mailings/write.html",
        {"form": form, "draft_token": token if draft is not None else "", "nav_section": "messages"},
    )


def _recipient_rows(entries) -> list[dict]:
    """The people's names and the mailboxes' organisations for a page of addresses (two queries)."""
    people = Person.objects.in_bulk([entry.person_id for entry in entries if entry.person_id])
    organisations = Organisation.objects.in_bulk([entry.organisation_id for entry in entries if entry.organisation_id])
    return [
        {
            "address": entry.address,
            "is_mailbox": entry.is_mailbox,
            "person": people.get(entry.person_id),
            "organisation": organisations.get(entry.organisation_id),
        }
        for entry in entries
    ]


@login_required
def preview(request, draft):
    """The message as it will be read, how many people and mailboxes it reaches, and the list of them."""
    _require_sender(request.user)
    token, draft = str(draft), _get_draft(request, draft)
    audience = Audience.from_json(draft["audience"])
    if not audience_in_scope(request.user, audience):
        raise Http404("No such network.")
    recipients = audience_recipients(request.user, audience)
    mailbox_count = sum(1 for entry in recipients if entry.is_mailbox)
    page_obj = Paginator(recipients, RECIPIENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "mailings/preview.html",
        {
            "token": token,
            "draft": draft,
            "body_html": body_html(draft["body"]),
            "audience_description": audience_describe(audience, request.user),
            "address_count": len(recipients),
            "people_count": len(recipients) - mailbox_count,
            "mailbox_count": mailbox_count,
            "is_large": len(recipients) > LARGE_MESSAGE,
            "large_message": LARGE_MESSAGE,
            "page_obj": page_obj,
            "rows": _recipient_rows(page_obj.object_list),
            "nav_section": "messages",
        },
    )


@login_required
@require_POST
def send(request, draft):
    """Send the message of a preview. Above LARGE_MESSAGE addresses, a page asks to confirm first."""
    _require_sender(request.user)
    token, draft = str(draft), _get_draft(request, draft)
    audience = Audience.from_json(draft["audience"])
    confirmed = request.POST.get("confirmed") == "yes"
    try:
        message = message_send(
            user=request.user,
            subject=draft["subject"],
            body=draft["body"],
            audience=audience,
            confirmed=confirmed,
            token=uuid.UUID(token),
        )
    except PermissionDenied as error:
        raise Http404("No such network.") from error
    except ValidationError as error:
        errors = error.message_dict
        if set(errors) == {"confirmed"}:
            count = len(audience_recipients(request.user, audience))
            return render(
                request,
                "mailings/confirm.html",
                {"token": token, "draft": draft, "address_count": count, "nav_section": "messages"},
            )
        for messages_of_field in errors.values():
            for text in messages_of_field:
                messages.error(request, text)
        return redirect(reverse("mailings:write") + f"?draft={token}")
    _drop_draft(request, token)
    messages.success(request, f"Your message is being sent to {message.recipient_count:,} addresses.")
    return redirect(message)


@login_required
def detail(request, pk):
    """A message sent: how it is going (sent, waiting, failed with the mail server's answer) for
    each recipient, filtered by status and paginated, and a button to retry the failed ones."""
    message = _get_message_for_sender(request.user, pk)
    recipients = Recipient.objects.filter(message=message)
    counts = recipients.aggregate(
        sent=Count("pk", filter=Q(email__sent_at__isnull=False)),
        failed=Count("pk", filter=Q(email__failed_at__isnull=False)),
        total=Count("pk"),
    )
    counts["waiting"] = counts["total"] - counts["sent"] - counts["failed"]
    status_form = StatusFilterForm(request.GET or None)
    status = status_form.cleaned_data["status"] if status_form.is_valid() else ""
    listed = (
        recipients.with_status(status).select_related("email", "person", "organisation").order_by("-kind", "address")
    )
    page_obj = Paginator(listed, RECIPIENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "mailings/detail.html",
        {
            "message": message,
            "body_html": body_html(message.body),
            "counts": counts,
            "status": status,
            "status_form": status_form,
            "page_obj": page_obj,
            "nav_section": "messages",
        },
    )


@login_required
@require_POST
def retry(request, pk):
    """Put the failed emails of a message back in the queue."""
    message = _get_message_for_sender(request.user, pk)
    count = message_retry_failed(message=message, user=request.user)
    if count:
        messages.success(request, f"{count:,} failed email{'s' if count != 1 else ''} will be sent again.")
    else:
        messages.info(request, "No emails had failed.")
    return redirect(message)
