"""The national lead's queue of proposals to organisations' medication safety teams, and the
proposer's withdrawal. The proposal itself is made from the organisation's page
(directory.profile_views.team_propose)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from users.decorators import national_lead_required

from . import team
from .models import Appointment, Person, TeamProposal
from .team_forms import TeamProposalRejectForm

PROPOSALS_PER_PAGE = 25


@national_lead_required
def team_queue(request):
    """Proposals waiting for review, oldest first."""
    waiting = (
        TeamProposal.objects.waiting()
        .select_related("organisation__region", "proposed_by")
        .order_by("submitted_at", "pk")
    )
    page_obj = Paginator(waiting, PROPOSALS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "officers/team_queue.html", {"page_obj": page_obj, "nav_section": "team-queue"})


def _get_proposal_for_review(pk: int) -> TeamProposal:
    related = ("organisation__region", "proposed_by", "reviewed_by", "appointment__person")
    return get_object_or_404(TeamProposal.objects.select_related(*related), pk=pk)


def _render_review(request, proposal, reject_form, status=200):
    person = (
        Person.objects.filter(work_email__iexact=proposal.work_email)
        .prefetch_related(
            Prefetch(
                "appointments",
                queryset=Appointment.objects.current().in_role_order().select_related("organisation"),
                to_attr="current_appointments",
            )
        )
        .first()
    )
    return render(
        request,
        "officers/team_review.html",
        {
            "proposal": proposal,
            "person": person,
            "own_proposal": proposal.proposed_by_id == request.user.pk,
            "reject_form": reject_form,
            "nav_section": "team-queue",
        },
        status=status,
    )


@national_lead_required
def team_review(request, pk):
    """One proposal: who is proposed, whether they are already in the register, approve or reject."""
    return _render_review(request, _get_proposal_for_review(pk), TeamProposalRejectForm())


@national_lead_required
@require_POST
def team_approve(request, pk):
    proposal = _get_proposal_for_review(pk)
    try:
        appointment = team.team_proposal_approve(proposal_id=proposal.pk, reviewer=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("officers:team-review", pk=proposal.pk)
    messages.success(
        request,
        f"Proposal approved: {appointment.person.full_name} is now "
        f"{appointment.get_role_display().lower()} at {proposal.organisation.name}.",
    )
    return redirect("officers:team-queue")


@national_lead_required
@require_POST
def team_reject(request, pk):
    proposal = _get_proposal_for_review(pk)
    form = TeamProposalRejectForm(request.POST)
    if not form.is_valid():
        return _render_review(request, proposal, form, status=200)
    try:
        team.team_proposal_reject(proposal_id=proposal.pk, reviewer=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("officers:team-review", pk=proposal.pk)
    messages.success(request, f"Proposal rejected: {proposal.proposed_by.email} has been told why.")
    return redirect("officers:team-queue")


@login_required
@require_POST
def team_withdraw(request, pk):
    """The proposer withdraws their waiting proposal (from the organisation's page)."""
    proposal = get_object_or_404(TeamProposal.objects.for_user(request.user).select_related("organisation"), pk=pk)
    try:
        team.team_proposal_withdraw(proposal_id=proposal.pk, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"You withdrew the proposal of {proposal.full_name}.")
    return redirect(proposal.organisation)
