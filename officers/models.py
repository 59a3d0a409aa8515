import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from simple_history.models import HistoricalRecords

from msonet.history import record_change
from msonet.validators import validate_uk_phone
from organisations.models import Organisation


class Profession(models.TextChoices):
    PHARMACIST = "pharmacist", "Pharmacist"
    PHARMACY_TECHNICIAN = "pharmacy_technician", "Pharmacy technician"
    NURSE = "nurse", "Nurse"
    MIDWIFE = "midwife", "Midwife"
    DOCTOR = "doctor", "Doctor"
    ALLIED_HEALTH = "allied_health", "Allied health professional"
    CLINICAL_SCIENTIST = "clinical_scientist", "Clinical scientist or engineer"
    OTHER = "other", "Other"


def by_surname(path: str = "") -> tuple:
    """The order people are listed in: by surname, then first name, whatever their capitals, so that
    "de Souza" comes among the Ds. `path` leads from the model ordered to the person ("person__")."""
    return (Lower(f"{path}last_name"), Lower(f"{path}first_name"))


class PersonQuerySet(models.QuerySet):
    def search(self, text: str):
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(Q(first_name__icontains=text) | Q(last_name__icontains=text) | Q(work_email__iexact=text))


class Person(models.Model):
    """Someone in the network: a named officer, a deputy, a team member or a chair."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    job_title = models.CharField(max_length=200, blank=True)
    profession = models.CharField(max_length=30, choices=Profession.choices, blank=True)
    registration_number = models.CharField(
        "professional registration number",
        max_length=30,
        blank=True,
        help_text="For example a GPhC, NMC or GMC number.",
    )
    work_email = models.EmailField(unique=True)
    phone = models.CharField("work telephone", max_length=30, blank=True, validators=[validate_uk_phone])
    details_confirmed_on = models.DateField(
        null=True, blank=True, help_text="When the person last confirmed their details were correct."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = [*by_surname(), "pk"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(Lower("work_email"), name="person_work_email_unique_ci"),
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("directory:person", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class AppointmentQuerySet(models.QuerySet):
    def current(self):
        return self.filter(status=Appointment.Status.ACTIVE)

    def named(self):
        return self.filter(role__in=Appointment.NAMED_ROLES)

    def in_role_order(self):
        """Named MSO first, then MDSO, deputies and team members; by surname within a role."""
        order = Case(
            *(When(role=role, then=Value(index)) for index, role in enumerate(Appointment.Role)),
            default=Value(len(Appointment.Role)),
        )
        return self.alias(role_order=order).order_by("role_order", *by_surname("person__"))


class Appointment(models.Model):
    """A person in a medication safety role at an organisation."""

    class Role(models.TextChoices):
        MSO = "mso", "Medication safety officer"
        MDSO = "mdso", "Medical device safety officer"
        DEPUTY_MSO = "deputy_mso", "Deputy medication safety officer"
        TEAM_MEMBER = "team_member", "Medication safety team member"
        MEDICINES_CHAMPION = "medicines_champion", "Medicines champion"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"
        REJECTED = "rejected", "Rejected"

    # The roles an organisation names one holder for.
    NAMED_ROLES = (Role.MSO, Role.MDSO)
    # The medication safety team around the named officers, proposed by them (TeamProposal).
    TEAM_ROLES = (Role.DEPUTY_MSO, Role.TEAM_MEMBER, Role.MEDICINES_CHAMPION)

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="appointments")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="appointments")
    role = models.CharField(max_length=20, choices=Role.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    mhra_registered_on = models.DateField("registered with the MHRA on", null=True, blank=True)
    mhra_reference = models.CharField("MHRA registration reference", max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = [Lower("organisation__name"), "organisation__ods_code", "role", "start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "role"],
                condition=Q(status="active", role__in=["mso", "mdso"]),
                name="one_active_named_officer_per_role",
                violation_error_message="This organisation already has an active named officer in this role.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="appointment_end_not_before_start",
                violation_error_message="The end date cannot be before the start date.",
            ),
            models.CheckConstraint(
                condition=~Q(status="ended") | Q(end_date__isnull=False),
                name="appointment_ended_has_end_date",
                violation_error_message="An ended appointment needs an end date.",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "role"]),
            models.Index(fields=["person", "status"]),
        ]

    def __str__(self):
        return f"{self.person} — {self.get_role_display()}, {self.organisation.name}"

    @property
    def is_named(self) -> bool:
        return self.role in self.NAMED_ROLES

    @property
    def is_mhra_registered(self) -> bool:
        return self.mhra_registered_on is not None

    def days_in_post(self, day: datetime.date | None = None) -> int:
        return ((day or timezone.localdate()) - self.start_date).days


def named_officers(to_attr: str = "named_appointments") -> models.Prefetch:
    """For a queryset of organisations: prefetch each one's active named MSO and MDSO appointments
    (with their person) into `to_attr`, which `Organisation.named_mso` and `named_mdso` read."""
    return models.Prefetch(
        "appointments",
        queryset=Appointment.objects.current().named().select_related("person").order_by(),
        to_attr=to_attr,
    )


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", "Waiting for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class RequestQuerySet(models.QuerySet):
    """Requests to the national lead; the model's `owner_field` names the user who made each one."""

    def waiting(self):
        return self.filter(status=RequestStatus.SUBMITTED)

    def for_user(self, user):
        """The requests a user may see: their own; every request for the national lead."""
        if not user.is_authenticated:
            return self.none()
        if user.is_national_lead:
            return self
        return self.filter(**{self.model.owner_field: user})

    def lock_waiting(self, pk: int):
        """The request `pk`, locked until the transaction ends, so that two decisions about it run one
        after the other and the second sees the first; refused unless it is still waiting."""
        request = self.select_for_update(of=("self",)).get(pk=pk)
        request.refuse_unless_waiting()
        return request


