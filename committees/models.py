import secrets

from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.urls import reverse
from simple_history.models import HistoricalRecords

from access import scopes
from officers.models import Person, Profession
from organisations.models import Organisation

from . import uploads
from .storage import private_storage


def terms_of_reference_path(instance, filename: str) -> str:
    """A random name, keeping only the extension (chosen from the file's content by the service)."""
    extension = next((ext for ext in uploads.EXTENSIONS.values() if filename.lower().endswith(ext)), "")
    return f"terms-of-reference/{secrets.token_hex(16)}{extension}"


class CommitteeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The committees of the organisations whose profile the user may see
        (`access.scopes.organisations_with_profile`)."""
        return self.filter(organisation__in=scopes.organisations_with_profile(user).values("pk"))

    def counts(self) -> dict:
        """How many committees, and how many with patient representation, terms of reference, both: one query."""
        has_tor = ~Q(terms_of_reference="")
        return self.order_by().aggregate(
            total=Count("pk"),
            with_patient_representation=Count("pk", filter=Q(has_patient_representation=True)),
            with_terms_of_reference=Count("pk", filter=has_tor),
            with_both=Count("pk", filter=Q(has_patient_representation=True) & has_tor),
        )


class Committee(models.Model):
    """An organisation's medication safety committee, or its equivalent."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        BIMONTHLY = "bimonthly", "Every two months"
        QUARTERLY = "quarterly", "Quarterly"
        OTHER = "other", "Other"

    class ReportsTo(models.TextChoices):
        BOARD = "board", "Board"
        SUB_COMMITTEE = "sub_committee", "A board sub-committee"

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="committee")
    name = models.CharField(max_length=200, default="Medication safety committee")
    chair_name = models.CharField(max_length=150, blank=True)
    meeting_frequency = models.CharField(max_length=20, choices=Frequency.choices, blank=True)
    last_met_on = models.DateField(null=True, blank=True)
    reports_to = models.CharField(max_length=20, choices=ReportsTo.choices, blank=True)
    reports_to_detail = models.CharField(
        max_length=200, blank=True, help_text="The name of the sub-committee it reports to, if not the board."
    )
    has_patient_representation = models.BooleanField("patient or lived-experience representation", default=False)
    patient_representation_detail = models.TextField(
        "how patients or people with lived experience are represented",
        blank=True,
        help_text="For example a patient safety partner who is a member, or a patient panel the committee consults.",
    )
    terms_of_reference = models.FileField(
        storage=private_storage, upload_to=terms_of_reference_path, max_length=200, blank=True
    )
    terms_of_reference_type = models.CharField(
        "type of the terms of reference",
        max_length=100,
        blank=True,
        choices=[(content_type, label) for content_type, label in uploads.LABELS.items()],
        help_text="Read from the file's content when it was uploaded.",
    )
    terms_of_reference_uploaded_at = models.DateTimeField(null=True, blank=True)

    objects = CommitteeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = [Lower("organisation__name"), "organisation__ods_code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(has_patient_representation=True) & ~Q(patient_representation_detail=""))
                | Q(has_patient_representation=False, patient_representation_detail=""),
                name="committee_patient_representation_described",
                violation_error_message="Say how patients or people with lived experience are represented.",
            ),
            models.CheckConstraint(
                condition=Q(terms_of_reference="", terms_of_reference_type="", terms_of_reference_uploaded_at=None)
                | (
                    ~Q(terms_of_reference="")
                    & Q(terms_of_reference_type__in=list(uploads.EXTENSIONS))
                    & Q(terms_of_reference_uploaded_at__isnull=False)
                ),
                name="committee_terms_of_reference_has_type",
                violation_error_message="A terms of reference file needs its checked type and upload time.",
            ),
        ]

    def __str__(self):
        return f"{self.name}, {self.organisation.name}"

    def get_absolute_url(self):
        return reverse("committees:detail", args=[self.organisation.ods_code])

    @property
    def has_terms_of_reference(self) -> bool:
        return bool(self.terms_of_reference)

    @property
    def terms_of_reference_extension(self) -> str:
        return uploads.EXTENSIONS.get(self.terms_of_reference_type, "")


class CommitteeMember(models.Model):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="committee_memberships"
    )
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=150, blank=True)
    profession = models.CharField(max_length=30, choices=Profession.choices, blank=True)
    is_patient_representative = models.BooleanField("patient or lived-experience representative", default=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
