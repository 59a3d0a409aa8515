"""The history pages of an organisation and of a person, in the portal's own look: who changed what
and when, from what to what, and why (audit.history_pages). Whoever may see the page may see its
history, with the same parts kept back: an organisation's private profile, a person's contact details."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from access import scopes
from audit.history_pages import organisation_history, person_history
from audit.services import contact_details_reveal
from officers.models import Person
from organisations.models import Organisation

CHANGES_PER_PAGE = 25


def _history_page(request, context: dict, entries: list):
    page_obj = Paginator(entries, CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "audit/history.html", {"page_obj": page_obj, **context})


@login_required
def organisation_history_view(request, ods_code: str):
    organisations = scopes.with_profile_access(Organisation.objects.visible_to(request.user), request.user)
    organisation = get_object_or_404(organisations, ods_code=ods_code.upper())
    entries = organisation_history(organisation, show_private=organisation.profile_visible)
    context = {
        "subject": organisation.name,
        "back_url": organisation.get_absolute_url(),
        "nav_section": "organisations",
        "kept_back": ""
        if organisation.profile_visible
        else "the organisation's medication safety team, key contacts and board director",
    }
    return _history_page(request, context, entries)


@login_required
def person_history_view(request, pk: int):
    person = get_object_or_404(Person, pk=pk)
    show_contact = contact_details_reveal(viewer=request.user, person=person, path=request.path)
    entries = person_history(person, show_contact=show_contact)
    context = {
        "subject": person.full_name,
        "back_url": person.get_absolute_url(),
        "nav_section": "my-details" if person.user_id == request.user.pk else None,
        "kept_back": "" if show_contact else "their contact details",
    }
    return _history_page(request, context, entries)
