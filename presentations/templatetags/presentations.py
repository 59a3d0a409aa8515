"""{% presenters meeting %}: the presenters of a national webinar, for its page."""

from django import template

from meetings.models import Meeting
from presentations.models import Offer

register = template.Library()


@register.inclusion_tag("presentations/presenters.html")
def presenters(meeting: Meeting) -> dict:
    """The accepted offers on `meeting` (a national webinar), each with its presenter and their
    organisation, in one query; nothing for another kind of meeting. A cancelled webinar has no
    presenters: its accepted offers are listed as those who were to present, waiting for another date."""
    if meeting.kind != Meeting.Kind.NATIONAL_WEBINAR:
        return {"is_webinar": False, "is_cancelled": meeting.is_cancelled, "offers": []}
    offers = (
        Offer.objects.accepted()
        .filter(meeting=meeting)
        .with_organisation()
        .select_related("person")
        .order_by("reviewed_at", "pk")
    )
    return {"is_webinar": True, "is_cancelled": meeting.is_cancelled, "offers": list(offers)}
