"""The signed-in user's home page: what their roles (lead, chair, officer, or none yet) lead to."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from access import scopes
from networks.models import Network
from registrations.status import registration_status
from workspace.checklists import home_checklists


@login_required
def home(request):
    """A landing page for the signed-in user's roles: lead, chair, officer, or none yet."""
    person = request.user.person_record
    appointments = []
    if person is not None:
        appointments = list(person.appointments.current().in_role_order().select_related("organisation"))
    # The getting-started checklists of the appointments new in post, in a fixed number of queries.
    getting_started = home_checklists(person, appointments)
    # Registration requests waiting for review, or the latest decision (one query).
    registration = (
        None if request.user.is_national_lead else registration_status(request.user, has_role=bool(appointments))
    )
    return render(
        request,
        "home.html",
        {
            "appointments": appointments,
            "checklists": getting_started.checklists,
            "checklist_hidden": getting_started.hidden,
            "registration": registration,
            "chairs_regional_network": any(
                network.kind == Network.Kind.REGIONAL for network in scopes.chaired_networks(request.user)
            ),
            "nav_section": "home",
        },
    )
