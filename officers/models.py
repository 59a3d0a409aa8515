import datetime

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

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


class PersonQuerySet(models.QuerySet):
    def search(self, text: str):
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(Q(first_name__icontains=text) | Q(last_name__icontains=text) | Q(work_email__iexact=text))

    def contact_visible_to(self, user):
        """The people whose contact details (work email, phone, registration number) the user may see.

        The single rule for every page that shows contact details: the person themself, the national
        lead, chairs of a network the person belongs to or whose region covers one of the person's
        organisations, and officers with an active appointment at the same organisation.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_national_lead:
            return self
        from networks.models import Membership, Network

        chaired = Membership.objects.current().chairs().filter(person__user=user).values("network")
        chaired_regions = Network.objects.filter(pk__in=chaired, region__isnull=False).values("region")
        own_organisations = Appointment.objects.current().filter(person__user=user).values("organisation")
        active = Appointment.objects.current()
        return self.filter(
            Q(user=user)
            | Q(pk__in=Membership.objects.current().filter(network__in=chaired).values("person"))
            | Q(pk__in=active.filter(organisation__region__in=chaired_regions).values("person"))
            | Q(pk__in=active.filter(organisation__in=own_organisations).values("person"))
        )

    def contact_visible_ids(self, user, people) -> set[int]:
        """The ids, among `people`, of those whose contact details the user may see (one query)."""
        ids = {person.pk for person in people}
        if not ids:
            return set()
        return set(self.contact_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


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
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(Lower("work_email"), name="person_work_email_unique_ci"),
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("officers:person-detail", args=[self.pk])

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
        return self.alias(role_order=order).order_by("role_order", "person__last_name", "person__first_name")


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
        ordering = ["organisation__name", "role", "start_date"]
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


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", "Waiting for review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class RequestQuerySet(models.QuerySet):
    """Requests to the national lead; `owner_field` names the user who made the request."""

    owner_field = "user"

    def waiting(self):
        return self.filter(status=RequestStatus.SUBMITTED)

    def for_user(self, user):
        """The requests a user may see: their own; every request for the national lead."""
        if not user.is_authenticated:
            return self.none()
        if user.is_national_lead:
            return self
        return self.filter(**{self.owner_field: user})


class ReviewedRequest(models.Model):
    """What every request to the national lead records of its review: its status, when it was
    sent, and who decided it, when and (for a rejection) why."""

    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED)
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)

    class Meta:
        abstract = True


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


class RegistrationRequestQuerySet(RequestQuerySet):
    owner_field = "user"


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

    objects = RegistrationRequestQuerySet.as_manager()
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


class ChangeRequestQuerySet(RequestQuerySet):
    owner_field = "requested_by"


class ChangeRequest(ReviewedRequest):
    """A field-by-field change to a person's details or an organisation's generic mailbox.

    `changes` maps each changed field to the value it had when the request was made and the
    value asked for: {"job_title": {"old": "...", "new": "..."}}. Unchanged fields are left out.
    """

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="change_requests")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="change_requests")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="change_requests"
    )
    changes = models.JSONField()

    objects = ChangeRequestQuerySet.as_manager()
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


class TeamProposalQuerySet(RequestQuerySet):
    owner_field = "proposed_by"


class TeamProposal(ReviewedRequest):
    """The named MSO or MDSO (or the national lead) proposes someone for the organisation's medication
    safety team (a deputy MSO, team member or medicines champion); the national lead decides.
    Approval finds or creates the person by work email and makes the appointment active."""

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

    objects = TeamProposalQuerySet.as_manager()
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
