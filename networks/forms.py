from django import forms

from organisations.models import Organisation


class MembershipFilterForm(forms.Form):
    """The membership page's search and filters, also applied to its export; every field is optional."""

    q = forms.CharField(label="Organisation name or ODS code", required=False, max_length=255)
    kind = forms.ChoiceField(label="Type", choices=[("", "All types"), *Organisation.Kind.choices], required=False)
    gaps = forms.BooleanField(label="Only organisations with no named MSO", required=False)

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
            organisations = organisations.filter(has_mso=False)
        return organisations
