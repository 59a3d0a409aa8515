"""Registration as a named officer: submitted by a signed-in user, approved or rejected by the national lead.

Every function is keyword-only and runs in one transaction; its emails are stored in that
transaction (emails.services.email_queue) and sent when it commits. Refusals are raised as
ValidationError with a message for the person using the page. Locking, refusing and recording a
decision are the request base's (officers.models.ReviewedRequest); this module adds what approving
a registration does and the emails it sends.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from emails.services import email_queue
from handovers.models import Handover
from handovers.services import handover_open, site_url
from msonet.history import record_change
from networks.models import Membership, Network
from officers.models import RACE_MESSAGE, Appointment, Person
from organisations.models import Organisation
from users.models import User, email_domain_is_trusted

from .models import RegistrationRequest

DUPLICATE_REQUEST_MESSAGE = (
    "You have already asked to be the {role} at {organisation}. The national MSO team will review that "
    "request; you can withdraw it from your registration requests if it is wrong."
)


def registration_submit(
    *,
    user: User,
    organisation: Organisation,
    role: str,
    start_date: datetime.date,
    first_name: str,
    last_name: str,
    job_title: str,
    profession: str,
    registration_number: str = "",
    phone: str = "",
    mhra_registered_on: datetime.date | None = None,
    has_mailbox_access: bool = False,
    proposed_mailbox: str = "",
) -> RegistrationRequest:
    """Store the user's request to be appointed, flag an email domain that needs extra checking, and
    tell the applicant it was received.

    Refused (ValidationError) when the user already has a waiting request for the same role at the
    same organisation; the database's one_waiting_registration_per_role backs the check.
    """
    request = RegistrationRequest(
        user=user,
        organisation=organisation,
        role=role,
        start_date=start_date,
        first_name=first_name,
        last_name=last_name,
        job_title=job_title,
        profession=profession,
        registration_number=registration_number,
        phone=phone,
        mhra_registered_on=mhra_registered_on if role in Appointment.NAMED_ROLES else None,
        has_mailbox_access=has_mailbox_access,
        proposed_mailbox="" if organisation.generic_mailbox else proposed_mailbox,
        email_domain_trusted=email_domain_is_trusted(user.email),
    )
    record_change(request, user=user, reason="Registration requested")
    duplicate = ValidationError(
        DUPLICATE_REQUEST_MESSAGE.format(role=request.get_role_display(), organisation=organisation.name),
        code="duplicate_request",
    )
    try:
        with transaction.atomic():
            if RegistrationRequest.objects.waiting().filter(user=user, organisation=organisation, role=role).exists():
                raise duplicate
            request.save()
            email_queue(
                to=[user.email],
                template="registration_received",
                context={"request": request, "organisation": organisation},
            )
            _tell_the_national_team(request)
    except IntegrityError as exc:  # a second request submitted at the same moment
        raise duplicate from exc
    return request


def _tell_the_national_team(request: RegistrationRequest) -> None:
    """Email the national leads (other than the applicant) that a registration waits for review."""
    leads = list(
        User.objects.filter(is_national_lead=True, is_active=True)
        .exclude(pk=request.user_id)
        .values_list("email", flat=True)
    )
    if leads:
        email_queue(
            to=leads,
            template="registration_to_review",
            context={
                "request": request,
                "organisation": request.organisation,
                "url": site_url(reverse("registrations:review", args=[request.pk])),
            },
        )


@transaction.atomic
def registration_withdraw(*, request_id: int, user: User) -> RegistrationRequest:
    """The applicant withdraws their own waiting request."""
    request = RegistrationRequest.objects.select_related("organisation").filter(user=user).lock_waiting(request_id)
    request.mark_withdrawn(user=user, history_reason="Withdrawn by the applicant")
    return request


@transaction.atomic
def registration_reject(*, request_id: int, reviewer: User, reason: str) -> RegistrationRequest:
    """The national lead rejects a waiting request; the applicant is told the reason."""
    reason = RegistrationRequest.rejection_reason(reason)
    request = RegistrationRequest.objects.select_related("organisation", "user").lock_waiting(request_id)
    request.mark_rejected(reviewer=reviewer, reason=reason, history_reason=f"Rejected by {reviewer.get_full_name()}")
    email_queue(
        to=[request.user.email],
        template="registration_rejected",
        context={"request": request, "organisation": request.organisation, "reason": reason},
    )
    return request


def registration_approve(*, request_id: int, reviewer: User) -> Appointment:
    """The national lead approves a waiting request and the applicant is appointed.

    In one transaction: the request and then the organisation are locked (so two approvals for the
    same organisation run one after the other); the person is found or created and linked to the
    user; the appointment is created, ACTIVE unless it is a named role (MSO, MDSO) someone else
    holds, in which case it stays PENDING and becomes the incoming side of a handover from the
    current holder. The person joins the national network and their organisation's regional
    network; a proposed generic mailbox is recorded if the organisation had none. The applicant
    and the regional network's chairs are emailed when the transaction commits.

    Raises ValidationError when the request is no longer waiting, or when the database refuses the
    change (another officer was made active at the same moment): nothing is changed then.
    """
    try:
        with transaction.atomic():
            return _approve(request_id=request_id, reviewer=reviewer)
    except IntegrityError as exc:
        raise ValidationError(RACE_MESSAGE, code="conflict") from exc


def _approve(*, request_id: int, reviewer: User) -> Appointment:
    request = RegistrationRequest.objects.select_related("user").lock_waiting(request_id)
    request.refuse_own(reviewer)
    organisation = (
        Organisation.objects.select_for_update(of=("self",)).select_related("region").get(pk=request.organisation_id)
    )
    today = timezone.localdate()
    approved_by = f"Registration approved by {reviewer.get_full_name()}"

    person = _person_for(request, reviewer=reviewer, reason=approved_by)
    if Appointment.objects.current().filter(person=person, organisation=organisation, role=request.role).exists():
        raise ValidationError(
            f"{person.full_name} already holds this role at {organisation.name}.", code="already_appointed"
        )

    holder = _named_holder(organisation, request.role)
    appointment = Appointment(
        person=person,
        organisation=organisation,
        role=request.role,
        start_date=request.start_date,
        status=Appointment.Status.PENDING if holder else Appointment.Status.ACTIVE,
        mhra_registered_on=request.mhra_registered_on if request.role in Appointment.NAMED_ROLES else None,
    )
    record_change(appointment, user=reviewer, reason=approved_by)
    appointment.save()

    handover = None
    if holder is not None:
        handover = _handover_to(appointment, holder=holder, reviewer=reviewer, reason=approved_by)

    networks = _join_networks(person, organisation=organisation, day=today, reviewer=reviewer, reason=approved_by)

    if request.proposed_mailbox and not organisation.generic_mailbox:
        organisation.generic_mailbox = request.proposed_mailbox
        record_change(organisation, user=reviewer, reason=f"Generic mailbox given at registration; {approved_by}")
        organisation.save(update_fields=["generic_mailbox", "updated_at"])

    request.mark_approved(reviewer=reviewer, history_reason=approved_by, appointment=appointment)

    context = {
        "request": request,
        "organisation": organisation,
        "appointment": appointment,
        "person": person,
        "handover": handover,
        "holder": holder,
        "url": site_url(person.get_absolute_url()),
    }
    email_queue(to=[request.user.email], template="registration_approved", context=context)
    regional = next((network for network in networks if network.kind == Network.Kind.REGIONAL), None)
    if regional is not None:
        chairs = Membership.objects.current().chairs().filter(network=regional).select_related("person")
        for chair in chairs.exclude(person=person):
            email_queue(
                to=[chair.person.work_email],
                template="registration_chair",
                context={**context, "network": regional, "chair": chair.person},
            )
    return appointment


def _named_holder(organisation: Organisation, role: str) -> Appointment | None:
    """The active holder of a named role (MSO, MDSO) at the organisation; None for other roles."""
    if role not in Appointment.NAMED_ROLES:
        return None
    return Appointment.objects.current().filter(organisation=organisation, role=role).select_related("person").first()


def _person_for(request: RegistrationRequest, *, reviewer: User, reason: str) -> Person:
    """The applicant's person record; else the person with their email address, now linked to
    them; else a new person from the request's details. Blank details are filled from the request."""
    user = request.user
    person = Person.objects.select_for_update().filter(user=user).first()
    if person is None:
        person = Person.objects.select_for_update().filter(work_email__iexact=user.email).first()
        if person is not None and person.user_id is not None:
            raise ValidationError(
                f"The person record for {user.email} belongs to another account. Link the accounts in the "
                "admin before approving.",
                code="person_linked_elsewhere",
            )
    if person is None:
        person = Person(user=user, work_email=user.email, first_name=request.first_name, last_name=request.last_name)
    changed = person.pk is None or person.user_id != user.pk
    person.user = user
    for field in ("job_title", "profession", "registration_number", "phone"):
        if not getattr(person, field) and getattr(request, field):
            setattr(person, field, getattr(request, field))
            changed = True
    if changed:
        record_change(person, user=reviewer, reason=reason)
        person.save()
    return person


