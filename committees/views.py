"""The medication safety committee record of an organisation, its members and terms of reference, and
the cross-organisation view for the national lead and chairs.

Every organisation page fetches the organisation through `access.scopes.organisation_for_profile`:
404 for those who may not see its private profile (`access.scopes.organisations_with_profile`), 403
on a change page for those who may see but not change it (`organisations_editable`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import Lower
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from access import scopes
from organisations.models import Organisation

from . import services, uploads
from .forms import CommitteeFilterForm, CommitteeForm, CommitteeMemberForm, TermsOfReferenceForm
from .models import Committee, CommitteeMember

COMMITTEES_PER_PAGE = 50


def _page(request, template: str, context: dict, status: int = 200):
    return render(request, template, {"nav_section": "organisations", **context}, status=status)


def _committee_or_none(organisation: Organisation) -> Committee | None:
    return Committee.objects.filter(organisation=organisation).first()


def _committee_required(organisation: Organisation) -> Committee:
    """The organisation's committee; 404 when none is recorded yet."""
    return get_object_or_404(Committee, organisation=organisation)


@login_required
def detail(request, ods_code):
    """The committee record with its members, for those who may see the organisation's profile."""
    organisation = scopes.organisation_for_profile(
        request.user, ods_code, queryset=Organisation.objects.select_related("region")
    )
    committee = _committee_or_none(organisation)
    members = list(committee.members.select_related("person")) if committee else []
    return _page(
        request,
        "committees/detail.html",
        {"organisation": organisation, "committee": committee, "members": members},
    )


@login_required
def edit(request, ods_code):
    """Record the committee, or change its record."""
    organisation = scopes.organisation_for_profile(request.user, ods_code, edit=True)
    committee = _committee_or_none(organisation)
    form = CommitteeForm(request.POST or None, initial=CommitteeForm.initial_for(committee))
    if request.method == "POST" and form.is_valid():
        try:
            services.committee_save(organisation=organisation, user=request.user, values=form.values())
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "The committee record has been saved.")
            return redirect("committees:detail", ods_code=organisation.ods_code)
    return _page(request, "committees/edit.html", {"organisation": organisation, "committee": committee, "form": form})


def _member_page(request, organisation, committee, form, member=None):
    return _page(
        request,
        "committees/member_form.html",
        {"organisation": organisation, "committee": committee, "form": form, "member": member},
    )


@login_required
def member_add(request, ods_code):
    organisation = scopes.organisation_for_profile(request.user, ods_code, edit=True)
    committee = _committee_required(organisation)
    form = CommitteeMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.committee_member_save(committee=committee, user=request.user, values=form.values())
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"{member.name} added to the committee.")
            return redirect("committees:detail", ods_code=organisation.ods_code)
    return _member_page(request, organisation, committee, form)


def _get_member(committee: Committee, pk: int) -> CommitteeMember:
    return get_object_or_404(CommitteeMember, pk=pk, committee=committee)


@login_required
def member_edit(request, ods_code, pk):
    organisation = scopes.organisation_for_profile(request.user, ods_code, edit=True)
    committee = _committee_required(organisation)
    member = _get_member(committee, pk)
    form = CommitteeMemberForm(request.POST or None, initial=CommitteeMemberForm.initial_for(member))
    if request.method == "POST" and form.is_valid():
        try:
            member = services.committee_member_save(
                committee=committee, user=request.user, values=form.values(), member=member
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"{member.name}'s details have been saved.")
            return redirect("committees:detail", ods_code=organisation.ods_code)
    return _member_page(request, organisation, committee, form, member)


@login_required
def member_remove(request, ods_code, pk):
    """GET asks to confirm; POST removes the member."""
    organisation = scopes.organisation_for_profile(request.user, ods_code, edit=True)
    committee = _committee_required(organisation)
    member = _get_member(committee, pk)
    if request.method == "POST":
        services.committee_member_remove(member=member, user=request.user)
        messages.success(request, f"{member.name} removed from the committee.")
        return redirect("committees:detail", ods_code=organisation.ods_code)
    return _page(
        request,
        "committees/member_remove.html",
        {"organisation": organisation, "committee": committee, "member": member},
    )


