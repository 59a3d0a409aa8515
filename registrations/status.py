"""What the applicant's home page says of their registration requests: those waiting for review, and
the latest decision (a rejection with its reason, or an approval with what to do next)."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from officers.models import Appointment, RequestStatus

from .models import RegistrationRequest

# For how long a decision is news on the applicant's home page (a rejection stays while the
# applicant has no role, an approval while the appointment waits for its handover).
RECENT_DECISION = datetime.timedelta(days=30)


@dataclass
class RegistrationStatus:
    # The requests waiting for review, oldest first.
    waiting: list[RegistrationRequest] = field(default_factory=list)
    # The user's latest request, when it was rejected and is still news.
    rejected: RegistrationRequest | None = None
    # The user's latest request, when it was approved and is still news.
    approved: RegistrationRequest | None = None


def registration_status(user, *, has_role: bool, now: datetime.datetime | None = None) -> RegistrationStatus:
    """The user's registration requests as their home page shows them (one query). A decision shows
    only when it is about the latest request and none is waiting: a rejection while the user has no
    role (or for RECENT_DECISION), an approval for RECENT_DECISION (or while the appointment is
    pending). Withdrawn requests are left out."""
    now = now or timezone.now()
    requests = list(
        RegistrationRequest.objects.filter(user=user)
        .exclude(status=RequestStatus.WITHDRAWN)
        .select_related("organisation", "appointment")
        .order_by("-submitted_at", "-pk")
    )
    waiting = [request for request in reversed(requests) if request.status == RequestStatus.SUBMITTED]
    if waiting or not requests:
        return RegistrationStatus(waiting=waiting)
    latest = requests[0]
    recent = latest.reviewed_at is not None and latest.reviewed_at >= now - RECENT_DECISION
    if latest.status == RequestStatus.REJECTED and (recent or not has_role):
        return RegistrationStatus(rejected=latest)
    pending = latest.appointment is not None and latest.appointment.status == Appointment.Status.PENDING
    if latest.status == RequestStatus.APPROVED and (recent or pending):
        return RegistrationStatus(approved=latest)
    return RegistrationStatus()
