"""The NHS.UK frontend layout chosen for each kind of form field."""

import pytest
from django import forms

from msonet.templatetags.nhsuk import field_kind


class Everything(forms.Form):
    choose_one = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
    choose_many = forms.MultipleChoiceField(choices=[("a", "A")], widget=forms.CheckboxSelectMultiple)
    agree = forms.BooleanField()
    pick = forms.ChoiceField(choices=[("a", "A")])
    notes = forms.CharField(widget=forms.Textarea)
    secret = forms.CharField(widget=forms.PasswordInput)
    upload = forms.FileField()
    name = forms.CharField()
    token = forms.CharField(widget=forms.HiddenInput)


@pytest.mark.parametrize(
    ("field", "kind"),
    [
        ("choose_one", "radios"),
        ("choose_many", "checkboxes"),
        ("agree", "checkbox"),
        ("pick", "select"),
        ("notes", "textarea"),
        ("secret", "password"),
        ("upload", "file"),
        ("name", "input"),
        ("token", "hidden"),
    ],
)
def test_each_widget_gets_its_nhsuk_layout(field, kind):
    assert field_kind(Everything()[field]) == kind