# An approval the database refused (another officer made active at the same moment): nothing changed.
RACE_MESSAGE = (
    "This request could not be approved because the organisation's records changed at the same moment. "
    "Nothing has been changed. Open the request again and check who holds the role now."
)


class ReviewedRequest(models.Model):
    """What every request to the national lead records of its review: its status, when it was
    sent, and who decided it, when and (for a rejection) why.

    How a request is decided is written here once: the decision locks the waiting request
    (`RequestQuerySet.lock_waiting`), is refused once the request is decided or by the person who made
    it, and marks it approved, rejected (with the reason its maker is told) or withdrawn, with who,
    when and why in the request and its history. Each kind keeps what differs: what approval does and
    which email is sent (registrations.services, officers.changes, officers.team).
    """

    # The field naming the user who made the request, and what the messages call the request.
    owner_field = "user"
    noun = "request"

    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED)
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)

    class Meta:
        abstract = True

    @classmethod
    def refusal(cls, message: str, *, code: str) -> Exception:
        """The error that refuses a decision: a ValidationError with `code`, unless a kind raises its own."""
        return ValidationError(message, code=code)

    @classmethod
    def rejection_reason(cls, reason: str) -> str:
        """The reason for a rejection, trimmed; refused when empty, as the request's maker is told it."""
        reason = (reason or "").strip()
        if not reason:
            raise cls.refusal(f"Give the reason for rejecting the {cls.noun}.", code="reason_required")
        return reason

    def decided_message(self) -> str:
        """Why this request, no longer waiting, cannot be decided again."""
        who = self.reviewed_by.get_full_name() if self.reviewed_by else "someone else"
        return f"This {self.noun} has already been {self.get_status_display().lower()} by {who}."

    def refuse_unless_waiting(self) -> None:
        if self.status != RequestStatus.SUBMITTED:
            raise self.refusal(self.decided_message(), code="already_decided")

    def owner_id(self) -> int | None:
        """The id of the user who made the request, following `owner_field` ("user", "person__user")."""
        *path, last = self.owner_field.split("__")
        owner = self
        for name in path:
            owner = getattr(owner, name)
        return getattr(owner, f"{last}_id")

    def refuse_own(self, reviewer) -> None:
        """Refused when the reviewer made the request: another member of the national team decides it."""
        if self.owner_id() == reviewer.pk:
            article = "an" if self.noun[0] in "aeiou" else "a"
            raise self.refusal(
                f"You cannot review {article} {self.noun} you made yourself. Nothing was changed: another member "
                "of the national team must review it.",
                code="own_request",
            )

    def mark_approved(self, *, reviewer, history_reason: str, **fields) -> None:
        """Record that `reviewer` approved the request now, with the `fields` approval sets (such as the
        appointment made), and save it."""
        self._decide(RequestStatus.APPROVED, user=reviewer, history_reason=history_reason, **fields)

    def mark_rejected(self, *, reviewer, reason: str, history_reason: str) -> None:
        """Record that `reviewer` rejected the request now for `reason`, and save it."""
        self._decide(RequestStatus.REJECTED, user=reviewer, history_reason=history_reason, review_reason=reason)

    def mark_withdrawn(self, *, user, history_reason: str, reason: str = "") -> None:
        """Record that `user` withdrew the request now (with `reason`, when one is kept), and save it."""
        fields = {"review_reason": reason} if reason else {}
        self._decide(RequestStatus.WITHDRAWN, user=user, history_reason=history_reason, **fields)

    def _decide(self, status: str, *, user, history_reason: str, **fields) -> None:
        self.status = status
        self.reviewed_by = user
        self.reviewed_at = timezone.now()
        for name, value in fields.items():
            setattr(self, name, value)
        record_change(self, user=user, reason=history_reason)
        self.save(update_fields=["status", "reviewed_by", "reviewed_at", *fields])


