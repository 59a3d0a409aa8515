from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from users.decorators import national_lead_required

from . import changes
from .forms import ChangeDetailsForm, ChangeRejectForm
from .models import ChangeRequest, ChangeRequestError, Person


def _get_own_person(user) -> Person:
    """The signed-in user's person record; 404 for an account not linked to one."""
    return get_object_or_404(Person, user=user)


def _get_own_change_request(user, pk: int) -> ChangeRequest:
    """A change request the user asked for; 404 for anyone else's."""
    return get_object_or_404(ChangeRequest.objects.select_related("person", "organisation"), pk=pk, requested_by=user)


def _waiting_change_requests(user):
    return list(
        ChangeRequest.objects.waiting()
        .filter(requested_by=user)
        .select_related("person", "organisation")
        .order_by("pk")
    )


@login_required
def change_details(request):
    """The officer's own details and their organisations' generic mailboxes, sent for review."""
    person = _get_own_person(request.user)
    organisations = list(changes.mailbox_organisations(person))
    waiting = _waiting_change_requests(request.user)
    initial = {field: getattr(person, field) for field in changes.PERSON_FIELDS}
    initial.update({ChangeDetailsForm.mailbox_field_name(org): org.generic_mailbox for org in organisations})
    for change in waiting:  # the form starts from the change already asked for
        for field, values in change.changes.items():
            key = field if change.person_id else ChangeDetailsForm.mailbox_field_name(change.organisation)
            initial[key] = values["new"]
    form = ChangeDetailsForm(request.POST or None, person=person, organisations=organisations, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            created = changes.change_details_submit(
                requested_by=request.user,
                person_values=form.person_values(),
                mailbox_values=form.mailbox_values(),
            )
        except ChangeRequestError as error:
            form.add_error(None, str(error))
        else:
            if created:
                return redirect("officers:change-sent")
            messages.warning(
                request,
                "Nothing was sent for review: the details you saved are the same as "
                + (
                    "your details on record, or as the change already waiting for review."
                    if waiting
                    else "your details on record."
                ),
            )
            return redirect("officers:change-details")
    return render(
        request,
        "officers/change_details.html",
        {"form": form, "person": person, "waiting": waiting, "nav_section": "my-details"},
    )


@login_required
def change_sent(request):
    """Confirmation: the changes now waiting for review."""
    person = _get_own_person(request.user)
    waiting = [(change, changes.change_rows(change)) for change in _waiting_change_requests(request.user)]
    return render(
        request,
        "officers/change_sent.html",
        {"person": person, "waiting": waiting, "nav_section": "my-details"},
    )


@login_required
def my_change_requests(request):
    """Every change the user asked for, newest first, with its status."""
    person = _get_own_person(request.user)
    change_requests = list(
        ChangeRequest.objects.filter(requested_by=request.user)
        .select_related("person", "organisation")
        .order_by("-submitted_at", "-pk")
    )
    for change in change_requests:
        change.field_labels = changes.changed_field_labels(change)
    return render(
        request,
        "officers/change_list.html",
        {"person": person, "change_requests": change_requests, "nav_section": "my-details"},
    )


@login_required
def my_change_request(request, pk):
    change = _get_own_change_request(request.user, pk)
    return render(
        request,
        "officers/change_request.html",
        {"change": change, "rows": changes.change_rows(change), "nav_section": "my-details"},
    )


@login_required
@require_POST
def change_withdraw(request, pk):
    change = _get_own_change_request(request.user, pk)
    try:
        changes.change_request_withdraw(request_id=change.pk, user=request.user)
    except ChangeRequestError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"You withdrew your change to {change.target}.")
    return redirect("officers:my-change-requests")


@login_required
@require_POST
def confirm_details(request):
    person = _get_own_person(request.user)
    changes.person_confirm_details(person=person, user=request.user)
    messages.success(request, "Thank you for confirming that your details are still correct.")
    return redirect(person)


@national_lead_required
def change_queue(request):
    """The national lead's queue of change requests waiting for review, oldest first."""
    waiting = (
        ChangeRequest.objects.waiting()
        .select_related("requested_by__person", "person", "organisation")
        .order_by("submitted_at", "pk")
    )
    page_obj = Paginator(waiting, 50).get_page(request.GET.get("page"))
    for change in page_obj.object_list:
        change.field_labels = changes.changed_field_labels(change)
    return render(request, "officers/queue_changes.html", {"page_obj": page_obj, "nav_section": "change-queue"})


def _render_change_review(request, change, reject_form, status=200):
    rows = changes.change_rows(change)
    return render(
        request,
        "officers/queue_changes_review.html",
        {
            "change": change,
            "rows": rows,
            "conflicts": [row for row in rows if row.changed_since],
            "reject_form": reject_form,
            "nav_section": "change-queue",
        },
        status=status,
    )


def _get_change_request_for_review(pk: int) -> ChangeRequest:
    related = ("requested_by__person", "reviewed_by", "person", "organisation")
    return get_object_or_404(ChangeRequest.objects.select_related(*related), pk=pk)


@national_lead_required
def change_review(request, pk):
    """One request: the before/after table, and approve or reject."""
    return _render_change_review(request, _get_change_request_for_review(pk), ChangeRejectForm())


@national_lead_required
@require_POST
def change_approve(request, pk):
    change = _get_change_request_for_review(pk)
    try:
        changes.change_request_approve(request_id=change.pk, reviewer=request.user)
    except ChangeRequestError as error:
        messages.error(request, str(error))
        return redirect("officers:change-review", pk=change.pk)
    messages.success(request, f"Change request #{change.pk} approved: the change to {change.target} is applied.")
    return redirect("officers:change-queue")


@national_lead_required
@require_POST
def change_reject(request, pk):
    change = _get_change_request_for_review(pk)
    form = ChangeRejectForm(request.POST)
    if not form.is_valid():
        return _render_change_review(request, change, form)
    try:
        changes.change_request_reject(request_id=change.pk, reviewer=request.user, reason=form.cleaned_data["reason"])
    except ChangeRequestError as error:
        messages.error(request, str(error))
        return redirect("officers:change-review", pk=change.pk)
    messages.success(request, f"Change request #{change.pk} rejected; {change.requested_by.email} has been told why.")
    return redirect("officers:change-queue")
