from django.conf import settings
from django.db import models
from django.utils import timezone

from officers.models import Person


class ContactView(models.Model):
    """A signed-in user saw another person's contact details (work email, telephone, professional
    registration number): who, whose, when and on which page. Written by the page, read-only after."""

    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contact_views")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contact_views")
    viewed_at = models.DateTimeField(default=timezone.now, db_index=True)
    path = models.CharField("page", max_length=500)

    class Meta:
        ordering = ["-viewed_at", "-pk"]
        indexes = [models.Index(fields=["person", "viewed_at"])]

    def __str__(self):
        return f"{self.viewer} saw the contact details of {self.person}"


class Anonymisation(models.Model):
    """A person anonymised because they left their last role more than the retention period ago.
    One per person: a person with a record is never anonymised again."""

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="anonymisation")
    anonymised_at = models.DateTimeField(default=timezone.now)
    last_role_ended_on = models.DateField(help_text="When the person's last appointment or network membership ended.")
    retention_years = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-anonymised_at", "-pk"]

    def __str__(self):
        return f"Person {self.person_id} anonymised on {self.anonymised_at:%d %B %Y}"