def _handover_to(appointment: Appointment, *, holder: Appointment, reviewer: User, reason: str) -> Handover:
    """Attach the new appointment to the holder's unfinished handover that has no successor yet, or
    open one with the new officer's start date as the holder's leaving date."""
    handover = (
        Handover.objects.select_for_update()
        .filter(outgoing_appointment=holder)
        .exclude(status=Handover.Status.COMPLETED)
        .first()
    )
    if handover is None:
        return handover_open(
            outgoing=holder, incoming=appointment, leaving_date=appointment.start_date, started_by=reviewer
        )
    if handover.incoming_appointment_id is not None:
        raise ValidationError(
            f"{holder.person.full_name} is already handing over to a successor. Complete or change that "
            "handover before approving this request.",
            code="handover_has_successor",
        )
    handover.incoming_appointment = appointment
    record_change(handover, user=reviewer, reason=reason)
    handover.save(update_fields=["incoming_appointment"])
    return handover


def _join_networks(person: Person, *, organisation: Organisation, day: datetime.date, reviewer: User, reason: str):
    """Make the person a current member of the national network and the organisation's regional
    network, unless they already are. Returns those networks."""
    kinds = Network.objects.filter(kind=Network.Kind.NATIONAL)
    if organisation.region_id is not None:
        kinds = kinds | Network.objects.filter(kind=Network.Kind.REGIONAL, region_id=organisation.region_id)
    networks = list(kinds)
    current = set(
        Membership.objects.current().filter(person=person, network__in=networks).values_list("network", flat=True)
    )
    for network in networks:
        if network.pk in current:
            continue
        membership = Membership(person=person, network=network, role=Membership.Role.MEMBER, joined_on=day)
        record_change(membership, user=reviewer, reason=reason)
        membership.save()
    return networks
