from django import forms

from .models import Organisation, Region


class DirectorySearchForm(forms.Form):
    """The directory's search and filters; every field is optional."""

    q = forms.CharField(
        label="Organisation name or ODS code",
        required=False,
        max_length=255,
        help_text="For example Royal Free or RAL.",
    )
    region = forms.ModelChoiceField(
        queryset=Region.objects.all(),
        to_field_name="code",
        required=False,
        empty_label="All regions",
    )
    kind = forms.ChoiceField(
        label="Type",
        choices=[("", "All types"), *Organisation.Kind.choices],
        required=False,
    )
    include_closed = forms.BooleanField(
        label="Include closed and not yet open organisations",
        required=False,
    )

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
        if data.get("region"):
            queryset = queryset.filter(region=data["region"])
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        return queryset.search(data.get("q", "")).exact_code_first(data.get("q", ""))
