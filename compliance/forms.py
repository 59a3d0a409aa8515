import datetime

from django import forms
from django.utils import timezone

from access import scopes
from organisations.models import NO_REGION, Organisation

from .models import Flag


class FlagFilterForm(forms.Form):
    """The flag board's filters; every field is optional. Without a status, the open flags
    (acknowledged or not) are shown. The regions offered are those the user's flags can be in
    (`scopes.regions_in_scope`), with "No region recorded" for the national lead."""

    STATUS_CHOICES = [
        ("", "Open, acknowledged or not"),
        ("open", "Open, not acknowledged"),
        ("acknowledged", "Acknowledged, still open"),
        ("resolved", "Resolved"),
        ("all", "All"),
    ]
    AGE_CHOICES = [
        ("", "Any age"),
        ("30", "More than 30 days"),
        ("90", "More than 90 days"),
        ("365", "More than a year"),
    ]

    q = forms.CharField(label="Organisation name or ODS code", required=False, max_length=255)
    kind = forms.ChoiceField(label="Flag", choices=[("", "All flags"), *Flag.Kind.choices], required=False)
    region = forms.ChoiceField(required=False)
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    age = forms.ChoiceField(label="Opened", choices=AGE_CHOICES, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Read once, for both checking the value and showing the choices.
        choices = [("", "All regions"), *scopes.regions_in_scope(user).order_by("name").values_list("code", "name")]
        if user.is_national_lead:
            choices.append((NO_REGION, "No region recorded"))
        self.fields["region"].choices = choices

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())

    def filter(self, flags):
        """The flags matching the valid filters (an invalid one is left out and shown as an error)."""
        data = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        flags = {
            "open": flags.unacknowledged,
            "acknowledged": flags.acknowledged,
            "resolved": flags.resolved,
            "all": flags.all,
        }.get(data.get("status"), flags.open)()
        if data.get("kind"):
            flags = flags.filter(kind=data["kind"])
        if data.get("region") == NO_REGION:
            flags = flags.filter(organisation__region__isnull=True)
        elif data.get("region"):
            flags = flags.filter(organisation__region__code=data["region"])
        if data.get("age"):
            flags = flags.opened_before(timezone.now() - datetime.timedelta(days=int(data["age"])))
        if data.get("q"):
            flags = flags.filter(organisation__in=Organisation.objects.search(data["q"]).order_by().values("pk"))
        return flags


class FlagAcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="What is being done about it, for example who you have contacted.",
        error_messages={"required": "Enter a note saying what is being done about the flag"},
    )

    def clean_note(self):
        return self.cleaned_data["note"].strip()
