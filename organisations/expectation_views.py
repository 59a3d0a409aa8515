"""The national lead's pages for who must name an officer: the expectations by type and the
covering arrangements, and one organisation's exceptions. Everyone else gets 404.

Each view fetches, validates its form, calls one function of organisations.expectations (which
holds the rules) and redirects with a message.
"""

from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from users.decorators import national_lead_required

from . import expectations
from .expectation_forms import CoverAddForm, CoverEndForm, ExpectationOverrideForm, TypeExpectationsForm
from .models import Cover, Duty, Organisation, TypeExpectation

# The changes to the expectations shown on the rules page, and the ended covers.
HISTORY_SHOWN = 10
ENDED_COVERS_SHOWN = 50


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _rules_page(request, form: TypeExpectationsForm, end_form: CoverEndForm | None = None):
    today = timezone.localdate()
    covers = Cover.objects.select_related("covering", "organisation")
    current = list(covers.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)))
    for cover in current:
        failed = end_form is not None and end_form.cover.pk == cover.pk
        cover.end_form = end_form if failed else CoverEndForm(cover=cover)
    ended = list(covers.filter(ends_on__lt=today).order_by("-ends_on", "covering__name")[:ENDED_COVERS_SHOWN])
    history = TypeExpectation.history.select_related("history_user").order_by("-history_date", "-history_id")
    return render(
        request,
        "organisations/expectations/rules.html",
        {
            "form": form,
            "end_form": end_form,
            "current_covers": current,
            "ended_covers": ended,
            "ended_covers_shown": ENDED_COVERS_SHOWN,
            "history": list(history[:HISTORY_SHOWN]),
            "today": today,
            "add_covering_body_url": reverse("admin:organisations_organisation_add") + "?kind=covering_body",
            "nav_section": "dashboard",
        },
    )


def _type_form(data=None) -> TypeExpectationsForm:
    return TypeExpectationsForm(data, expectations=TypeExpectation.objects.all())


@national_lead_required
def coverage_rules(request):
    """What each type of organisation is expected to have, and the covering arrangements."""
    form = _type_form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            changed = expectations.type_expectations_set(
                changes=form.changes(), user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if changed:
                messages.success(request, f"Saved: the expectations of {_plural(changed, 'type')} changed.")
            else:
                messages.info(request, "Nothing changed.")
            return redirect("organisations:coverage-rules")
    return _rules_page(request, form)


@national_lead_required
def cover_add(request):
    """Add a covering arrangement."""
    form = CoverAddForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            cover = expectations.cover_add(user=request.user, **form.values())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Added: {cover}, from {cover.starts_on:%-d %B %Y}.")
            return redirect("organisations:coverage-rules")
    return render(request, "organisations/expectations/cover_add.html", {"form": form, "nav_section": "dashboard"})


@national_lead_required
@require_POST
def cover_end(request, pk):
    """End a covering arrangement on a date; on a problem, the rules page shows it on the cover's form."""
    cover = get_object_or_404(Cover.objects.select_related("covering", "organisation"), pk=pk)
    form = CoverEndForm(request.POST, cover=cover)
    if form.is_valid():
        try:
            cover = expectations.cover_end(
                cover_id=cover.pk,
                ends_on=form.cleaned_data["ends_on"],
                user=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Ended: {cover}, on {cover.ends_on:%-d %B %Y}.")
            return redirect("organisations:coverage-rules")
    return _rules_page(request, _type_form(), end_form=form)


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
        Organisation.objects.with_coverage().select_related("region", "parent"), ods_code=ods_code.upper()
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
                return redirect("organisations:expectations", ods_code=organisation.ods_code)
    covers = (
        Cover.objects.in_force()
        .filter(Q(organisation=organisation) | Q(covering=organisation))
        .select_related("covering", "organisation")
    )
    return render(
        request,
        "organisations/expectations/organisation.html",
        {
            "organisation": organisation,
            "rows": rows,
            "posted_form": next((row["form"] for row in rows if row["duty"] == posted), None),
            "covers": list(covers),
            "is_pharmacy": organisation.kind == Organisation.Kind.PHARMACY,
            "nav_section": "organisations",
        },
    )
