"""Offers to present at a national webinar: an officer in post offers a topic and follows their offers;
the national lead's queue accepts or declines them (presentations.services). Everyone else gets 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from officers.models import Appointment, Person
from users.decorators import national_lead_required

from .forms import AcceptForm, DeclineForm, MoveForm, OfferForm
from .models import Offer, OfferStatus
from .services import (
    month_label,
    offer_accept,
    offer_decline,
    offer_move,
    offer_submit,
    offer_withdraw,
    upcoming_webinars,
)

OFFERS_PER_PAGE = 25
# The queue's filters: its query value, its label, the offers shown and their order. "Webinar
# cancelled" is the accepted offers whose webinar was cancelled: they need another date.
CANCELLED = Q(status=OfferStatus.ACCEPTED, meeting__cancelled_at__isnull=False)
QUEUE_FILTERS = {
    "waiting": (OfferStatus.SUBMITTED.label, Q(status=OfferStatus.SUBMITTED), ("submitted_at", "pk")),
    "accepted": (OfferStatus.ACCEPTED.label, Q(status=OfferStatus.ACCEPTED), ("-reviewed_at", "-pk")),
    "cancelled": ("Webinar cancelled", CANCELLED, ("meeting__held_on", "reviewed_at", "pk")),
    "declined": (OfferStatus.DECLINED.label, Q(status=OfferStatus.DECLINED), ("-reviewed_at", "-pk")),
    "withdrawn": (OfferStatus.WITHDRAWN.label, Q(status=OfferStatus.WITHDRAWN), ("-reviewed_at", "-pk")),
}


def _officer_for(user) -> Person:
    """The signed-in user's person record, when they hold a current appointment; 404 otherwise."""
    in_post = Appointment.objects.current().filter(person__user=user)
    person = Person.objects.filter(user=user, pk__in=in_post.values("person")).first()
    if person is None:
        raise Http404("Offers to present are for officers in post.")
    return person


def _own_offer(user, pk: int) -> Offer:
    """One of the user's own offers; 404 for anyone else's (or for a user who is not an officer in post)."""
    person = _officer_for(user)
    return get_object_or_404(Offer.objects.select_related("meeting", "reviewed_by"), pk=pk, person=person)


@login_required
def offer_create(request):
    """The officer's form: a title, a summary and the months that suit them."""
    person = _officer_for(request.user)
    form = OfferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            offer = offer_submit(person=person, user=request.user, **form.values())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Offer sent: the national MSO team will tell you by email whether “{offer.title}” is accepted.",
            )
            return redirect("presentations:my-offers")
    return render(request, "presentations/offer_form.html", {"form": form, "nav_section": "offers"})


@login_required
def offer_list(request):
    """The officer's own offers, newest first: status, the webinar when accepted, the reason when declined."""
    person = _officer_for(request.user)
    offers = Offer.objects.filter(person=person).select_related("meeting").order_by("-submitted_at", "-pk")
    return render(request, "presentations/offer_list.html", {"offers": offers, "nav_section": "offers"})


@login_required
def offer_detail(request, pk):
    offer = _own_offer(request.user, pk)
    return render(
        request,
        "presentations/offer_detail.html",
        {"offer": offer, "months": [month_label(month) for month in offer.months], "nav_section": "offers"},
    )


