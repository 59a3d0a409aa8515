"""{% presenters meeting %}: the presenters of a national webinar, for its page."""

from django import template

from meetings.models import Meeting
from presentations.models import Offer

register = template.Library()


@register.inclusion_tag("presentations/presenters.html")
def presenters(meeting: Meeting) -> dict:
    """The accepted offers on `meeting` (a national webinar), each with its presenter and their
    organisation, in one query; nothing for another kind of meeting."""
    if meeting.kind != Meeting.Kind.NATIONAL_WEBINAR:
        return {"is_webinar": False, "offers": []}
    offers = (
        Offer.objects.accepted()
        .filter(meeting=meeting)
        .with_organisation()
        .select_related("person")
        .order_by("reviewed_at", "pk")
    )
    return {"is_webinar": True, "offers": list(offers)}
