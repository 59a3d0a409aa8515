"""A person's page: their roles and networks, and their contact details where the viewer may see them."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.views.generic import DetailView

from audit.services import contact_details_reveal
from handovers.models import Handover
from handovers.services import handover_can_start
from meetings.active_members import is_active_member
from networks.models import Membership
from officers.models import Appointment, Person


class PersonDetailView(LoginRequiredMixin, DetailView):
    """A person's roles and networks; contact details only for those `access.scopes.people_with_contact` allows."""

    template_name = "officers/person_detail.html"
    context_object_name = "person"

    def get_queryset(self):
        # is_active_member: attended one of the last three national webinars (networks.attendance).
        return Person.objects.annotate(is_active_member=is_active_member()).prefetch_related(
            Prefetch(
                "appointments",
                queryset=Appointment.objects.current().in_role_order().select_related("organisation"),
                to_attr="current_appointments",
            ),
            Prefetch(
                "memberships",
                queryset=Membership.objects.current().select_related("network").order_by(Lower("network__name")),
                to_attr="current_memberships",
            ),
        )

    def get_context_data(self, **kwargs):
        user = self.request.user
        person = self.object
        # The unfinished handovers of the person's current named roles that the user may see. Those who may
        # start one (the holder, the national lead) see every handover of the role, so a start is
        # never offered while one is in progress.
        named = [a.pk for a in person.current_appointments if a.is_named]
        open_handovers = (
            list(
                Handover.objects.visible_to(user)
                .unfinished()
                .filter(outgoing_appointment__in=named)
                .select_related("organisation", "outgoing_appointment", "incoming_appointment__person")
                .order_by("leaving_date", "pk")
            )
            if named
            else []
        )
        in_progress = {handover.outgoing_appointment_id for handover in open_handovers}
        return super().get_context_data(
            open_handovers=open_handovers,
            handover_starts=[
                a for a in person.current_appointments if handover_can_start(user, a, in_progress=a.pk in in_progress)
            ],
            # access.scopes.people_with_contact decides; a view of someone else's details is logged.
            show_contact=contact_details_reveal(viewer=user, person=person, path=self.request.path),
            is_self=person.user_id is not None and person.user_id == user.pk,
            nav_section="my-details" if person.user_id == user.pk else None,
            **kwargs,
        )


# Change of details: the officer asks, the national lead decides (officers.changes).