def review_constraints(name: str, noun: str) -> list[models.CheckConstraint]:
    """The database's rules for a ReviewedRequest table `name`: a decided one has the time of the
    decision, a rejected one its reason (the messages speak of a `noun`)."""
    return [
        models.CheckConstraint(
            condition=Q(status="submitted") | Q(reviewed_at__isnull=False),
            name=f"reviewed_{name}_has_review_time",
            violation_error_message=f"A decided {noun} needs the time of the decision.",
        ),
        models.CheckConstraint(
            condition=~Q(status="rejected") | ~Q(review_reason=""),
            name=f"rejected_{name}_has_reason",
            violation_error_message=f"Give the reason for rejecting the {noun}.",
        ),
    ]


class ChangeRequestError(Exception):
    """A change request cannot be submitted, approved, rejected or withdrawn; the message says why."""


class ChangeRequestDecided(ChangeRequestError):
    """The request is no longer waiting: it was approved, rejected or withdrawn meanwhile."""


class ChangeRequestConflict(ChangeRequestError):
    """The record changed after the request was made; approving would overwrite those changes."""

    def __init__(self, message: str, fields: list[str]):
        super().__init__(message)
        self.fields = fields


class ChangeRequest(ReviewedRequest):
    """A field-by-field change to a person's details or an organisation's generic mailbox.

    `changes` maps each changed field to the value it had when the request was made and the
    value asked for: {"job_title": {"old": "...", "new": "..."}}. Unchanged fields are left out.
    Its refusals are ChangeRequestError (ChangeRequestDecided once it is decided).
    """

    owner_field = "requested_by"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="change_requests")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="change_requests")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="change_requests"
    )
    changes = models.JSONField()

    objects = RequestQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, organisation__isnull=True)
                | Q(person__isnull=True, organisation__isnull=False),
                name="change_request_has_one_target",
                violation_error_message="A change request is about one person or one organisation.",
            ),
            *review_constraints("change", "request"),
            # One request per person or organisation waits at a time (a new one replaces it).
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="submitted", person__isnull=False),
                name="one_waiting_change_per_person",
                violation_error_message="A change to this person is already waiting for review.",
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(status="submitted", organisation__isnull=False),
                name="one_waiting_change_per_organisation",
                violation_error_message="A change to this organisation is already waiting for review.",
            ),
        ]

    def __str__(self):
        return f"Change to {self.target}"

    @property
    def target(self):
        return self.person or self.organisation

    @classmethod
    def refusal(cls, message: str, *, code: str) -> ChangeRequestError:
        return ChangeRequestDecided(message) if code == "already_decided" else ChangeRequestError(message)

    def decided_message(self) -> str:
        who = self.reviewed_by.email if self.reviewed_by else "someone"
        when = ""
        if self.reviewed_at:
            local = timezone.localtime(self.reviewed_at)
            when = f"{date_format(local, 'H:i')} on {date_format(local, 'j F Y')}"
        return f"This request was already {self.get_status_display().lower()} by {who} at {when}."


class TeamProposal(ReviewedRequest):
    """The named MSO or MDSO (or the national lead) proposes someone for the organisation's medication
    safety team (a deputy MSO, team member or medicines champion); the national lead decides.
    Approval finds or creates the person by work email and makes the appointment active."""

    owner_field = "proposed_by"
    noun = "proposal"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="team_proposals")
    role = models.CharField(
        max_length=20,
        choices=[(role.value, role.label) for role in Appointment.TEAM_ROLES],
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    work_email = models.EmailField()
    job_title = models.CharField(max_length=200)
    profession = models.CharField(max_length=30, choices=Profession.choices)
    start_date = models.DateField()
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_proposals")
    appointment = models.OneToOneField(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="team_proposal"
    )

    objects = RequestQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["deputy_mso", "team_member", "medicines_champion"]),
                name="team_proposal_team_role",
                violation_error_message="Only a deputy MSO, team member or medicines champion can be proposed.",
            ),
            models.UniqueConstraint(
                "organisation",
                "role",
                Lower("work_email"),
                condition=Q(status="submitted"),
                name="one_waiting_team_proposal_per_person_role",
                violation_error_message="This person has already been proposed for this role.",
            ),
            *review_constraints("team_proposal", "proposal"),
        ]

    def __str__(self):
        return f"{self.full_name}: {self.get_role_display()}, {self.organisation.name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
