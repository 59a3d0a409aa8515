from django.conf import settings
from django.db import models
from django.utils import timezone

from officers.models import Person


class ContactView(models.Model):
    """A signed-in user, or a partner system through the API with its key, saw another person's
    contact details (work email, telephone, professional registration number): who (the user, or
    the key's prefix), whose, when and on which page or API address. Written by the page or the API
    response, read-only after."""

    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="contact_views"
    )
    api_key = models.CharField(
        "API key",
        max_length=16,
        blank=True,
        default="",
        db_default="",
        db_index=True,
        help_text="The prefix of the partner's API key that read them through the API (empty for a signed-in user).",
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contact_views")
    viewed_at = models.DateTimeField(default=timezone.now, db_index=True)
    path = models.CharField("page", max_length=500)

    class Meta:
        ordering = ["-viewed_at", "-pk"]
        indexes = [models.Index(fields=["person", "viewed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(viewer__isnull=False) & models.Q(api_key=""))
                | (models.Q(viewer__isnull=True) & ~models.Q(api_key="")),
                name="contact_view_by_a_user_or_an_api_key",
                violation_error_message="A contact view is by a signed-in user or by an API key, one of the two.",
            ),
        ]

    def __str__(self):
        return f"{self.viewer_label} saw the contact details of {self.person}"

    @property
    def viewer_label(self) -> str:
        """Who saw them: the user, or "API key <prefix>"."""
        return str(self.viewer) if self.viewer_id else f"API key {self.api_key}"


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
