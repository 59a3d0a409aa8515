from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET
from django.views.generic import DetailView, ListView

from compliance.models import Flag
from networks.models import Network
from officers.models import Appointment, Person

from .forms import DirectorySearchForm
from .models import Organisation


class DirectoryView(LoginRequiredMixin, ListView):
    """Every organisation, searchable by name or ODS code, with its named MSO and MDSO."""

    template_name = "organisations/directory.html"
    context_object_name = "organisations"
    paginate_by = 25
    extra_context = {"nav_section": "organisations"}

    def get_queryset(self):
        self.form = DirectorySearchForm(self.request.GET or None)
        organisations = Organisation.objects.visible_to(self.request.user).select_related("region")
        return self.form.filter(organisations).with_named_officers()

    def get_context_data(self, **kwargs):
        return super().get_context_data(form=self.form, **kwargs)


class OrganisationDetailView(LoginRequiredMixin, DetailView):
    """An organisation's public profile; key contacts and the board director only for those allowed."""

    template_name = "organisations/detail.html"
    context_object_name = "organisation"
    extra_context = {"nav_section": "organisations"}

    def get_object(self, queryset=None):
        organisations = Organisation.objects.visible_to(self.request.user).select_related(
            "region", "parent_icb", "parent", "successor", "committee"
        )
        return get_object_or_404(organisations, ods_code=self.kwargs["ods_code"].upper())

    def get_context_data(self, **kwargs):
        organisation = self.object
        user = self.request.user
        appointments = list(organisation.appointments.current().in_role_order().select_related("person"))
        show_private = Organisation.objects.private_details_visible_to(user).filter(pk=organisation.pk).exists()
        return super().get_context_data(
            appointments=appointments,
            has_named_mso=any(a.role == Appointment.Role.MSO for a in appointments),
            has_named_mdso=any(a.role == Appointment.Role.MDSO for a in appointments),
            contact_visible=Person.objects.contact_visible_ids(user, [a.person for a in appointments]),
            committee=getattr(organisation, "committee", None),
            networks=Network.objects.for_organisation(organisation).select_related("region"),
            show_private=show_private,
            key_contacts=list(organisation.key_contacts.all()) if show_private else [],
            open_flags=list(
                Flag.objects.visible_to(user)
                .open()
                .filter(organisation=organisation)
                .select_related("appointment__person")
            ),
            **kwargs,
        )


# At most this many suggestions; fewer characters than SEARCH_MIN_LENGTH give none.
SEARCH_SUGGESTIONS = 10
SEARCH_MIN_LENGTH = 2


@require_GET
def search_json(request):
    """Type-ahead suggestions for the organisation search: up to 10 open organisations matching the
    name or ODS code, exact code first, as {"results": [{"ods_code", "name", "region"}]}. One query.
    Signed-in users only (401 otherwise, as a script cannot follow the sign-in page)."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Sign in to search organisations."}, status=401)
    text = " ".join(request.GET.get("q", "").split())[:255]
    results = []
    if len(text) >= SEARCH_MIN_LENGTH:
        organisations = Organisation.objects.open().search(text).exact_code_first(text)
        results = [
            {"ods_code": row["ods_code"], "name": row["name"], "region": row["region__name"] or ""}
            for row in organisations.values("ods_code", "name", "region__name")[:SEARCH_SUGGESTIONS]
        ]
    return JsonResponse({"results": results})
