"""The medication safety team: the named MSO or MDSO (or the national lead) proposes a deputy MSO, team
member or medicines champion; the national lead approves (the person is found by work email or
created, and their appointment is active at once) or rejects with a reason. As for registration
(registrations.services), each function is keyword-only and runs in one transaction; the proposer's
emails are stored in it and sent when it commits. Locking, refusing and recording a decision are the
request base's (officers.models.ReviewedRequest)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from emails.services import email_queue
from msonet.history import record_change
from organisations.models import Organisation
from users.models import User

from .models import RACE_MESSAGE, Appointment, Person, TeamProposal

PROPOSED_REASON = "Proposed for the medication safety team"


def _duplicate(proposal: TeamProposal) -> ValidationError:
    return ValidationError(
        f"{proposal.full_name} ({proposal.work_email}) has already been proposed as "
        f"{proposal.get_role_display().lower()} at {proposal.organisation.name}; the national MSO team "
        "will review that proposal.",
        code="duplicate_proposal",
    )


def team_proposal_submit(
    *,
    organisation: Organisation,
    proposed_by: User,
    role: str,
    first_name: str,
    last_name: str,
    work_email: str,
    job_title: str,
    profession: str,
    start_date: datetime.date,
) -> TeamProposal:
    """Store a proposal for the national lead's queue. Refused when the person already holds the role
    at the organisation, or is already proposed for it (the database's
    one_waiting_team_proposal_per_person_role backs the check)."""
    proposal = TeamProposal(
        organisation=organisation,
        proposed_by=proposed_by,
        role=role,
        first_name=first_name,
        last_name=last_name,
        work_email=work_email.strip().lower(),
        job_title=job_title,
        profession=profession,
        start_date=start_date,
    )
    proposal.full_clean(exclude=["organisation", "proposed_by", "appointment"], validate_constraints=False)
    if role not in Appointment.TEAM_ROLES:
        raise ValidationError("Only a deputy MSO, team member or medicines champion can be proposed.")
    holds = Appointment.objects.current().filter(
        organisation=organisation, role=role, person__work_email__iexact=proposal.work_email
    )
    if holds.exists():
        raise ValidationError(
            f"{proposal.work_email} is already the {proposal.get_role_display().lower()} at {organisation.name}.",
            code="already_appointed",
        )
    record_change(proposal, user=proposed_by, reason=PROPOSED_REASON)
    try:
        with transaction.atomic():
            waiting = TeamProposal.objects.waiting().filter(
                organisation=organisation, role=role, work_email__iexact=proposal.work_email
            )
            if waiting.exists():
                raise _duplicate(proposal)
            proposal.save()
    except IntegrityError as exc:  # the same proposal sent at the same moment
        raise _duplicate(proposal) from exc
    return proposal


def _lock_waiting(proposal_id: int) -> TeamProposal:
    return TeamProposal.objects.select_related("organisation", "proposed_by", "reviewed_by").lock_waiting(proposal_id)


def team_proposal_approve(*, proposal_id: int, reviewer: User) -> Appointment:
    """Approve a waiting proposal: the person with the proposed work email (else a new person from the
    proposal; blank details filled in) is appointed to the role, active from the start date, and the
    proposer is emailed. ValidationError when the proposal is no longer waiting or the person already
    holds the role there; nothing changes then."""
    try:
        with transaction.atomic():
            return _approve(proposal_id=proposal_id, reviewer=reviewer)
    except IntegrityError as exc:
        raise ValidationError(RACE_MESSAGE, code="conflict") from exc


def _approve(*, proposal_id: int, reviewer: User) -> Appointment:
    proposal = _lock_waiting(proposal_id)
    proposal.refuse_own(reviewer)
    organisation = proposal.organisation
    reason = f"Team proposal approved by {reviewer.get_full_name()}"
    person = Person.objects.select_for_update().filter(work_email__iexact=proposal.work_email).first()
    changed = person is None
    if person is None:
        person = Person(first_name=proposal.first_name, last_name=proposal.last_name, work_email=proposal.work_email)
    for name in ("job_title", "profession"):
        if not getattr(person, name):
            setattr(person, name, getattr(proposal, name))
            changed = True
    holds = Appointment.objects.current().filter(organisation=organisation, role=proposal.role)
    if person.pk is not None and holds.filter(person=person).exists():
        raise ValidationError(
            f"{person.full_name} already holds this role at {organisation.name}.", code="already_appointed"
        )
    if changed:
        record_change(person, user=reviewer, reason=reason)
        person.save()
    appointment = Appointment(
        person=person,
        organisation=organisation,
        role=proposal.role,
        start_date=proposal.start_date,
        status=Appointment.Status.ACTIVE,
    )
    record_change(appointment, user=reviewer, reason=reason)
    appointment.save()
    proposal.mark_approved(reviewer=reviewer, history_reason=reason, appointment=appointment)
    email_queue(
        to=[proposal.proposed_by.email],
        template="team_proposal_approved",
        context={"proposal": proposal, "organisation": organisation, "person": person, "appointment": appointment},
    )
    return appointment


@transaction.atomic
def team_proposal_reject(*, proposal_id: int, reviewer: User, reason: str) -> TeamProposal:
    """Reject a waiting proposal with a reason (required); the proposer is emailed the reason."""
    reason = TeamProposal.rejection_reason(reason)
    proposal = _lock_waiting(proposal_id)
    proposal.mark_rejected(
        reviewer=reviewer, reason=reason, history_reason=f"Team proposal rejected by {reviewer.get_full_name()}"
    )
    email_queue(
        to=[proposal.proposed_by.email],
        template="team_proposal_rejected",
        context={"proposal": proposal, "organisation": proposal.organisation, "reason": reason},
    )
    return proposal


@transaction.atomic
def team_proposal_withdraw(*, proposal_id: int, user: User) -> TeamProposal:
    """The proposer (or the national lead) withdraws a proposal that is still waiting."""
    proposal = _lock_waiting(proposal_id)
    if proposal.proposed_by_id != user.pk and not user.is_national_lead:
        raise ValidationError("Only the person who made the proposal can withdraw it.", code="not_proposer")
    proposal.mark_withdrawn(user=user, history_reason="Withdrawn by the proposer")
    return proposal
