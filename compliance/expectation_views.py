"""One organisation's duties for the national lead: its coverage (named, covered, missing) and
its exceptions to what its type expects, with the reason. Everyone else gets 404.

The view fetches the organisation with its coverage (compliance.coverage), validates the posted
duty's form, calls organisations.expectations (which holds the rules) and redirects with a message.
"""

from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render

from organisations import expectations
from organisations.expectation_forms import ExpectationOverrideForm
from organisations.models import Cover, Duty, Organisation
from users.decorators import national_lead_required

from .coverage import with_coverage


def _duty_forms(organisation: Organisation, overrides: dict, posted: str | None = None, data=None) -> list:
    rows = []
    by_type = expectations.type_expects(organisation)
    for duty in Duty:
        override = overrides.get(duty.value)
        form = ExpectationOverrideForm(
            data if duty.value == posted else None,
            duty=duty.value,
            current=override.expected if override is not None else None,
            by_type=by_type[duty.value],
        )
        rows.append({"duty": duty, "form": form, "override": override, "status": organisation.coverage_status(duty)})
    return rows


@national_lead_required
def organisation_expectations(request, ods_code):
    """One organisation's three duties: as its type says, or an exception either way, with the reason."""
    organisation = get_object_or_404(
        with_coverage(Organisation.objects.select_related("region", "parent")), ods_code=ods_code.upper()
    )
    overrides = {override.duty: override for override in organisation.expectation_overrides.all()}
    posted = None
    if request.method == "POST":
        posted = request.POST.get("duty")
        if posted not in Duty.values:
            raise BadRequest("Choose a named MSO, a named MDSO or the generic mailbox.")
    rows = _duty_forms(organisation, overrides, posted, request.POST)
    if posted:
        form = next(row["form"] for row in rows if row["duty"] == posted)
        if form.is_valid():
            try:
                override = expectations.expectation_override_set(
                    organisation=organisation,
                    duty=posted,
                    expected=form.expected(),
                    reason=form.cleaned_data["reason"],
                    user=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                label = Duty(posted).label
                label = label[0].lower() + label[1:]
                if override is None:
                    messages.success(request, f"Saved: {organisation.name}'s {label} is as its type says.")
                else:
                    verb = "expected" if override.expected else "not expected"
                    messages.success(request, f"Saved: {organisation.name}'s {label} is {verb}.")
                return redirect("compliance:expectations", ods_code=organisation.ods_code)
    covers = (
        Cover.objects.in_force()
        .filter(Q(organisation=organisation) | Q(covering=organisation))
        .select_related("covering", "organisation")
    )
    return render(
        request,
        "compliance/expectations.html",
        {
            "organisation": organisation,
            "rows": rows,
            "posted_form": next((row["form"] for row in rows if row["duty"] == posted), None),
            "covers": list(covers),
            "is_pharmacy": organisation.kind == Organisation.Kind.PHARMACY,
            "nav_section": "organisations",
        },
    )
