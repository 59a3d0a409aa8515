from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.generic import DetailView

from audit.services import contact_details_reveal
from networks.attendance import is_active_member
from networks.models import Membership
from organisations.models import Organisation
from users.decorators import national_lead_required

from . import changes
from .forms import (
    ChangeDetailsForm,
    ChangeRejectForm,
    RegistrationOrganisationForm,
    RegistrationRejectForm,
    RegistrationRequestForm,
)
from .models import Appointment, ChangeRequest, Person, RegistrationRequest
from .services import registration_approve, registration_reject, registration_submit, registration_withdraw


class PersonDetailView(LoginRequiredMixin, DetailView):
    """A person's roles and networks; contact details only for those `contact_visible_to` allows."""

    template_name = "officers/person_detail.html"
    context_object_name = "person"

    def get_queryset(self):
        # is_active_member: attended one of the last three national webinars (networks.attendance).
        return Person.objects.annotate(is_active_member=is_active_member()).prefetch_related(
            Prefetch(
                "appointments",
                queryset=Appointment.objects.current().in_role_order().select_related("organisation"),
                to_attr="current_appointments",
            ),
            Prefetch(
                "memberships",
                queryset=Membership.objects.current().select_related("network").order_by("network__name"),
                to_attr="current_memberships",
            ),
        )

    def get_context_data(self, **kwargs):
        user = self.request.user
        person = self.object
        return super().get_context_data(
            # Person.objects.contact_visible_to decides; a view of someone else's details is logged.
            show_contact=contact_details_reveal(viewer=user, person=person, path=self.request.path),
            is_self=person.user_id is not None and person.user_id == user.pk,
            nav_section="my-details" if person.user_id == user.pk else None,
            **kwargs,
        )


# Change of details: the officer asks, the national lead decides (officers.changes).


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
        except changes.ChangeRequestError as error:
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
    except changes.ChangeRequestError as error:
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
    except changes.ChangeRequestError as error:
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
    except changes.ChangeRequestError as error:
        messages.error(request, str(error))
        return redirect("officers:change-review", pk=change.pk)
    messages.success(request, f"Change request #{change.pk} rejected; {change.requested_by.email} has been told why.")
    return redirect("officers:change-queue")


# Registration as a named officer: the user asks, the national lead decides (officers.services).

REGISTRATIONS_PER_PAGE = 25
ORGANISATIONS_PER_PAGE = 20


def _get_registration_for_user(user, pk: int) -> RegistrationRequest:
    """A registration request the user may see (their own; any for the national lead); 404 otherwise."""
    related = ("user", "organisation__region", "reviewed_by", "appointment")
    requests = RegistrationRequest.objects.for_user(user).select_related(*related)
    return get_object_or_404(requests, pk=pk)


def _get_registration_for_review(pk: int) -> RegistrationRequest:
    related = ("user__person", "organisation__region", "reviewed_by", "appointment")
    return get_object_or_404(RegistrationRequest.objects.select_related(*related), pk=pk)


def _current_holders(registration: RegistrationRequest) -> list[Appointment]:
    """Who holds the requested role at the organisation now (from `current_appointments` when prefetched)."""
    organisation = registration.organisation
    if hasattr(organisation, "current_appointments"):
        appointments = organisation.current_appointments
    else:
        appointments = organisation.appointments.current().select_related("person")
    return [appointment for appointment in appointments if appointment.role == registration.role]


@login_required
def registration_start(request):
    """Step 1: find the organisation (open organisations only) by name or ODS code."""
    form = RegistrationOrganisationForm(request.GET or None)
    page_obj = None
    if form.is_valid():
        text = form.cleaned_data["q"]
        organisations = Organisation.objects.open().search(text).exact_code_first(text).select_related("region")
        page_obj = Paginator(organisations, ORGANISATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "officers/registration_start.html",
        {"form": form, "page_obj": page_obj, "nav_section": "register"},
    )


