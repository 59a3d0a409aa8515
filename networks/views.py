from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.views.generic import DetailView, ListView

from officers.models import Appointment, Person

from .models import Membership, Network


class NetworkListView(LoginRequiredMixin, ListView):
    """Every network with its chair and number of members; `?mine=1` keeps the ones the user chairs."""

    template_name = "networks/list.html"
    context_object_name = "networks"

    def mine(self) -> bool:
        return self.request.GET.get("mine") == "1"

    def get_queryset(self):
        networks = (
            Network.objects.select_related("region", "parent")
            .with_chairs()
            .annotate(member_count=Count("memberships", filter=Q(memberships__left_on__isnull=True)))
        )
        if self.mine():
            networks = networks.filter(pk__in=[network.pk for network in self.request.user.chaired_networks])
        return networks

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            mine=self.mine(), nav_section="my-networks" if self.mine() else "networks", **kwargs
        )


class NetworkDetailView(LoginRequiredMixin, DetailView):
    """A network's chairs and members (paginated); contact details only where `contact_visible_to` allows."""

    template_name = "networks/detail.html"
    context_object_name = "network"
    members_per_page = 50

    def get_queryset(self):
        return Network.objects.select_related("region", "parent").with_chairs()

    def get_context_data(self, **kwargs):
        network = self.object
        user = self.request.user
        memberships = (
            Membership.objects.current()
            .filter(network=network)
            .select_related("person")
            .prefetch_related(
                Prefetch(
                    "person__appointments",
                    queryset=Appointment.objects.current().in_role_order().select_related("organisation"),
                    to_attr="current_appointments",
                )
            )
            .order_by("person__last_name", "person__first_name", "pk")
        )
        page_obj = Paginator(memberships, self.members_per_page).get_page(self.request.GET.get("page"))
        people = [m.person for m in page_obj] + [m.person for m in network.chair_memberships]
        chairs_network = any(n.pk == network.pk for n in user.chaired_networks)
        return super().get_context_data(
            page_obj=page_obj,
            members=page_obj.object_list,
            contact_visible=Person.objects.contact_visible_ids(user, people),
            coverage=network.mso_coverage() if network.kind == Network.Kind.REGIONAL else None,
            children=network.children.order_by("name"),
            nav_section="my-networks" if chairs_network else "networks",
            **kwargs,
        )
