from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Prefetch
from django.views.generic import DetailView

from networks.models import Membership

from .models import Appointment, Person


class PersonDetailView(LoginRequiredMixin, DetailView):
    """A person's roles and networks; contact details only for those `contact_visible_to` allows."""

    template_name = "officers/person_detail.html"
    context_object_name = "person"

    def get_queryset(self):
        return Person.objects.prefetch_related(
            Prefetch(
                "appointments",
                queryset=Appointment.objects.current().in_role_order().select_related("organisation"),
                to_attr="current_appointments",
            ),
            Prefetch(
                "memberships",
                queryset=Membership.objects.current().select_related("network").order_by("network__name"),
                to_attr="current_memberships",
            ),
        )

    def get_context_data(self, **kwargs):
        user = self.request.user
        person = self.object
        return super().get_context_data(
            show_contact=Person.objects.contact_visible_to(user).filter(pk=person.pk).exists(),
            is_self=person.user_id is not None and person.user_id == user.pk,
            nav_section="my-details" if person.user_id == user.pk else None,
            **kwargs,
        )
