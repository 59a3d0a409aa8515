"""The closure page's forms: the successor, who stays named where both organisations have one, and
the reason for ending the appointments (compliance.closures does the work)."""

from django import forms

from organisations.models import Organisation

from .closures import KEEP_CURRENT, KEEP_INCOMING, Clash

REASON_MAX_LENGTH = 500


def reason_field(*, label: str, required: bool, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=REASON_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=help_text,
        error_messages={"required": "Enter the reason"},
    )


class SuccessorForm(forms.Form):
    """The successor by its ODS code, and why (kept in the organisation's history)."""

    successor = forms.CharField(
        label="The successor's ODS code",
        max_length=9,
        help_text="The organisation that took over, for example RAL.",
        error_messages={"required": "Enter the successor's ODS code"},
    )
    reason = reason_field(
        label="Reason",
        required=True,
        help_text="For example, the merger it follows. It is kept in the organisation's history.",
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        kwargs.setdefault("prefix", "successor")
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["successor"].widget.attrs.update({"spellcheck": "false", "autocapitalize": "characters"})

    def clean_successor(self) -> Organisation:
        code = self.cleaned_data["successor"].strip().upper()
        successor = Organisation.objects.filter(ods_code=code).first()
        if successor is None:
            raise forms.ValidationError(f"No organisation has the ODS code {code}")
        if successor.pk == self.organisation.pk:
            raise forms.ValidationError("Enter another organisation's ODS code: an organisation cannot succeed itself")
        return successor


class MoveForm(forms.Form):
    """For each named role held at both organisations, who stays named at the successor."""

    reason = reason_field(
        label="Reason (optional)",
        required=False,
        help_text="It is kept in the history of each appointment moved.",
    )

    def __init__(
        self, *args, clashes: list[Clash], organisation: Organisation, successor: Organisation | None, **kwargs
    ):
        kwargs.setdefault("prefix", "move")
        super().__init__(*args, **kwargs)
        self.clashes = clashes
        ends = f"on {organisation.closed_on:%-d %B %Y}" if organisation.closed_on else "on the close date"
        for clash in clashes:
            incoming, current = clash.incoming.person, clash.current.person
            role = clash.role_label.lower()
            self.fields[f"keep_{clash.role}"] = forms.ChoiceField(
                label=f"Who is the named {role} at {successor.name}?",
                widget=forms.RadioSelect,
                choices=[
                    (KEEP_INCOMING, f"{incoming.full_name}, {role} of {organisation.name}"),
                    (KEEP_CURRENT, f"{current.full_name}, {role} of {successor.name} now"),
                ],
                help_text=(
                    f"Both organisations name one. If {incoming.full_name} stays, a handover from "
                    f"{current.full_name} to them is opened, and {current.full_name} stays named until it is "
                    f"complete. If {current.full_name} stays, {incoming.full_name}'s appointment ends {ends} and a "
                    f"handover from them to {current.full_name} is opened."
                ),
                error_messages={"required": f"Choose who is the named {role} at {successor.name}"},
            )
        self.order_fields([f"keep_{clash.role}" for clash in clashes] + ["reason"])

    def keep(self) -> dict[str, str]:
        return {clash.role: self.cleaned_data[f"keep_{clash.role}"] for clash in self.clashes}


class EndForm(forms.Form):
    reason = reason_field(
        label="Reason",
        required=True,
        help_text="For example, no organisation took over its work. It is kept in each appointment's history.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "end")
        super().__init__(*args, **kwargs)
