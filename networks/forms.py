from django import forms

from organisations.models import Duty, Organisation


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

    def filter(self, organisations):
        """The organisations matching the valid filters (an invalid one is left out and shown as an error)."""
        data = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        if data.get("q"):
            organisations = organisations.search(data["q"])
        if data.get("kind"):
            organisations = organisations.filter(kind=data["kind"])
        if data.get("gaps"):
            organisations = organisations.missing(Duty.MSO)
        return organisations
