"""The organisation page, and the pages where its officers keep its key contacts and board director.

Every page fetches the organisation through `access.scopes.organisation_for_profile`: 404 for
those who may not see the private profile, 403 on a change page for those who may see but not change it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.generic import DetailView

from access import scopes
from audit.services import contact_views_record
from compliance.coverage import add_coverage, organisation_coverage
from compliance.models import Flag
from handovers.models import Handover
from handovers.services import handover_can_start
from msonet import generations
from networks.models import Network
from officers.models import TeamProposal
from officers.team import team_proposal_submit
from officers.team_forms import TeamProposalForm
from organisations import profile
from organisations.models import KeyContact, Organisation
from organisations.profile_forms import BoardDirectorForm, KeyContactForm

# What the page shows of each handover in progress: the fields read by detail.html and
# handovers/status_tag.html (the role, the outgoing and incoming officers' names, the dates, the
# status and, when at another organisation, its name).
_HANDOVER_SHOWN = (
    "leaving_date",
    "due_date",
    "status",
    "organisation__name",
    "outgoing_appointment__role",
    "outgoing_appointment__person__first_name",
    "outgoing_appointment__person__last_name",
    "incoming_appointment__person__first_name",
    "incoming_appointment__person__last_name",
)


# The generation (msonet.generations) of what the organisation page shows (`page_data`): the
# organisation, its coverage, officers, handovers, flags, networks, key contacts and team proposals,
# and the records the user's access to them rests on (watched in apps.py).
GENERATION = "organisation-page"


class OrganisationProfileView(LoginRequiredMixin, DetailView):
    """An organisation's page. Everyone signed in sees the public profile: the organisation, its
    named MSO and MDSO and its generic mailbox. Those who may see the private profile
    (`access.scopes.organisations_with_profile`) also see the medication safety team, the key
    contacts, the board director and the committee summary; its officers get links to change them."""

    template_name = "organisations/detail.html"
    context_object_name = "organisation"
    extra_context = {"nav_section": "organisations"}

    def get_object(self, queryset=None):
        """The organisation, with what the page shows of it (`page_data`) as `self.page`, kept until
        one of the tables it is read from changes (keyed by the organisation, the user and the day)."""
        user = self.request.user
        ods_code = self.kwargs["ods_code"].upper()
        day = timezone.localdate()
        key = ("page", ods_code, scopes.user_key(user), day)
        self.page = generations.cached(GENERATION, key, lambda: page_data(user, ods_code, day))
        return self.page["organisation"]

    def get_context_data(self, **kwargs):
        organisation = self.object
        user = self.request.user
        page = self.page
        appointments = page["appointments"]
        named = [a for a in appointments if a.is_named]
        contact_visible = {a.person_id for a in appointments if a.person_contact_visible}
        contact_views_record(
            viewer=user,
            people=[a.person for a in appointments if a.person_contact_visible],
            path=self.request.get_full_path(),
        )
        # Those who may start a handover (the holder, the national lead) see every handover of the
        # role, so the links below are never offered while one is in progress.
        in_progress = {handover.outgoing_appointment_id for handover in page["open_handovers"]}
        private = organisation.profile_visible
        return super().get_context_data(
            appointments=appointments,
            named_appointments=named,
            open_handovers=page["open_handovers"],
            handover_starts=[a for a in named if handover_can_start(user, a, in_progress=a.pk in in_progress)],
            today=page["day"],
            team_appointments=[a for a in appointments if not a.is_named],
            coverage=page["coverage"],
            contact_visible=contact_visible,
            committee=getattr(organisation, "committee", None) if private else None,
            networks=page["networks"],
            show_private=private,
            can_edit=organisation.profile_editable,
            key_contacts=page["key_contacts"],
            waiting_proposals=page["waiting_proposals"],
            open_flags=page["open_flags"],
            **kwargs,
        )


def page_data(user, ods_code: str, day) -> dict:
    """What the organisation page shows `user` of the organisation with this ODS code on `day`: the
    organisation with its coverage and the user's access to its profile, its current appointments
    (each saying whether the user may see the person's contact details), the handovers in progress
    and the open flags the user may see, its networks, and, as the user's access allows, its key
    contacts and the team proposals waiting for approval. 404 for an organisation not found."""
    organisations = Organisation.objects.visible_to(user).select_related(
        "region", "parent_icb", "parent", "successor", "committee"
    )
    organisations = scopes.with_profile_access(organisations, user)
    organisation = add_coverage([get_object_or_404(organisations, ods_code=ods_code)], day)[0]
    private = organisation.profile_visible
    # Each appointment says whether the user may see its person's contact details
    # (`access.scopes.people_with_contact`), in the same query.
    appointments = (
        organisation.appointments.current()
        .in_role_order()
        .select_related("person")
        .annotate(person_contact_visible=Exists(scopes.people_with_contact(user).filter(pk=OuterRef("person"))))
    )
    if not private:
        appointments = appointments.named()
    # The unfinished handovers of the organisation's roles (here, or at its successor when it has
    # closed) that the user may see.
    open_handovers = (
        Handover.objects.visible_to(user)
        .unfinished()
        .filter(Q(organisation=organisation) | Q(outgoing_appointment__organisation=organisation))
        .select_related("organisation", "outgoing_appointment__person", "incoming_appointment__person")
        .only(*_HANDOVER_SHOWN)
        .order_by("leaving_date", "pk")
    )
    return {
        "organisation": organisation,
        "day": day,
        "appointments": list(appointments),
        "open_handovers": list(open_handovers),
        "coverage": organisation_coverage(organisation, day),
        "networks": list(Network.objects.for_organisation(organisation).only("name", "slug", "kind")),
        "key_contacts": list(organisation.key_contacts.all()) if private else [],
        "waiting_proposals": (
            list(TeamProposal.objects.waiting().filter(organisation=organisation).order_by("submitted_at", "pk"))
            if organisation.profile_editable
            else []
        ),
        "open_flags": list(
            Flag.objects.visible_to(user).open().filter(organisation=organisation).select_related("appointment__person")
        ),
    }


def _edit_page(request, template: str, context: dict, status: int = 200):
    return render(request, template, {"nav_section": "organisations", **context}, status=status)


@login_required
def key_contacts(request, ods_code):
    """The key contacts and board director, with links to change them."""
    organisation = scopes.organisation_for_profile(request.user, ods_code, edit=True)
    return _edit_page(
        request,
        "organisations/key_contacts.html",
        {"organisation": organisation, "key_contacts": list(organisation.key_contacts.all())},
    )


def _contact_form_page(request, organisation, form, contact=None):
    return _edit_page(
        request,
        "organisations/key_contact_form.html",
        {"organisation": organisation, "form": form, "contact": contact},
    )


@login_required
def key_contact_add(request, ods_code):
    organisation = scopes.organisation_for_profile(request.user, ods_code, edit=True)
    form = KeyContactForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            contact = profile.key_contact_save(organisation=organisation, user=request.user, **form.values())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{contact.get_role_display()} added: {contact.name}.")
            return redirect("directory:key-contacts", ods_code=organisation.ods_code)
    return _contact_form_page(request, organisation, form)


def _get_contact(organisation, pk) -> KeyContact:
    return get_object_or_404(KeyContact, pk=pk, organisation=organisation)


@login_required
def key_contact_edit(request, ods_code, pk):
    organisation = scopes.organisation_for_profile(request.user, ods_code, edit=True)
    contact = _get_contact(organisation, pk)
    form = KeyContactForm(request.POST or None, instance=contact, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            contact = profile.key_contact_save(
                organisation=organisation, user=request.user, contact=contact, **form.values()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{contact.get_role_display()} changed: {contact.name}.")
            return redirect("directory:key-contacts", ods_code=organisation.ods_code)
    return _contact_form_page(request, organisation, form, contact)


@login_required
def key_contact_remove(request, ods_code, pk):
    """GET asks to confirm; POST removes."""
    organisation = scopes.organisation_for_profile(request.user, ods_code, edit=True)
    contact = _get_contact(organisation, pk)
    if request.method == "POST":
        profile.key_contact_remove(contact=contact, user=request.user)
        messages.success(request, f"{contact.get_role_display()} removed: {contact.name}.")
        return redirect("directory:key-contacts", ods_code=organisation.ods_code)
    return _edit_page(
        request, "organisations/key_contact_remove.html", {"organisation": organisation, "contact": contact}
    )


@login_required
def board_director(request, ods_code):
    organisation = scopes.organisation_for_profile(request.user, ods_code, edit=True)
    initial = {"name": organisation.board_director_name, "email": organisation.board_director_email}
    form = BoardDirectorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = profile.board_director_update(
            organisation=organisation,
            user=request.user,
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
        )
        if changed:
            messages.success(request, "The board director for medication safety has been saved.")
        else:
            messages.info(request, "Nothing was changed: the details are the same as before.")
        return redirect("directory:key-contacts", ods_code=organisation.ods_code)
    return _edit_page(request, "organisations/board_director_form.html", {"organisation": organisation, "form": form})


@login_required
def team_propose(request, ods_code):
    """The named MSO or MDSO (or the national lead) proposes someone for the medication safety team;
    the proposal waits in the national lead's queue."""
    organisation = scopes.organisation_for_profile(request.user, ods_code, edit=True)
    form = TeamProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = team_proposal_submit(organisation=organisation, proposed_by=request.user, **form.values())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"You proposed {proposal.full_name} as {proposal.get_role_display().lower()}. The national MSO "
                "team will review the proposal; you will receive an email when they decide.",
            )
            return redirect(organisation)
    return _edit_page(request, "organisations/team_propose.html", {"organisation": organisation, "form": form})
