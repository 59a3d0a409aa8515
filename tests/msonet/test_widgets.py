"""Form widgets render through the project's template engine (FORM_RENDERER): its select.html writes the
options in one loop, with exactly the markup of Django's own widget templates."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test.signals import template_rendered

CHOICES = [
    ("", "All regions"),
    ("Y61", "East of England"),
    ("North", [("Y62", "North West"), ("Y63", "North East & Yorkshire")]),
    (3, "A number"),
]

SELECT = forms.Select(choices=CHOICES, attrs={"class": "nhsuk-select", "aria-describedby": "id_region-hint"})
CASES = [
    (SELECT, ""),
    (SELECT, "Y62"),
    (SELECT, 3),
    (SELECT, None),
    (forms.SelectMultiple(choices=CHOICES, attrs={"class": "nhsuk-select"}), ["Y61", "Y63"]),
    (forms.NullBooleanSelect(), True),
    (forms.NullBooleanSelect(), None),
]


def rendered_templates(render) -> list[str]:
    names = []

    def receiver(sender, template, **kwargs):
        names.append(template.name)

    template_rendered.connect(receiver)
    try:
        render()
    finally:
        template_rendered.disconnect(receiver)
    return names


@pytest.mark.parametrize(("widget", "value"), CASES)
def test_a_select_has_the_markup_of_djangos_own_widget_templates(widget, value):
    djangos = widget.render("region", value, renderer=DjangoTemplates())
    assert widget.render("region", value) == djangos


def test_a_select_renders_its_options_without_a_template_each():
    names = rendered_templates(lambda: SELECT.render("region", "Y62"))
    assert names == ["django/forms/widgets/select.html", "django/forms/widgets/attrs.html"]