@login_required
def registration_create(request, ods_code):
    """Step 2: the role and the applicant's details, for an open organisation."""
    organisation = get_object_or_404(Organisation.objects.open().select_related("region"), ods_code=ods_code.upper())
    form = RegistrationRequestForm(request.POST or None, user=request.user, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            registration = registration_submit(user=request.user, organisation=organisation, **form.request_details())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("officers:registration-submitted", pk=registration.pk)
    return render(
        request,
        "officers/registration_form.html",
        {"form": form, "organisation": organisation, "nav_section": "register"},
    )


@login_required
def registration_submitted(request, pk):
    registration = _get_registration_for_user(request.user, pk)
    return render(
        request, "officers/registration_submitted.html", {"registration": registration, "nav_section": "register"}
    )


@login_required
def registration_list(request):
    """The user's own registration requests, newest first, with their status."""
    registrations = (
        RegistrationRequest.objects.filter(user=request.user)
        .select_related("organisation")
        .order_by("-submitted_at", "-pk")
    )
    return render(
        request, "officers/registration_list.html", {"registrations": registrations, "nav_section": "register"}
    )


@login_required
def registration_detail(request, pk):
    registration = _get_registration_for_user(request.user, pk)
    return render(
        request,
        "officers/registration_detail.html",
        {
            "registration": registration,
            "is_own": registration.user_id == request.user.pk,
            "nav_section": "register",
        },
    )


@login_required
@require_POST
def registration_withdraw_view(request, pk):
    registration = get_object_or_404(
        RegistrationRequest.objects.select_related("organisation"), pk=pk, user=request.user
    )
    try:
        registration_withdraw(request_id=registration.pk, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("officers:registration-detail", pk=registration.pk)
    messages.success(
        request,
        f"You withdrew your request to be the {registration.get_role_display().lower()} at "
        f"{registration.organisation.name}.",
    )
    return redirect("officers:registration-list")


@national_lead_required
def registration_queue(request):
    """The national lead's queue of registration requests waiting for review, oldest first."""
    waiting = (
        RegistrationRequest.objects.waiting()
        .select_related("user", "organisation__region")
        .prefetch_related(
            Prefetch(
                "organisation__appointments",
                queryset=Appointment.objects.current().select_related("person").order_by(),
                to_attr="current_appointments",
            )
        )
        .order_by("submitted_at", "pk")
    )
    page_obj = Paginator(waiting, REGISTRATIONS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(registration, _current_holders(registration)) for registration in page_obj]
    return render(
        request,
        "officers/queue_registrations.html",
        {"page_obj": page_obj, "rows": rows, "nav_section": "registration-queue"},
    )


def _render_registration_review(request, registration, reject_form, status=200):
    holders = _current_holders(registration)
    named_holder = holders[0] if holders and registration.role in Appointment.NAMED_ROLES else None
    return render(
        request,
        "officers/queue_registrations_review.html",
        {
            "registration": registration,
            "holders": holders,
            "named_holder": named_holder,
            "reject_form": reject_form,
            "nav_section": "registration-queue",
        },
        status=status,
    )


@national_lead_required
def registration_review(request, pk):
    """One request with every detail, who holds the role now, and approve or reject."""
    return _render_registration_review(request, _get_registration_for_review(pk), RegistrationRejectForm())


@national_lead_required
@require_POST
def registration_approve_view(request, pk):
    registration = _get_registration_for_review(pk)
    try:
        appointment = registration_approve(request_id=registration.pk, reviewer=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("officers:registration-review", pk=registration.pk)
    name = appointment.person.full_name
    role = appointment.get_role_display().lower()
    if appointment.status == Appointment.Status.ACTIVE:
        messages.success(
            request, f"Registration approved: {name} is now the {role} at {appointment.organisation.name}."
        )
    else:
        messages.success(
            request,
            f"Registration approved: {name} will be the {role} at {appointment.organisation.name} once the "
            "handover from the current holder is complete.",
        )
    return redirect("officers:registration-queue")


@national_lead_required
@require_POST
def registration_reject_view(request, pk):
    registration = _get_registration_for_review(pk)
    form = RegistrationRejectForm(request.POST)
    if not form.is_valid():
        return _render_registration_review(request, registration, form)
    try:
        registration_reject(request_id=registration.pk, reviewer=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("officers:registration-review", pk=registration.pk)
    messages.success(
        request, f"Registration rejected: {registration.first_name} {registration.last_name} has been told why."
    )
    return redirect("officers:registration-queue")
