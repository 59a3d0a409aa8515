"""Template filters that render Django form fields and pages with the NHS.UK frontend markup.

Presentation only: they pick CSS classes and ARIA attributes, never decide what a user may see.
"""

from django import forms, template

from msonet.text import mid_sentence

register = template.Library()

_WIDGET_CLASSES = {
    "input": ("nhsuk-input", "nhsuk-input--error"),
    "password": ("nhsuk-input nhsuk-password-input__input nhsuk-js-password-input-input", "nhsuk-input--error"),
    "select": ("nhsuk-select", "nhsuk-select--error"),
    "textarea": ("nhsuk-textarea", "nhsuk-textarea--error"),
    "checkbox": ("nhsuk-checkboxes__input", ""),
    "file": ("nhsuk-file-upload", "nhsuk-file-upload--error"),
}


@register.filter
def field_kind(bound_field) -> str:
    """How the NHS.UK frontend lays a field out: input, password, select, textarea, checkbox,
    checkboxes, radios, file or hidden."""
    widget = bound_field.field.widget
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxSelectMultiple):  # a subclass of RadioSelect: test it first
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.PasswordInput):
        return "password"
    if isinstance(widget, forms.FileInput):
        return "file"
    return "input"


@register.filter
def nhsuk_widget(bound_field):
    """The field's widget with the NHS.UK classes, its hint and error message described, and no
    placeholder (the label and hint carry the guidance)."""
    kind = field_kind(bound_field)
    classes, error_class = _WIDGET_CLASSES.get(kind, ("", ""))
    if bound_field.errors and error_class:
        classes = f"{classes} {error_class}"
    described_by = []
    if bound_field.help_text:
        described_by.append(f"{bound_field.auto_id}-hint")
    if bound_field.errors:
        described_by.append(f"{bound_field.auto_id}-error")
    attrs = {"class": classes, "placeholder": False}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    if kind == "password":
        attrs.update({"spellcheck": "false", "autocapitalize": "none"})
    return bound_field.as_widget(attrs=attrs)


@register.filter
def elided_pages(page_obj):
    """Page numbers around the current page, with None where pages are left out."""
    paginator = page_obj.paginator
    ellipsis = paginator.ELLIPSIS
    return [
        None if number == ellipsis else number
        for number in paginator.get_elided_page_range(page_obj.number, on_each_side=1, on_ends=1)
    ]


@register.filter
def field_anchor(bound_field) -> str:
    """The id an error summary links to: the field's input, or the first option of a group."""
    if field_kind(bound_field) in ("radios", "checkboxes"):
        subwidgets = bound_field.subwidgets
        if subwidgets:
            return subwidgets[0].id_for_label
    return bound_field.id_for_label or bound_field.auto_id


@register.filter(name="mid_sentence")
def mid_sentence_filter(label) -> str:
    """`msonet.text.mid_sentence`: a label inside a sentence or a visually hidden link text, with its
    acronyms kept in capitals (use it instead of `lower` on a label)."""
    return mid_sentence(label)