# The terms of reference: uploaded by the named officers, downloaded by anyone who may see the profile.


@csrf_exempt
@login_required
def terms_of_reference_upload(request, ods_code):
    """Upload (or replace) the terms of reference. Who may do it is checked before the request body
    is read; a file larger than the limit is then not read beyond it: the upload handler stops it
    before anything is stored, even in a temporary file. The handler must be in place before the
    body is read, so this view is exempt from the CSRF middleware (which reads the body) and the
    inner view checks the token instead."""
    organisation = scopes.organisation_for_profile(request.user, ods_code, edit=True)
    committee = _committee_or_none(organisation)
    if committee is None:
        messages.info(request, "Record the committee first; then you can upload its terms of reference.")
        return redirect("committees:edit", ods_code=organisation.ods_code)
    handler = uploads.SizeLimitUploadHandler(request)
    request.upload_handlers.insert(0, handler)
    return _terms_of_reference_upload(request, organisation, committee, handler)


@csrf_protect
def _terms_of_reference_upload(request, organisation, committee, handler):
    if request.method == "POST":
        form = TermsOfReferenceForm(request.POST, request.FILES, too_large=handler.too_large)
    else:
        form = TermsOfReferenceForm()
    if request.method == "POST" and form.is_valid():
        try:
            services.terms_of_reference_upload(committee=committee, user=request.user, upload=form.cleaned_data["file"])
        except ValidationError as error:
            form.add_error("file", error.messages)
        else:
            messages.success(request, "The terms of reference have been uploaded.")
            return redirect("committees:detail", ods_code=organisation.ods_code)
    return _page(
        request,
        "committees/terms_of_reference_upload.html",
        {"organisation": organisation, "committee": committee, "form": form},
    )


@login_required
def terms_of_reference_download(request, ods_code):
    """The terms of reference file, for those who may see the organisation's profile (404 for anyone
    else), as an attachment of the type recorded when it was checked, never sniffed by the browser."""
    organisation = scopes.organisation_for_profile(request.user, ods_code)
    committee = _committee_required(organisation)
    if not committee.terms_of_reference:
        raise Http404("No terms of reference.")
    try:
        file = committee.terms_of_reference.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The terms of reference file is missing.") from exc
    filename = f"{slugify(organisation.name)[:80] or organisation.ods_code}-terms-of-reference"
    response = FileResponse(
        file,
        as_attachment=True,
        filename=filename + committee.terms_of_reference_extension,
        content_type=committee.terms_of_reference_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def terms_of_reference_remove(request, ods_code):
    """GET asks to confirm; POST removes the terms of reference."""
    organisation = scopes.organisation_for_profile(request.user, ods_code, edit=True)
    committee = _committee_required(organisation)
    if not committee.terms_of_reference:
        return redirect("committees:detail", ods_code=organisation.ods_code)
    if request.method == "POST":
        services.terms_of_reference_remove(committee=committee, user=request.user)
        messages.success(request, "The terms of reference have been removed.")
        return redirect("committees:detail", ods_code=organisation.ods_code)
    return _page(
        request, "committees/terms_of_reference_remove.html", {"organisation": organisation, "committee": committee}
    )


# Across organisations: the national lead (every committee) and chairs (their networks' organisations).


@login_required
def overview(request):
    """The committees recorded, with counts of those with patient representation and terms of
    reference, filterable and paginated; a fixed number of queries whatever the number of rows."""
    user = request.user
    if not (user.is_national_lead or scopes.is_chair(user)):
        raise Http404("No committees here.")
    form = CommitteeFilterForm(request.GET or None)
    committees = form.filter(Committee.objects.visible_to(user))
    rows = (
        committees.select_related("organisation__region")
        .annotate(member_count=Count("members"))
        .order_by(Lower("organisation__name"), "organisation__ods_code")
    )
    page_obj = Paginator(rows, COMMITTEES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "committees/overview.html",
        {"form": form, "page_obj": page_obj, "counts": committees.counts(), "nav_section": "committees"},
    )
