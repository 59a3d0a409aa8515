"""The signed-in user's home page: what their roles (lead, chair, officer, or none yet) lead to."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from access import scopes
from networks.models import Network
from workspace.checklists import checklists_for


@login_required
def home(request):
    """A landing page for the signed-in user's roles: lead, chair, officer, or none yet."""
    person = request.user.person_record
    appointments = []
    if person is not None:
        appointments = list(person.appointments.current().in_role_order().select_related("organisation"))
    return render(
        request,
        "home.html",
        {
            "appointments": appointments,
            # The getting-started checklist of each active appointment, in a fixed number of queries.
            "checklists": checklists_for(appointments),
            "chairs_regional_network": any(
                network.kind == Network.Kind.REGIONAL for network in scopes.chaired_networks(request.user)
            ),
            "nav_section": "home",
        },
    )