@login_required
@require_POST
def offer_withdraw_view(request, pk):
    offer = _own_offer(request.user, pk)
    try:
        offer_withdraw(offer=offer, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("presentations:offer-detail", pk=offer.pk)
    messages.success(request, f"You withdrew your offer to present “{offer.title}”.")
    return redirect("presentations:my-offers")


@national_lead_required
def offer_queue(request):
    """The national lead's offers: those waiting for a decision (oldest first) or, filtered, those
    accepted, declined or withdrawn (latest decision first) or accepted onto a webinar since cancelled
    (soonest webinar first), with the count of each."""
    shown = request.GET.get("status", "waiting")
    if shown not in QUEUE_FILTERS:
        shown = "waiting"
    label, condition, order = QUEUE_FILTERS[shown]
    counts = Offer.objects.aggregate(
        **{name: Count("pk", filter=where) for name, (_label, where, _order) in QUEUE_FILTERS.items()}
    )
    offers = (
        Offer.objects.filter(condition)
        .with_organisation()
        .select_related("person", "meeting", "reviewed_by")
        .order_by(*order)
    )
    page_obj = Paginator(offers, OFFERS_PER_PAGE).get_page(request.GET.get("page"))
    filters = [(name, QUEUE_FILTERS[name][0], counts[name]) for name in QUEUE_FILTERS]
    return render(
        request,
        "presentations/queue.html",
        {
            "page_obj": page_obj,
            "shown": shown,
            "shown_label": label,
            "filters": filters,
            "counts": counts,
            "nav_section": "offer-queue",
        },
    )


def _offer_for_review(pk: int) -> Offer:
    offers = Offer.objects.with_organisation().select_related("person__user", "meeting", "reviewed_by")
    return get_object_or_404(offers, pk=pk)


def _movable(offer: Offer) -> bool:
    """Whether the lead may move the accepted offer: its webinar was cancelled or is still to come."""
    meeting = offer.meeting
    return meeting is not None and (meeting.is_cancelled or meeting.held_on >= timezone.localdate())


def _render_review(request, offer, *, accept_form=None, decline_form=None, move_form=None):
    accept_form = accept_form or AcceptForm()
    webinars = list(upcoming_webinars())
    if offer.meeting_id is not None:
        webinars = [webinar for webinar in webinars if webinar.pk != offer.meeting_id]
    preferred = set(offer.preferred_months)
    return render(
        request,
        "presentations/review.html",
        {
            "offer": offer,
            "months": [month_label(month) for month in offer.months],
            "accept_form": accept_form,
            "decline_form": decline_form or DeclineForm(),
            "move_form": move_form or MoveForm(current=offer.meeting),
            "movable": offer.status == OfferStatus.ACCEPTED and _movable(offer),
            "has_webinars": bool(webinars),
            "preferred_webinars": [webinar for webinar in webinars if f"{webinar.held_on:%Y-%m}" in preferred],
            "history": offer.history.select_related("history_user").order_by("-history_date", "-history_id"),
            "nav_section": "offer-queue",
        },
    )


@national_lead_required
def offer_review(request, pk):
    """One offer with everything the officer gave; accept it onto an upcoming webinar, or decline it."""
    return _render_review(request, _offer_for_review(pk))


def _decide(request, offer, form, *, form_name: str, decide, success):
    """The lead's decision on the review page: `decide(cleaned_data)` (the service) when the form is
    valid, then `success(offer)` (the message and where to go). A refusal about the offer as a whole
    (decided meanwhile, their own offer) is shown on the review page; one about a field, on the form."""
    if form.is_valid():
        try:
            offer = decide(form.cleaned_data)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect("presentations:review", pk=offer.pk)
            form.add_error(None, error)
        else:
            return success(offer)
    return _render_review(request, offer, **{form_name: form})


@national_lead_required
@require_POST
def offer_accept_view(request, pk):
    offer = _offer_for_review(pk)

    def accepted(offer):
        messages.success(
            request,
            f"Offer accepted: {offer.person.full_name} presents “{offer.title}” at {offer.meeting}. "
            "They have been told by email.",
        )
        return redirect("presentations:queue")

    return _decide(
        request,
        offer,
        AcceptForm(request.POST),
        form_name="accept_form",
        decide=lambda data: offer_accept(offer=offer, meeting=data["meeting"], user=request.user),
        success=accepted,
    )


@national_lead_required
@require_POST
def offer_decline_view(request, pk):
    offer = _offer_for_review(pk)

    def declined(offer):
        messages.success(request, f"Offer declined: {offer.person.full_name} has been told why.")
        return redirect("presentations:queue")

    return _decide(
        request,
        offer,
        DeclineForm(request.POST),
        form_name="decline_form",
        decide=lambda data: offer_decline(offer=offer, reason=data["reason"], user=request.user),
        success=declined,
    )


@national_lead_required
@require_POST
def offer_move_view(request, pk):
    """Move an accepted offer to another upcoming webinar (its own was cancelled, or the date no longer suits)."""
    offer = _offer_for_review(pk)
    previous = offer.meeting

    def moved(offer):
        messages.success(
            request,
            f"Offer moved: {offer.person.full_name} now presents “{offer.title}” at {offer.meeting.title} on "
            f"{date_format(offer.meeting.held_on, 'j F Y')}. They have been told by email.",
        )
        shown = "cancelled" if previous.is_cancelled else "accepted"
        return redirect(f"{reverse('presentations:queue')}?status={shown}")

    return _decide(
        request,
        offer,
        MoveForm(request.POST, current=previous),
        form_name="move_form",
        decide=lambda data: offer_move(offer=offer, meeting=data["meeting"], user=request.user),
        success=moved,
    )
