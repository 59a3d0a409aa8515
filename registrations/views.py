"""Joining the register: the applicant finds their organisation, asks for a role and follows their
requests; the national lead reviews the queue and approves or rejects (registrations.services)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from officers.models import Appointment
from organisations.models import Organisation
from users.decorators import national_lead_required

from .forms import RegistrationOrganisationForm, RegistrationRejectForm, RegistrationRequestForm
from .models import RegistrationRequest
from .services import registration_approve, registration_reject, registration_submit, registration_withdraw

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
        "registrations/start.html",
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
            return redirect("registrations:submitted", pk=registration.pk)
    return render(
        request,
        "registrations/form.html",
        {"form": form, "organisation": organisation, "nav_section": "register"},
    )


@login_required
def registration_submitted(request, pk):
    registration = _get_registration_for_user(request.user, pk)
    return render(request, "registrations/submitted.html", {"registration": registration, "nav_section": "register"})


@login_required
def registration_list(request):
    """The user's own registration requests, newest first, with their status."""
    registrations = (
        RegistrationRequest.objects.filter(user=request.user)
        .select_related("organisation")
        .order_by("-submitted_at", "-pk")
    )
    return render(request, "registrations/list.html", {"registrations": registrations, "nav_section": "register"})


@login_required
def registration_detail(request, pk):
    registration = _get_registration_for_user(request.user, pk)
    return render(
        request,
        "registrations/detail.html",
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
        return redirect("registrations:detail", pk=registration.pk)
    messages.success(
        request,
        f"You withdrew your request to be the {registration.get_role_display().lower()} at "
        f"{registration.organisation.name}.",
    )
    return redirect("registrations:list")


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
        "registrations/queue.html",
        {"page_obj": page_obj, "rows": rows, "nav_section": "registration-queue"},
    )


def _render_registration_review(request, registration, reject_form, status=200):
    holders = _current_holders(registration)
    named_holder = holders[0] if holders and registration.role in Appointment.NAMED_ROLES else None
    return render(
        request,
        "registrations/review.html",
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
        return redirect("registrations:review", pk=registration.pk)
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
    return redirect("registrations:queue")


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
        return redirect("registrations:review", pk=registration.pk)
    messages.success(
        request, f"Registration rejected: {registration.first_name} {registration.last_name} has been told why."
    )
    return redirect("registrations:queue")
