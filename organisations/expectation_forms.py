"""Forms for the national lead's settings of who must name an officer and who covers whom.

They read and tidy what was typed; the rules are organisations.expectations', which the views call.
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.utils import timezone

from msonet.forms import EARLIEST_DATE, DateInputField
from msonet.text import mid_sentence

from .expectations import EXPECTATION_FIELDS, REASON_MAX_LENGTH, THRESHOLD_FIELD, THRESHOLD_MAX
from .models import Cover, CoverRole, Duty, Organisation, TypeExpectation

Kind = Organisation.Kind
# How far ahead a cover may be set to start or end.
COVER_MAX_AHEAD = datetime.timedelta(days=5 * 365)
EXPECTATION_HEADINGS = {"expects_mso": "Named MSO", "expects_mdso": "Named MDSO", "expects_mailbox": "Generic mailbox"}
EXPECTATION_LABELS = {
    "expects_mso": "a named MSO",
    "expects_mdso": "a named MDSO",
    "expects_mailbox": "a generic MSO mailbox",
}


def reason_field(label: str = "Reason for the change", help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text or "Kept in the history with your name and the time.",
        error_messages={
            "required": "Give the reason for the change",
            "max_length": f"The reason must be {REASON_MAX_LENGTH} characters or fewer",
        },
    )


def _clean_text(value: str) -> str:
    return " ".join((value or "").split())


def _check_date(value: datetime.date | None, name: str) -> datetime.date | None:
    if value is None:
        return None
    latest = timezone.localdate() + COVER_MAX_AHEAD
    if value < EARLIEST_DATE:
        raise forms.ValidationError(f"{name} must be after {EARLIEST_DATE:%-d %B %Y}")
    if value > latest:
        raise forms.ValidationError(f"{name} must be no later than {latest:%-d %B %Y}")
    return value


@dataclass
class TypeRow:
    """One type's line of the form: its expectation, its three boxes (each with its column's heading)
    and, for pharmacy companies, the threshold."""

    expectation: TypeExpectation
    boxes: list[tuple[str, forms.BoundField]]
    threshold: forms.BoundField | None


class TypeExpectationsForm(forms.Form):
    """For each type of organisation, whether it is expected to name an MSO and an MDSO and to have a
    generic mailbox, and the pharmacy companies' threshold; one reason for the whole change. A
    community pharmacy has no boxes: its company answers for it."""

    def __init__(self, *args, expectations: list[TypeExpectation], **kwargs):
        super().__init__(*args, **kwargs)
        order = {kind: index for index, kind in enumerate(Kind.values)}
        self.expectations = sorted(expectations, key=lambda row: order.get(row.kind, len(order)))
        for row in self.expectations:
            if row.kind == Kind.PHARMACY:
                continue
            label = row.get_kind_display()
            for name in EXPECTATION_FIELDS:
                self.fields[f"{row.kind}-{name}"] = forms.BooleanField(
                    label=f"{label}: expected to have {EXPECTATION_LABELS[name]}",
                    required=False,
                    initial=getattr(row, name),
                )
            if row.kind == Kind.PHARMACY_COMPANY:
                self.fields[f"{row.kind}-{THRESHOLD_FIELD}"] = forms.IntegerField(
                    label="Open pharmacies in England above which a company names its own officers",
                    min_value=0,
                    max_value=THRESHOLD_MAX,
                    initial=row.own_officer_threshold,
                    error_messages={
                        "required": "Enter the threshold of pharmacies",
                        "invalid": "Enter the threshold as a whole number of pharmacies, like 50",
                        "min_value": "The threshold of pharmacies cannot be below 0",
                        "max_value": f"The threshold must be {THRESHOLD_MAX:,} pharmacies or fewer",
                    },
                )
        self.fields["reason"] = reason_field()

    def rows(self) -> list[TypeRow]:
        made = []
        for row in self.expectations:
            if row.kind == Kind.PHARMACY:
                made.append(TypeRow(row, [], None))
                continue
            threshold = self[f"{row.kind}-{THRESHOLD_FIELD}"] if row.kind == Kind.PHARMACY_COMPANY else None
            boxes = [(EXPECTATION_HEADINGS[name], self[f"{row.kind}-{name}"]) for name in EXPECTATION_FIELDS]
            made.append(TypeRow(row, boxes, threshold))
        return made

    def headings(self) -> list[str]:
        return [EXPECTATION_HEADINGS[name] for name in EXPECTATION_FIELDS]

    def threshold(self) -> forms.BoundField | None:
        name = f"{Kind.PHARMACY_COMPANY.value}-{THRESHOLD_FIELD}"
        return self[name] if name in self.fields else None

    def changes(self) -> dict[str, dict]:
        """The values for type_expectations_set: every type's, as the page shows them all."""
        changes = {}
        for row in self.expectations:
            if row.kind == Kind.PHARMACY:
                continue
            values = {name: self.cleaned_data[f"{row.kind}-{name}"] for name in EXPECTATION_FIELDS}
            if row.kind == Kind.PHARMACY_COMPANY:
                values[THRESHOLD_FIELD] = self.cleaned_data[f"{row.kind}-{THRESHOLD_FIELD}"]
            changes[row.kind] = values
        return changes

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])


