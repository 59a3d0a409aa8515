from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.generic import DetailView, ListView

from access import scopes
from audit.services import contact_views_record
from meetings.active_members import active_member_ids, is_active_member
from meetings.models import ExportLog
from msonet import spreadsheets
from networks.models import Membership, Network
from officers.models import Appointment, by_surname

from .forms import MembershipFilterForm
from .membership import (
    contact_visible_ids,
    membership_export,
    membership_list,
    membership_page,
    membership_rows,
    mso_coverage,
)

# A membership row stacks two officers' contact details: at 320 px wide each is about 300 px tall.
ORGANISATIONS_PER_PAGE = 20


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
            networks = networks.filter(pk__in=[network.pk for network in scopes.chaired_networks(self.request.user)])
        return networks

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            mine=self.mine(), nav_section="my-networks" if self.mine() else "networks", **kwargs
        )


class NetworkDetailView(LoginRequiredMixin, DetailView):
    """A network's chairs and members (paginated); contact details only where `scopes.people_with_contact` allows."""

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
            .annotate(person_is_active_member=is_active_member("person_id"))
            .prefetch_related(
                Prefetch(
                    "person__appointments",
                    queryset=Appointment.objects.current().in_role_order().select_related("organisation"),
                    to_attr="current_appointments",
                )
            )
            .order_by(*by_surname("person__"), "pk")
        )
        page_obj = Paginator(memberships, self.members_per_page).get_page(self.request.GET.get("page"))
        people = [m.person for m in page_obj] + [m.person for m in network.chair_memberships]
        chairs_network = scopes.chairs(user, network)
        contact_visible = scopes.contact_visible_ids(user, people)
        contact_views_record(
            viewer=user, people=[p for p in people if p.pk in contact_visible], path=self.request.get_full_path()
        )
        return super().get_context_data(
            can_see_membership=user.is_national_lead or chairs_network,
            page_obj=page_obj,
            members=page_obj.object_list,
            contact_visible=contact_visible,
            coverage=mso_coverage(network) if network.kind == Network.Kind.REGIONAL else None,
            children=network.children.order_by(Lower("name")),
            nav_section="my-networks" if chairs_network else "networks",
            **kwargs,
        )


def _get_network_for_membership(user, slug: str) -> Network:
    """A network whose membership list the user may see; 404 otherwise, as for a network that does not exist."""
    return get_object_or_404(scopes.networks_with_membership(user).select_related("region"), slug=slug)


@login_required
def membership(request, slug):
    """A chair's (or the national lead's) view of a network's organisations: named officers, their
    contact details, MHRA registration and open flags; searchable, filterable, paginated."""
    network = _get_network_for_membership(request.user, slug)
    form = MembershipFilterForm(request.GET or None)
    page_obj = membership_page(network, request.user, form, request.GET.get("page"), ORGANISATIONS_PER_PAGE)
    people = [a.person for organisation in page_obj for a in organisation.named_appointments]
    chairs_network = scopes.chairs(request.user, network)
    contact_visible = contact_visible_ids(request.user, people)
    contact_views_record(
        viewer=request.user, people=[p for p in people if p.pk in contact_visible], path=request.get_full_path()
    )
    return render(
        request,
        "networks/membership.html",
        {
            "network": network,
            "form": form,
            "page_obj": page_obj,
            "rows": membership_rows(page_obj, contact_visible, active_member_ids(people)),
            "nav_section": "my-networks" if chairs_network else "networks",
        },
    )


@login_required
def membership_export_view(request, slug, file_format):
    """The membership list as the page shows it (same filters, every page) as a CSV or XLSX file."""
    if file_format not in ExportLog.Format.values:
        raise Http404("No such export format.")
    network = _get_network_for_membership(request.user, slug)
    form = MembershipFilterForm(request.GET or None)
    organisations = form.filter(membership_list(network, request.user))
    content = membership_export(
        user=request.user, network=network, organisations=organisations, file_format=file_format
    )
    response = HttpResponse(content, content_type=spreadsheets.CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{network.slug}-membership.{file_format}"'
    return response
