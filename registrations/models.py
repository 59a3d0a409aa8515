from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from msonet.validators import validate_uk_phone
from officers.models import Appointment, Profession, RequestQuerySet, RequestStatus, ReviewedRequest, review_constraints
from organisations.models import Organisation


class RegistrationRequest(ReviewedRequest):
    """A signed-up user asks to be appointed to a role at an organisation; the national lead decides."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registration_requests")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="registration_requests")
    role = models.CharField(max_length=20, choices=Appointment.Role.choices)
    start_date = models.DateField()
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    job_title = models.CharField(max_length=200)
    profession = models.CharField(max_length=30, choices=Profession.choices)
    registration_number = models.CharField("professional registration number", max_length=30, blank=True)
    phone = models.CharField("work telephone", max_length=30, blank=True, validators=[validate_uk_phone])
    mhra_registered_on = models.DateField("registered with the MHRA as the named officer on", null=True, blank=True)
    has_mailbox_access = models.BooleanField("has access to the generic MSO mailbox", default=False)
    proposed_mailbox = models.EmailField(
        "generic MSO mailbox", blank=True, help_text="Given when the organisation has no mailbox on record."
    )
    email_domain_trusted = models.BooleanField(
        default=True, help_text="False when the applicant's email domain needs extra checking."
    )
    appointment = models.OneToOneField(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="registration_request"
    )

    objects = RequestQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"],
                condition=Q(status="submitted"),
                name="one_waiting_registration_per_role",
                violation_error_message="You have already asked for this role at this organisation.",
            ),
            *review_constraints("registration", "request"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}: {self.get_role_display()}, {self.organisation.name}"

    def decided_message(self) -> str:
        if self.status == RequestStatus.WITHDRAWN:
            return "This request has already been withdrawn by the applicant."
        return super().decided_message()
