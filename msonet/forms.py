"""Form fields and choices the forms of every app share."""

import datetime

from django import forms

from .text import mid_sentence

YES_NO = [("yes", "Yes"), ("no", "No")]

# No date a form asks for (a start date, a committee meeting, a cover) is earlier than this.
EARLIEST_DATE = datetime.date(1990, 1, 1)


class DateInputWidget(forms.MultiWidget):
    """The NHS.UK date input: day, month and year boxes, posted as <name>_day, _month and _year.

    Rendered by a template from its subwidgets (includes/date_input.html), never by
    Django's widget templates.
    """

    def __init__(self, attrs=None):
        numeric = {"inputmode": "numeric"}
        widgets = {
            "day": forms.TextInput(attrs=numeric),
            "month": forms.TextInput(attrs=numeric),
            "year": forms.TextInput(attrs=numeric),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def id_for_label(self, id_):
        # The error summary links to the day box.
        return f"{id_}_0" if id_ else ""


class DateInputField(forms.MultiValueField):
    """A date entered as day, month and year, with the NHS.UK error messages.

    `name` is how the messages refer to the date, for example "The date you started".
    """

    widget = DateInputWidget

    def __init__(self, *, name: str, **kwargs):
        self.name = name
        kwargs.setdefault("error_messages", {"required": f"Enter {mid_sentence(name)}"})
        parts = (forms.CharField(required=False), forms.CharField(required=False), forms.CharField(required=False))
        super().__init__(parts, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list or not any(data_list):
            return None
        day, month, year = (part.strip() for part in data_list)
        for part, value in (("day", day), ("month", month), ("year", year)):
            if not value:
                raise forms.ValidationError(f"{self.name} must include a {part}", code="incomplete")
        if not (day.isdigit() and month.isdigit() and year.isdigit()):
            raise forms.ValidationError(f"{self.name} must be a real date", code="invalid")
        if len(year) != 4:
            raise forms.ValidationError(f"The year of {mid_sentence(self.name)} must have 4 numbers")
        try:
            return datetime.date(int(year), int(month), int(day))
        except (ValueError, OverflowError):  # OverflowError: a day or month of many digits
            raise forms.ValidationError(f"{self.name} must be a real date", code="invalid") from None