AS_TYPE, EXPECTED, NOT_EXPECTED = "type", "expected", "not_expected"
CHOICE_VALUES = {AS_TYPE: None, EXPECTED: True, NOT_EXPECTED: False}


class ExpectationOverrideForm(forms.Form):
    """One duty of one organisation: as its type says, or an exception either way, with the reason.
    Each duty's form has the duty as its prefix; the page posts the duty beside it."""

    choice = forms.ChoiceField(widget=forms.RadioSelect, error_messages={"required": "Choose what is expected"})

    def __init__(self, *args, duty: str, current: bool | None, by_type: bool, **kwargs):
        super().__init__(*args, prefix=duty, **kwargs)
        self.duty = duty
        label = Duty(duty).label
        self.fields["choice"].label = f"Is it expected to have a {mid_sentence(label)}?"
        self.fields["choice"].choices = [
            (AS_TYPE, f"As its type ({'expected' if by_type else 'not expected'})"),
            (EXPECTED, "Expected"),
            (NOT_EXPECTED, "Not expected"),
        ]
        self.fields["choice"].initial = {None: AS_TYPE, True: EXPECTED, False: NOT_EXPECTED}[current]
        self.fields["reason"] = reason_field(
            "Reason for the change",
            "Kept with the exception and in the history. For example, why this hospice names an MSO.",
        )

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])

    def expected(self) -> bool | None:
        return CHOICE_VALUES[self.cleaned_data["choice"]]


class OdsCodeField(forms.CharField):
    """An ODS code as typed, tidied: capitals, no spaces."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 12)
        super().__init__(**kwargs)

    def to_python(self, value):
        return "".join((super().to_python(value) or "").split()).upper()


def _organisation(code: str) -> Organisation:
    organisation = Organisation.objects.filter(ods_code=code).first()
    if organisation is None:
        raise forms.ValidationError(f"No organisation has the ODS code {code}")
    return organisation


COVERS_ONE = "organisation"
COVERS_RULE = "rule"


class CoverAddForm(forms.Form):
    """A covering arrangement: who covers, whom (one organisation, or every small pharmacy company),
    for which officer, from and to when, and why."""

    covering = OdsCodeField(
        label="ODS code of the covering organisation",
        help_text="The organisation whose named officer covers, for example a covering body such as the NPA.",
        error_messages={"required": "Enter the ODS code of the covering organisation"},
    )
    covers = forms.ChoiceField(
        label="Who does it cover?",
        widget=forms.RadioSelect,
        choices=[(COVERS_ONE, "One organisation"), (COVERS_RULE, Cover.Rule.SMALL_PHARMACY_COMPANIES.label)],
        error_messages={"required": "Choose whether it covers one organisation or every small pharmacy company"},
    )
    organisation = OdsCodeField(label="ODS code of the covered organisation", required=False)
    role = forms.ChoiceField(
        label="Which officer covers?",
        widget=forms.RadioSelect,
        choices=CoverRole.choices,
        error_messages={"required": "Choose the MSO or the MDSO"},
    )
    starts_on = DateInputField(name="The date the cover starts", label="From", help_text="For example, 1 4 2026")
    ends_on = DateInputField(
        name="The date the cover ends",
        label="To (optional)",
        required=False,
        help_text="The last day of cover. Leave it empty for cover with no end date.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"] = reason_field(
            "Reason for the cover", "Kept with the cover and in the history. For example, the agreement it follows."
        )

    def clean_covering(self):
        return _organisation(self.cleaned_data["covering"])

    def clean_starts_on(self):
        return _check_date(self.cleaned_data["starts_on"], "The date the cover starts")

    def clean_ends_on(self):
        return _check_date(self.cleaned_data["ends_on"], "The date the cover ends")

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])

    def clean(self):
        cleaned = super().clean()
        # The covered organisation's code counts only when one organisation is covered (a browser
        # sends the hidden box's text too).
        code = cleaned.get("organisation") or ""
        cleaned["organisation"] = None
        if cleaned.get("covers") == COVERS_ONE and "organisation" not in self.errors:
            if not code:
                self.add_error("organisation", "Enter the ODS code of the covered organisation")
            else:
                try:
                    cleaned["organisation"] = _organisation(code)
                except forms.ValidationError as error:
                    self.add_error("organisation", error)
        return cleaned

    def values(self) -> dict:
        """The keyword arguments for cover_add (its user aside)."""
        data = self.cleaned_data
        one = data["covers"] == COVERS_ONE
        return {
            "covering": data["covering"],
            "organisation": data["organisation"] if one else None,
            "rule": "" if one else Cover.Rule.SMALL_PHARMACY_COMPANIES,
            "role": data["role"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "reason": data["reason"],
        }


class CoverEndForm(forms.Form):
    """The last day of a cover, and why it ends. Each cover's form has a prefix of its own."""

    ends_on = DateInputField(
        name="The date the cover ends", label="Last day of cover", help_text="For example, 31 3 2027"
    )

    def __init__(self, *args, cover: Cover, **kwargs):
        super().__init__(*args, prefix=f"end-{cover.pk}", **kwargs)
        self.cover = cover
        self.fields["reason"] = reason_field("Reason it ends")

    def clean_ends_on(self):
        return _check_date(self.cleaned_data["ends_on"], "The date the cover ends")

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])
