"""The base classes every registry admin uses.

The admin is the national lead's tool for the whole registry. A national lead
(`User.is_national_lead`, with staff access) may view, add, change and delete every
record shown through `NationalLeadAdmin` and `NationalLeadInline`, whatever Django
permissions their account holds; other staff need permissions as usual. Every admin
keeps django-simple-history's history view, so each change shows who made it and when.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseNotAllowed
from simple_history.admin import SimpleHistoryAdmin

from .history import CHANGE_REASON_MAX_LENGTH
from .text import mid_sentence
from .validators import UKPhoneField, validate_uk_phone


def is_active_national_lead(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and user.is_national_lead


class NationalLeadPermissionsMixin:
    """Grants the national lead every admin permission; leaves other users' permissions as they are."""

    def has_module_permission(self, request):
        return is_active_national_lead(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_active_national_lead(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args, **kwargs):
        return is_active_national_lead(request) or super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request, obj=None):
        return is_active_national_lead(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_active_national_lead(request) or super().has_delete_permission(request, obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """A telephone number the model checks with validate_uk_phone (a person's, a key contact's)
        is checked and stored in the national format as on the portal's forms; an organisation's
        switchboard number comes from ODS as published, and is not."""
        if validate_uk_phone in db_field.validators:
            kwargs["form_class"] = UKPhoneField
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def admin_change_reason(action: str, form=None) -> str:
    """Why a record changed, for its history: "Added in the admin", or "Changed in the admin:" and
    the fields changed."""
    reason = f"{action} in the admin"
    changed = [form.fields[name].label or name for name in form.changed_data] if form is not None else []
    if changed:
        reason += ": " + ", ".join(mid_sentence(label) for label in changed)
    return reason if len(reason) <= CHANGE_REASON_MAX_LENGTH else reason[: CHANGE_REASON_MAX_LENGTH - 1] + "…"


class HistoryAdminMixin:
    """Every save and delete made in the admin (inline rows included) keeps a history row with who
    (simple-history's middleware) and why (what was changed in the admin). The history of a record
    can be read but never edited or reverted: the past version's page refuses a POST."""

    def save_model(self, request, obj, form, change):
        obj._change_reason = admin_change_reason("Changed" if change else "Added", form)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        obj._change_reason = admin_change_reason("Deleted")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if inline_form.instance is not None and inline_form.has_changed():
                action = "Changed" if inline_form.instance.pk else "Added"
                inline_form.instance._change_reason = admin_change_reason(action, inline_form)
        for inline_form in getattr(formset, "deleted_forms", []):
            if inline_form.instance.pk:
                inline_form.instance._change_reason = admin_change_reason("Deleted")
        super().save_formset(request, form, formset, change)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return super().history_form_view(request, object_id, version_id, extra_context)


class NationalLeadAdmin(NationalLeadPermissionsMixin, HistoryAdminMixin, SimpleHistoryAdmin):
    """A registry model's admin: open to the national lead, with a read-only history view."""


class ConstraintCheckingInlineFormSet(BaseInlineFormSet):
    """Checks the database constraints that involve the parent (such as one current membership per
    person and network), which Django leaves out on inline rows, so a row that breaks one shows the
    constraint's message instead of failing on save."""

    def clean(self):
        super().clean()
        for form in self.forms:
            if not form.is_valid() or not form.has_changed() or self._should_delete_form(form):
                continue
            not_on_form = {f.name for f in form.instance._meta.fields if f.name not in form.fields}
            try:
                form.instance.validate_constraints(exclude=not_on_form - {self.fk.name})
            except ValidationError as error:
                form.add_error(None, error.messages)


class NationalLeadInline(NationalLeadPermissionsMixin, admin.TabularInline):
    """A registry model edited on its parent's page, open to the national lead."""

    formset = ConstraintCheckingInlineFormSet
    extra = 0
    show_change_link = True
