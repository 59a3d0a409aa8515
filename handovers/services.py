"""Handover workflows: opening the hand-over of a named role when its holder leaves."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from officers.models import Appointment

from .models import Handover


def handover_open(
    *,
    outgoing: Appointment,
    incoming: Appointment | None = None,
    leaving_date: datetime.date,
    started_by,
) -> Handover:
    """Open the handover of `outgoing` (an active appointment), due HANDOVER_DUE_DAYS after the
    leaving date, with `incoming` as the successor when known.

    Raises ValidationError when the outgoing appointment is not active, when the successor's
    appointment is for another organisation or role, or when a handover of the outgoing
    appointment is already in progress (the database's one_unfinished_handover_per_appointment).
    """
    if outgoing.status != Appointment.Status.ACTIVE:
        raise ValidationError("Only an active appointment can be handed over.")
    if incoming is not None:
        if incoming.pk == outgoing.pk:
            raise ValidationError("The successor's appointment must differ from the outgoing one.")
        if incoming.organisation_id != outgoing.organisation_id or incoming.role != outgoing.role:
            raise ValidationError("The successor's appointment must be for the same role at the same organisation.")
    handover = Handover(
        organisation_id=outgoing.organisation_id,
        outgoing_appointment=outgoing,
        incoming_appointment=incoming,
        leaving_date=leaving_date,
        due_date=leaving_date + datetime.timedelta(days=settings.HANDOVER_DUE_DAYS),
        started_by=started_by,
    )
    handover._history_user = started_by
    handover._change_reason = f"Handover opened by {started_by.get_full_name()}" if started_by else "Handover opened"
    try:
        with transaction.atomic():
            handover.save()
    except IntegrityError as exc:
        raise ValidationError(
            f"A handover of {outgoing.person.full_name}'s role is already in progress.", code="handover_in_progress"
        ) from exc
    return handover
