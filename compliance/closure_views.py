"""The national lead's pages for closed organisations with officers still in post (the compliance
flag "Officers in post at a closed organisation"): set the successor, then move the officers to it
or end their appointments. 404 for everyone else (users.decorators.national_lead_required)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from handovers.models import Handover
from officers.models import Appointment
from organisations.models import Organisation
from users.decorators import national_lead_required

from .closure_forms import EndForm, MoveForm, SuccessorForm
from .closures import (
    ALREADY_THERE,
    HANDED_OVER,
    MOVED,
    PENDING,
    ClosureReport,
    closure_clashes,
    closure_in_post,
    closure_officers_end,
    closure_officers_move,
    is_closed,
    organisation_successor_set,
)
from .models import Flag

CLOSURES_PER_PAGE = 50


def _get_organisation(ods_code: str) -> Organisation:
    return get_object_or_404(Organisation.objects.select_related("region", "successor__region"), ods_code=ods_code)


@national_lead_required
def closure_list(request):
    """The closed organisations with officers still in post: the open flags of that kind, with each
    organisation's successor where one is recorded."""
    flags = (
        Flag.objects.open()
        .filter(kind=Flag.Kind.OFFICERS_AT_CLOSED)
        .select_related("organisation__region", "organisation__successor")
        .annotate(
            in_post=Count(
                "organisation__appointments",
                filter=Q(organisation__appointments__status=Appointment.Status.ACTIVE),
            )
        )
        .order_by("organisation__closed_on", Lower("organisation__name"), "pk")
    )
    page_obj = Paginator(flags, CLOSURES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "compliance/closures.html", {"page_obj": page_obj, "nav_section": "handovers"})


def _closure_state(organisation: Organisation) -> tuple[list, list, list]:
    """The officers in post, the successor's named officers and the named roles both hold."""
    successor = organisation.successor
    in_post = list(closure_in_post(organisation))
    successor_named = list(successor.appointments.current().named().select_related("person")) if successor else []
    clashes = closure_clashes(organisation=organisation, in_post=in_post, successor_named=successor_named)
    return in_post, successor_named, clashes


def _render_closure(request, organisation: Organisation, *, bound=None):
    """The closure page, with `bound` (a form that was sent and has errors) in place of its blank one."""
    today = timezone.localdate()
    successor = organisation.successor
    in_post, successor_named, clashes = _closure_state(organisation)
    forms = {
        "successor_form": SuccessorForm(organisation=organisation),
        "move_form": MoveForm(clashes=clashes, organisation=organisation, successor=successor),
        "end_form": EndForm(),
    }
    for name, form in forms.items():
        if bound is not None and type(bound) is type(form):
            forms[name] = bound
    handovers = (
        list(Handover.objects.unfinished().filter(organisation=successor).with_people().order_by("due_date", "pk"))
        if successor
        else []
    )
    flag = Flag.objects.open().filter(organisation=organisation, kind=Flag.Kind.OFFICERS_AT_CLOSED).first()
    context = {
        "organisation": organisation,
        "is_closed": is_closed(organisation, today),
        "successor": successor,
        "successor_closed": successor is not None and is_closed(successor, today),
        "successor_named": successor_named,
        "in_post": in_post,
        "clashes": clashes,
        "handovers": handovers,
        "flag": flag,
        "bound_form": bound,
        "nav_section": "handovers",
        **forms,
    }
    return render(request, "compliance/closure.html", context)


@national_lead_required
def closure_detail(request, ods_code):
    return _render_closure(request, _get_organisation(ods_code))


def _refused(form, error: ValidationError) -> None:
    form.add_error(None, " ".join(error.messages))


@national_lead_required
@require_POST
def closure_successor_view(request, ods_code):
    organisation = _get_organisation(ods_code)
    form = SuccessorForm(request.POST, organisation=organisation)
    if form.is_valid():
        successor = form.cleaned_data["successor"]
        try:
            organisation_successor_set(
                organisation=organisation, successor=successor, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(request, f"{successor.name} ({successor.ods_code}) is recorded as the successor.")
            return redirect("compliance:closure", ods_code=organisation.ods_code)
    return _render_closure(request, organisation, bound=form)


def _moved_message(report: ClosureReport) -> str:
    counts = dict.fromkeys((MOVED, PENDING, HANDED_OVER, ALREADY_THERE), 0)
    for move in report.moves:
        counts[move.outcome] += 1
    parts = []
    if counts[MOVED]:
        parts.append(f"{counts[MOVED]} in post there from the close date")
    if counts[PENDING]:
        parts.append(f"{counts[PENDING]} to take over after a handover")
    if counts[HANDED_OVER]:
        parts.append(f"{counts[HANDED_OVER]} handing over to the officer who stays")
    if counts[ALREADY_THERE]:
        parts.append(f"{counts[ALREADY_THERE]} already in the role there")
    moved = len(report.moves)
    return (
        f"{moved} appointment{'s' if moved != 1 else ''} moved to {report.successor.name}: {'; '.join(parts)}. "
        "The officers have been told."
    )


@national_lead_required
@require_POST
def closure_move_view(request, ods_code):
    organisation = _get_organisation(ods_code)
    _in_post, _successor_named, clashes = _closure_state(organisation)
    form = MoveForm(request.POST, clashes=clashes, organisation=organisation, successor=organisation.successor)
    if form.is_valid():
        try:
            report = closure_officers_move(
                organisation=organisation, keep=form.keep(), user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(request, _moved_message(report))
            return redirect("compliance:closure", ods_code=organisation.ods_code)
    return _render_closure(request, organisation, bound=form)


@national_lead_required
@require_POST
def closure_end_view(request, ods_code):
    organisation = _get_organisation(ods_code)
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            report = closure_officers_end(
                organisation=organisation, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _refused(form, error)
        else:
            ended = len(report.moves)
            messages.success(
                request,
                f"{ended} appointment{'s' if ended != 1 else ''} at {organisation.name} ended on "
                f"{organisation.closed_on:%-d %B %Y}. The officers have been told.",
            )
            return redirect("compliance:closure", ods_code=organisation.ods_code)
    return _render_closure(request, organisation, bound=form)
