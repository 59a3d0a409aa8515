from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from access import scopes
from compliance.services import MHRA_REGISTRATION_PERIOD
from organisations.models import Region
from users.decorators import national_lead_required

from .checklists import checklists_for
from .forms import ApplicabilityForm, ItemDoneForm, ProgressFilterForm
from .models import Checklist, ChecklistHidden, Item, NotApplicable, is_new_in_post
from .services import (
    applicability_set,
    checklist_can_change,
    checklist_hide,
    checklist_show,
    mark_done,
    mark_undone,
)

CHECKLISTS_PER_PAGE = 50


def _chaired_regions(user):
    """The regions whose checklists a chair sees (Checklist.objects.visible_to): of regional networks only."""
    return Region.objects.filter(pk__in=scopes.chaired_regions(user, regional_networks_only=True))


def _get_checklist_for_user(user, pk: int) -> Checklist:
    """An active appointment's checklist the user may see (Checklist.objects.visible_to); 404 otherwise."""
    return get_object_or_404(
        Checklist.objects.visible_to(user).current().select_related("person__user", "organisation__region"), pk=pk
    )


def _item_from_slug(slug: str) -> str:
    item = slug.replace("-", "_")
    if item not in Item.values:
        raise Http404("No such item.")
    return item


def _nav_section(request, checklist) -> str:
    return "home" if checklist.person.user_id == request.user.pk else "workspace"


@login_required
def checklist_detail(request, pk):
    """An appointment's getting-started checklist: each item, done or to do, with who did it; for its
    holder, whether their home page shows it, and the button to show it again when they hid it."""
    checklist = _get_checklist_for_user(request.user, pk)
    view = checklists_for([checklist])[0]
    is_holder = checklist.person.user_id == request.user.pk
    return render(
        request,
        "workspace/checklist.html",
        {
            "checklist": checklist,
            "view": view,
            "can_change": checklist_can_change(request.user, checklist),
            "is_holder": is_holder,
            "new_in_post": is_new_in_post(checklist),
            "hidden": is_holder and ChecklistHidden.objects.filter(person=checklist.person).exists(),
            "getting_started_months": settings.GETTING_STARTED_MONTHS,
            "nav_section": _nav_section(request, checklist),
        },
    )


def _own_person(user):
    """The signed-in user's person record; 404 for a user who has none."""
    if user.person_record is None:
        raise Http404("You have no person record.")
    return user.person_record


@login_required
@require_POST
def checklist_hide_view(request):
    """The officer hides the getting-started checklist from their home page."""
    person = _own_person(request.user)
    checklist_hide(person=person, by=request.user)
    messages.success(
        request,
        "Your getting-started checklist is hidden from your home page. To show it again, open it from your "
        "roles below.",
    )
    return redirect("directory:home")


@login_required
@require_POST
def checklist_show_view(request):
    """The officer shows the getting-started checklist on their home page again."""
    person = _own_person(request.user)
    checklist_show(person=person, by=request.user)
    messages.success(request, "Your getting-started checklist is shown on your home page again.")
    return redirect("directory:home")


@login_required
def item_detail(request, pk, item):
    """One item: what it is and what to do, what was recorded when it was done, and the form to mark
    it done (the holder and the national lead)."""
    checklist = _get_checklist_for_user(request.user, pk)
    item = _item_from_slug(item)
    view = checklists_for([checklist])[0]
    row = view.row(item)
    if row is None:  # not applicable to this role
        raise Http404("This item does not apply to this role.")
    can_change = checklist_can_change(request.user, checklist)
    initial = {}
    if item == Item.INCIDENT_SYSTEM and view.incident_lead is not None:
        initial["system_lead"] = view.incident_lead.name
    form = ItemDoneForm(request.POST if request.method == "POST" else None, item=item, initial=initial)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("Only the officer in this role, and the national lead, can change this checklist.")
        if form.is_valid():
            try:
                mark_done(appointment=checklist, item=item, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for name, errors in error.message_dict.items():
                        form.add_error(name if name in form.fields else None, errors)
                else:
                    form.add_error(None, " ".join(error.messages))
            else:
                messages.success(request, _done_message(item, view))
                return redirect(checklist)
    return render(
        request,
        "workspace/item.html",
        {
            "checklist": checklist,
            "view": view,
            "row": row,
            "form": form,
            "can_change": can_change,
            "is_holder": checklist.person.user_id == request.user.pk,
            "mhra_due": checklist.start_date + MHRA_REGISTRATION_PERIOD,
            "nav_section": _nav_section(request, checklist),
        },
    )


def _done_message(item: str, view) -> str:
    label = Item(item).label
    if item == Item.CHAIR_CONTACT and view.chairs:
        names = " and ".join(membership.person.full_name for membership in view.chairs)
        return f"Done: {label}. We have let {names} know."
    return f"Done: {label}."


@login_required
@require_POST
def item_undo(request, pk, item):
    checklist = _get_checklist_for_user(request.user, pk)
    item = _item_from_slug(item)
    if not checklist_can_change(request.user, checklist):
        raise PermissionDenied("Only the officer in this role, and the national lead, can change this checklist.")
    try:
        mark_undone(appointment=checklist, item=item, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Undone: {Item(item).label}. It is back on the checklist.")
    return redirect(checklist)


@login_required
def progress_list(request):
    """Everyone still getting started (active appointments that started within the last
    GETTING_STARTED_MONTHS months, with items to do): every one for the national lead, their region's
    for a regional network's chair; 404 for anyone else."""
    user = request.user
    regions = Region.objects.all() if user.is_national_lead else _chaired_regions(user)
    if not user.is_national_lead and not regions.exists():
        raise Http404("No progress to show.")
    form = ProgressFilterForm(request.GET or None)
    form.fields["region"].queryset = regions
    checklists = (
        form.filter(Checklist.objects.visible_to(user).with_progress().getting_started())
        .select_related("person", "organisation__region")
        .order_by("start_date", "pk")
    )
    page_obj = Paginator(checklists, CHECKLISTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "workspace/progress.html",
        {
            "form": form,
            "page_obj": page_obj,
            "today": timezone.localdate(),
            "getting_started_months": settings.GETTING_STARTED_MONTHS,
            "nav_section": "workspace",
        },
    )


@national_lead_required
def applicability(request):
    """The national lead chooses, for each role, the items that do not apply to it."""
    form = ApplicabilityForm(request.POST if request.method == "POST" else None, not_applicable=NotApplicable.by_role())
    if request.method == "POST" and form.is_valid():
        try:
            changes = applicability_set(not_applicable=form.not_applicable(), by=request.user)
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            if changes:
                messages.success(request, f"Saved: {changes} change{'s' if changes != 1 else ''} to the checklist.")
            else:
                messages.info(request, "Nothing changed.")
            return redirect("workspace:applicability")
    return render(request, "workspace/applicability.html", {"form": form, "nav_section": "workspace"})
