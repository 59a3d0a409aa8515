from django import forms

from msonet.forms import DateInputField
from officers.models import Appointment
from organisations.models import Region

from .models import ITEM_DETAILS, Item

DATE_FIELDS = {
    Item.MHRA_REGISTRATION: ("The date you registered", "When did you register with the MHRA?"),
    Item.NATIONAL_WORKSPACE: ("The date you joined", "When did you join the national MSO workspace?"),
    Item.PATIENT_SAFETY_WORKSPACE: ("The date you joined", "When did you join the patient safety workspace?"),
    Item.MSIP_WORKSPACE: ("The date you joined", "When did you join the programme's workspace?"),
    Item.NATIONAL_WEBINAR: ("The date of the webinar", "When did you attend a national webinar?"),
}


class ItemDoneForm(forms.Form):
    """Mark an item done, with what it records (ITEM_DETAILS): only those fields are shown and read."""

    date = DateInputField(name="The date", label="Date", help_text="For example, 15 3 2026")
    reference = forms.CharField(
        label="MHRA registration reference",
        max_length=50,
        help_text="The reference the MHRA gave you when you registered.",
        error_messages={"required": "Enter the MHRA registration reference"},
    )
    system_lead = forms.CharField(
        label="Name of the system's lead",
        max_length=150,
        help_text="The person who manages the incident reporting system at your organisation.",
        error_messages={"required": "Enter the name of the system's lead"},
    )

    def __init__(self, *args, item: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        for name in list(self.fields):
            if name not in ITEM_DETAILS.get(item, ()):
                del self.fields[name]
        if "date" in self.fields:
            name, label = DATE_FIELDS[item]
            self.fields["date"] = DateInputField(name=name, label=label, help_text="For example, 15 3 2026")

    def clean_reference(self):
        return " ".join(self.cleaned_data["reference"].split())

    def clean_system_lead(self):
        return " ".join(self.cleaned_data["system_lead"].split())


class ApplicabilityForm(forms.Form):
    """For each role, the items that do not apply to it."""

    def __init__(self, *args, not_applicable: dict[str, set[str]], **kwargs):
        super().__init__(*args, **kwargs)
        for role in Appointment.Role:
            self.fields[role.value] = forms.MultipleChoiceField(
                label=f"Items that do not apply to a {role.label.lower()}",
                choices=Item.choices,
                widget=forms.CheckboxSelectMultiple,
                required=False,
                initial=sorted(not_applicable.get(role.value, set())),
                help_text="Ticked items are not shown to, nor counted for, anyone in this role.",
            )

    def not_applicable(self) -> dict[str, set[str]]:
        return {role: set(self.cleaned_data[role]) for role in Appointment.Role.values}


class ProgressFilterForm(forms.Form):
    """The progress list's filters; every field is optional."""

    region = forms.ModelChoiceField(
        queryset=Region.objects.all(), to_field_name="code", required=False, empty_label="All regions"
    )
    role = forms.ChoiceField(choices=[("", "All roles"), *Appointment.Role.choices], required=False)

    def filter(self, checklists):
        data = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        if data.get("region"):
            checklists = checklists.filter(organisation__region=data["region"])
        if data.get("role"):
            checklists = checklists.filter(role=data["role"])
        return checklists
