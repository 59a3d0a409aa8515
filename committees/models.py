from django.db import models
from simple_history.models import HistoricalRecords

from officers.models import Person, Profession
from organisations.models import Organisation


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
    terms_of_reference = models.FileField(upload_to="committees/terms-of-reference/", blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation__name"]

    def __str__(self):
        return f"{self.name}, {self.organisation.name}"

    @property
    def has_patient_representative(self) -> bool:
        return any(m.is_patient_representative for m in self.members.all())


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
