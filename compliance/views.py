from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from access import scopes

from .forms import FlagAcknowledgeForm, FlagFilterForm
from .models import Flag
from .services import flag_acknowledge, flag_counts

FLAGS_PER_PAGE = 50


def _flags_for_user(user):
    """The flags the user may see; 404 for anyone who is neither the national lead nor a chair."""
    if not (user.is_national_lead or scopes.is_chair(user)):
        raise Http404("No flags here.")
    return Flag.objects.visible_to(user)


def _get_flag_for_user(user, pk: int) -> Flag:
    """A flag the user may see (404 otherwise); only the national lead may act on it (403 for a chair)."""
    flag = get_object_or_404(_flags_for_user(user).select_related("organisation"), pk=pk)
    if not user.is_national_lead:
        raise PermissionDenied("Only the national lead acknowledges flags.")
    return flag


@login_required
def board(request):
    """The flag board: every flag for the national lead, their regions' flags for a chair."""
    flags = _flags_for_user(request.user)
    form = FlagFilterForm(request.GET or None, user=request.user)
    flags = form.filter(flags)
    page_obj = Paginator(
        flags.select_related("organisation__region", "handover", "appointment__person", "acknowledged_by").order_by(
            "opened_at", "pk"
        ),
        FLAGS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "compliance/board.html",
        {
            "form": form,
            "page_obj": page_obj,
            "counts": flag_counts(flags),
            "can_acknowledge": request.user.is_national_lead,
            "acknowledge_form": FlagAcknowledgeForm(),
            "nav_section": "flags",
        },
    )


@login_required
@require_POST
def acknowledge(request, pk):
    flag = _get_flag_for_user(request.user, pk)
    form = FlagAcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            flag_acknowledge(flag_id=flag.pk, user=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Flag acknowledged: {flag.get_kind_display()}, {flag.organisation.name}.")
    else:
        messages.error(request, " ".join(form.errors["note"]))
    back = request.POST.get("next", "")
    # Only a path on this site: anything else (another host, or text that is no path at all) goes
    # back to the board.
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect("compliance:board")
    return HttpResponseRedirect(back)
