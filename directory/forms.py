from django import forms
from django.utils import timezone

from compliance.coverage import FILTER_CHOICES, filter_condition, missing
from organisations.models import NO_REGION, Duty, Organisation, Region


class DirectorySearchForm(forms.Form):
    """The directory's search and filters; every field is optional."""

    q = forms.CharField(
        label="Organisation name or ODS code",
        required=False,
        max_length=255,
        help_text="For example Royal Free or RAL.",
    )
    region = forms.ChoiceField(required=False)
    kind = forms.ChoiceField(
        label="Type",
        choices=[("", "All types"), *Organisation.Kind.choices],
        required=False,
    )
    show = forms.ChoiceField(
        label="Expected officers and committee",
        choices=FILTER_CHOICES,
        required=False,
    )
    include_closed = forms.BooleanField(
        label="Include closed and not yet open organisations",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read once, for both checking the value and showing the choices.
        self.fields["region"].choices = [
            ("", "All regions"),
            *Region.objects.order_by("name").values_list("code", "name"),
            (NO_REGION, "No region recorded"),
        ]

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())

    def filter(self, queryset):
        """The organisations matching the valid parts of the search, exact ODS code match first."""
        data = {}
        if self.is_bound:
            self.is_valid()  # an invalid field is left out of cleaned_data and shown as an error
            data = self.cleaned_data
        if not data.get("include_closed"):
            queryset = queryset.open()
        if data.get("region") == NO_REGION:
            queryset = queryset.filter(region__isnull=True)
        elif data.get("region"):
            queryset = queryset.filter(region__code=data["region"])
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        if data.get("show"):
            queryset = queryset.filter(filter_condition(data["show"], timezone.localdate()))
        return queryset.search(data.get("q", "")).exact_code_first(data.get("q", ""))


class MembershipFilterForm(forms.Form):
    """The membership page's search and filters, also applied to its export; every field is optional."""

    q = forms.CharField(label="Organisation name or ODS code", required=False, max_length=255)
    kind = forms.ChoiceField(label="Type", choices=[("", "All types"), *Organisation.Kind.choices], required=False)
    gaps = forms.BooleanField(
        label="Only organisations missing an MSO",
        help_text="Expected to name an MSO, with none of their own and no covering organisation's.",
        required=False,
    )

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())

    def applied(self) -> dict:
        """The valid filters, which `filter` applies (an invalid one is left out and shown as an error)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data

    def filter(self, organisations):
        """The organisations matching the valid filters (an invalid one is left out and shown as an error)."""
        data = self.applied()
        if data.get("q"):
            organisations = organisations.search(data["q"])
        if data.get("kind"):
            organisations = organisations.filter(kind=data["kind"])
        if data.get("gaps"):
            organisations = missing(organisations, Duty.MSO)
        return organisations
