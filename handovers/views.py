from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from officers.models import Appointment

from .forms import ChecklistItemForm, HandoverCompleteForm, HandoverStartForm
from .models import Handover
from .services import handover_complete, handover_start, handover_start_refusal, handover_tick, handover_untick

HANDOVERS_PER_PAGE = 50

# The list's tabs: (key, label, filter).
TABS = {
    "open": ("Open", lambda handovers, day: handovers.unfinished()),
    "due-soon": ("Due within 7 days", lambda handovers, day: handovers.due_soon(day)),
    "lapsed": ("Lapsed", lambda handovers, day: handovers.lapsed(day)),
    "completed": ("Completed", lambda handovers, day: handovers.filter(status=Handover.Status.COMPLETED)),
}


def _get_handover_for_user(user, pk: int) -> Handover:
    """A handover the user may see (Handover.objects.visible_to); 404 for anyone else."""
    return get_object_or_404(Handover.objects.visible_to(user).with_people().select_related("completed_by"), pk=pk)


@login_required
def handover_list(request):
    """The handovers the user may see (all for the national lead; their networks' regions for a
    chair; their own for an officer), by tab: open, due soon, lapsed, completed."""
    tab = request.GET.get("show", "open")
    if tab not in TABS:
        tab = "open"
    day = timezone.localdate()
    handovers = TABS[tab][1](Handover.objects.visible_to(request.user), day)
    handovers = handovers.with_people().order_by("due_date", "pk")
    if tab == "completed":
        handovers = handovers.order_by("-completed_at", "-pk")
    page_obj = Paginator(handovers, HANDOVERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "handovers/list.html",
        {
            "page_obj": page_obj,
            "tab": tab,
            "tabs": [(key, label) for key, (label, _filter) in TABS.items()],
            "today": day,
            "nav_section": "handovers",
        },
    )


@login_required
def handover_detail(request, pk):
    handover = _get_handover_for_user(request.user, pk)
    today = timezone.localdate()
    return render(
        request,
        "handovers/detail.html",
        {
            "handover": handover,
            "rows": handover.checklist_rows(),
            "can_change": handover.can_change(request.user),
            "can_complete": handover.can_complete(request.user, today),
            "completable_from": handover.completable_from(request.user, today),
            "before_leaving_date": today < handover.leaving_date,
            "complete_form": HandoverCompleteForm(),
            "is_lapsed": handover.is_lapsed(),
            "is_due_soon": handover.is_due_soon(),
            "nav_section": "handovers",
        },
    )


@login_required
def handover_start_view(request, appointment_pk):
    """The outgoing officer (or the national lead) starts the handover of a named appointment; 404 for
    anyone else, as for an appointment that does not exist."""
    appointment = get_object_or_404(Appointment.objects.select_related("person", "organisation"), pk=appointment_pk)
    unfinished = Handover.objects.unfinished().filter(outgoing_appointment=appointment).first()
    refusal = handover_start_refusal(request.user, appointment, in_progress=unfinished is not None)
    if isinstance(refusal, PermissionDenied):
        raise Http404("No such role to hand over.")
    if refusal is not None:
        messages.warning(request, "A handover of this role is already in progress.")
        return redirect(unfinished)
    form = HandoverStartForm(request.POST or None, appointment=appointment)
    if request.method == "POST" and form.is_valid():
        try:
            handover = handover_start(appointment_id=appointment.pk, started_by=request.user, **form.start_kwargs())
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            told = "the successor, " if handover.incoming_appointment_id else ""
            messages.success(
                request,
                f"Handover started. It is due by {handover.due_date:%-d %B %Y}. We have emailed {told}the regional "
                "network's chairs and the national MSO team.",
            )
            return redirect(handover)
    return render(
        request,
        "handovers/start.html",
        {"form": form, "appointment": appointment, "nav_section": "handovers"},
    )


def _checklist_action(request, pk, service, done: str):
    handover = _get_handover_for_user(request.user, pk)
    if not handover.is_involved(request.user):
        raise PermissionDenied("Only the officers handing over, and the national lead, can change the checklist.")
    form = ChecklistItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an item of the checklist.")
        return redirect(handover)
    try:
        service(handover_id=handover.pk, item=form.cleaned_data["item"], user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        label = dict(form.fields["item"].choices)[form.cleaned_data["item"]]
        messages.success(request, f"{done}: {label}.")
    return redirect(handover)


@login_required
@require_POST
def handover_tick_view(request, pk):
    return _checklist_action(request, pk, handover_tick, "Ticked")


@login_required
@require_POST
def handover_untick_view(request, pk):
    return _checklist_action(request, pk, handover_untick, "Unticked")


@login_required
@require_POST
def handover_complete_view(request, pk):
    handover = _get_handover_for_user(request.user, pk)
    if not (request.user.is_national_lead or request.user.pk == handover.outgoing_appointment.person.user_id):
        raise PermissionDenied("Only the national lead, or the outgoing officer, can complete a handover.")
    form = HandoverCompleteForm(request.POST)
    if not form.is_valid():  # a reason that cannot be kept (too long, a NUL character): nothing is done
        messages.error(request, " ".join(f"The reason: {error}" for error in form.errors.get("reason", [])))
        return redirect(handover)
    try:
        handover = handover_complete(handover_id=handover.pk, user=request.user, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(error.messages) if isinstance(error, ValidationError) else str(error))
    else:
        messages.success(request, "Handover complete. The officers and the regional network's chairs have been told.")
    return redirect(handover)
