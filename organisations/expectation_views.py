"""The national lead's pages for who must name an officer: the expectations by type and the
covering arrangements. Everyone else gets 404. One organisation's exceptions, shown with its
coverage, are compliance.expectation_views'.

Each view fetches, validates its form, calls one function of organisations.expectations (which
holds the rules) and redirects with a message.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from users.decorators import national_lead_required

from . import expectations
from .expectation_forms import CoverAddForm, CoverEndForm, TypeExpectationsForm
from .models import Cover, TypeExpectation

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
    ended = list(covers.filter(ends_on__lt=today).order_by("-ends_on", Lower("covering__name"))[:ENDED_COVERS_SHOWN])
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
