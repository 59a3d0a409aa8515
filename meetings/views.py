"""Pages for meetings and their attendance: for the national lead (every network) and the chairs and
vice-chairs of a network (its meetings only). Everything is fetched through
`scopes.networks_with_membership` and `Meeting.objects.visible_to`, so anyone else gets 404.

Beside them, every signed-in user with a person record (and the lead) has the "Webinars and
meetings" page of what they are invited to (`Meeting.objects.for_audience`) and a personal calendar
feed, served without sign-in at its secret address."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from access import scopes
from msonet import spreadsheets
from networks.models import Network
from officers.models import Appointment, by_surname

from .attendance_export import attendance_export
from .attendance_files import UploadError, parse_attendance_rows, parse_teams_report
from .attendance_import import (
    ImportPlan,
    ImportRefused,
    attendance_import_commit,
    attendance_import_plan,
    sign_attendees,
    unsign_attendees,
)
from .calendar import feed_ics
from .forms import AttendanceMarkForm, AttendanceUploadForm, ImportConfirmForm, MatchForm, MeetingForm, PersonSearchForm
from .models import Attendance, CalendarFeed, ExportLog, Meeting, UnmatchedAttendee
from .services import (
    attendance_candidates,
    attendance_mark,
    attendance_remove,
    calendar_feed_for,
    calendar_feed_meetings,
    calendar_feed_reset,
    matchable_people,
    meeting_cancel,
    meeting_save,
    person_search,
    unmatched_dismiss,
    unmatched_match,
)

MEETINGS_PER_PAGE = 25
ATTENDEES_PER_PAGE = 100
CANDIDATES_PER_PAGE = 25
SEARCH_RESULTS = 20

TEAMS_HELP = (
    "The attendance report downloaded from Microsoft Teams (CSV, in UTF-8 or UTF-16, comma or tab separated), "
    "or the same saved as Excel (XLSX)."
)
PLAIN_HELP = (
    "A CSV or Excel (XLSX) file with a header row naming the columns Meeting ID and Email, and optionally "
    "Name and Minutes attended, as in an attendance download."
)


def _current_appointments():
    return Prefetch(
        "person__appointments",
        queryset=Appointment.objects.current().in_role_order().select_related("organisation"),
        to_attr="current_appointments",
    )


def _nav_section(user, network) -> str:
    return "my-networks" if scopes.chairs(user, network) else "networks"


def _get_network_for_meetings(user, slug: str) -> Network:
    """A network whose meetings the user may manage; 404 otherwise, as for one that does not exist."""
    return get_object_or_404(scopes.networks_with_membership(user), slug=slug)


def _get_meeting_for_user(user, pk: int) -> Meeting:
    """A meeting the user may manage (Meeting.objects.visible_to); 404 for anyone else."""
    return get_object_or_404(Meeting.objects.visible_to(user).select_related("network", "recorded_by"), pk=pk)


def _meetings_page(request, meetings):
    meetings = meetings.select_related("network").with_counts().order_by("-held_on", "-pk")
    return Paginator(meetings, MEETINGS_PER_PAGE).get_page(request.GET.get("page"))


@login_required
def meeting_list(request, slug):
    """A network's meetings, newest first, with how many attended and how many wait to be matched."""
    network = _get_network_for_meetings(request.user, slug)
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "network": network,
            "page_obj": _meetings_page(request, network.meetings.all()),
            "counting_ids": set(Meeting.objects.last_national_webinars().values_list("pk", flat=True))
            if network.kind == Network.Kind.NATIONAL
            else set(),
            "nav_section": _nav_section(request.user, network),
        },
    )


@login_required
def webinar_list(request):
    """The national webinars, newest first; the last three held so far decide who is an active member."""
    network = get_object_or_404(scopes.networks_with_membership(request.user), kind=Network.Kind.NATIONAL)
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "network": network,
            "webinars_only": True,
            "page_obj": _meetings_page(request, Meeting.objects.visible_to(request.user).national_webinars()),
            "counting_ids": set(Meeting.objects.last_national_webinars().values_list("pk", flat=True)),
            "nav_section": _nav_section(request.user, network),
        },
    )


def _meeting_form_page(request, *, network, meeting):
    was_scheduled, sequence = meeting.is_scheduled, meeting.sequence  # before the form changes the instance
    form = MeetingForm(request.POST or None, instance=meeting, network=network)
    if request.method == "POST" and form.is_valid():
        creating = form.instance.pk is None
        try:
            meeting = meeting_save(meeting=form.instance, user=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if meeting.is_scheduled and not was_scheduled:
                done = "scheduled, and the invitations are on their way"
            elif meeting.sequence != sequence:
                done = "rescheduled, and the updates are on their way"
            else:
                done = "recorded" if creating else "saved"
            messages.success(request, f"Meeting {done}: {meeting.title}.")
            return redirect(meeting)
    return render(
        request,
        "meetings/meeting_form.html",
        {
            "form": form,
            "network": network,
            "meeting": meeting if meeting.pk else None,
            "nav_section": _nav_section(request.user, network),
        },
    )


@login_required
def meeting_create(request, slug):
    network = _get_network_for_meetings(request.user, slug)
    return _meeting_form_page(request, network=network, meeting=Meeting(network=network))


@login_required
def meeting_edit(request, pk):
    meeting = _get_meeting_for_user(request.user, pk)
    return _meeting_form_page(request, network=meeting.network, meeting=meeting)


@login_required
def meeting_detail(request, pk):
    """A meeting: who attended (paginated), the imported attendees waiting to be matched, and links to
    mark attendance, import a Teams report and download the attendance."""
    meeting = _get_meeting_for_user(request.user, pk)
    attendances = (
        meeting.attendances.select_related("person", "recorded_by")
        .prefetch_related(_current_appointments())
        .order_by(*by_surname("person__"), "pk")
    )
    page_obj = Paginator(attendances, ATTENDEES_PER_PAGE).get_page(request.GET.get("page"))
    unmatched = list(meeting.unmatched_attendees.open().order_by(Lower("name"), "email", "pk"))
    return render(
        request,
        "meetings/meeting_detail.html",
        {
            "meeting": meeting,
            "network": meeting.network,
            "page_obj": page_obj,
            "unmatched": unmatched,
            "nav_section": _nav_section(request.user, meeting.network),
        },
    )


@login_required
def attendance_add(request, pk):
    """Mark attendance without JavaScript: the network's members not yet recorded, searchable and
    paginated, each with a checkbox; the ticked ones are recorded together."""
    meeting = _get_meeting_for_user(request.user, pk)
    candidates = attendance_candidates(meeting)
    form = AttendanceMarkForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            count = attendance_mark(meeting=meeting, people=form.cleaned_data["people"], user=request.user)
        except ValidationError as error:
            form.add_error("people", " ".join(error.messages))
        else:
            messages.success(request, f"{count} {'person' if count == 1 else 'people'} marked as attending.")
            return redirect(meeting)
    search = PersonSearchForm(request.GET or None)
    listed = person_search(search.text()).filter(pk__in=candidates.values("pk")) if search.text() else candidates
    listed = listed.order_by(*by_surname(), "pk").prefetch_related(
        Prefetch(
            "appointments",
            queryset=Appointment.objects.current().in_role_order().select_related("organisation"),
            to_attr="current_appointments",
        )
    )
    page_obj = Paginator(listed, CANDIDATES_PER_PAGE).get_page(request.GET.get("page"))
    chosen = {str(value) for value in request.POST.getlist("people")}
    return render(
        request,
        "meetings/attendance_add.html",
        {
            "meeting": meeting,
            "network": meeting.network,
            "form": form,
            "search": search,
            "page_obj": page_obj,
            "chosen": chosen,
            "nav_section": _nav_section(request.user, meeting.network),
        },
    )


@login_required
def attendance_remove_view(request, pk, attendance_pk):
    """Ask, then remove one attendance."""
    meeting = _get_meeting_for_user(request.user, pk)
    attendance = get_object_or_404(
        Attendance.objects.select_related("person", "meeting"), meeting=meeting, pk=attendance_pk
    )
    if request.method == "POST":
        attendance_remove(attendance=attendance, user=request.user)
        messages.success(request, f"{attendance.person.full_name} removed from the attendance.")
        return redirect(meeting)
    return render(
        request,
        "meetings/attendance_remove.html",
        {
            "meeting": meeting,
            "network": meeting.network,
            "attendance": attendance,
            "nav_section": _nav_section(request.user, meeting.network),
        },
    )


def _import_page(request, *, meeting, network, parse, source, help_text, template_context):
    """Upload → preview (nothing written) → confirm (all or nothing), for a Teams report into one
    meeting (`meeting`) or a plain attendance file naming its meetings (`meeting` None)."""
    meeting_id = meeting.pk if meeting else None
    form = AttendanceUploadForm(help_text=help_text)
    plan = token = confirm_error = None
    if request.method == "POST" and "token" in request.POST:
        confirm = ImportConfirmForm(request.POST)
        try:
            if not confirm.is_valid():
                raise UploadError("The preview could not be read. Upload the file again.")
            attendees = unsign_attendees(confirm.cleaned_data["token"], user=request.user, meeting_id=meeting_id)
            plan = attendance_import_commit(
                user=request.user,
                attendees=attendees,
                source=source,
                meeting_ids={meeting_id} if meeting_id else None,
            )
        except UploadError as error:
            confirm_error = str(error)
        except ImportRefused as refused:
            plan = ImportPlan(errors=refused.errors)
            messages.error(request, "Nothing was imported: the file has rows in error.")
        except PermissionDenied as error:
            raise Http404(str(error)) from error
        else:
            messages.success(request, f"Import done: {plan.summary()}.")
            return redirect(meeting or reverse("meetings:attendance-import"))
    elif request.method == "POST":
        form = AttendanceUploadForm(request.POST, request.FILES, help_text=help_text)
        if form.is_valid():
            attendees, errors = parse(form.rows)
            plan = attendance_import_plan(user=request.user, attendees=attendees, errors=errors)
            if not plan.errors and plan.changes_anything:
                token = sign_attendees(user=request.user, attendees=attendees, meeting_id=meeting_id)
    return render(
        request,
        "meetings/attendance_import.html",
        {
            "form": form,
            "plan": plan,
            "token": token,
            "confirm_error": confirm_error,
            "meeting": meeting,
            "network": network,
            **template_context,
        },
    )


@login_required
def teams_import(request, pk):
    """Import a Microsoft Teams attendance report into this meeting."""
    meeting = _get_meeting_for_user(request.user, pk)
    return _import_page(
        request,
        meeting=meeting,
        network=meeting.network,
        parse=lambda rows: parse_teams_report(rows, meeting_id=meeting.pk),
        source=Attendance.Source.TEAMS,
        help_text=TEAMS_HELP,
        template_context={"nav_section": _nav_section(request.user, meeting.network), "teams": True},
    )


@login_required
def attendance_import(request):
    """Import a plain attendance file (Meeting ID and Email rows) into any meetings the user manages."""
    if not scopes.networks_with_membership(request.user).exists():
        raise Http404("No meetings to import attendance into.")
    return _import_page(
        request,
        meeting=None,
        network=None,
        parse=parse_attendance_rows,
        source=Attendance.Source.IMPORT,
        help_text=PLAIN_HELP,
        template_context={"nav_section": "networks", "teams": False},
    )


@login_required
def attendance_export_view(request, pk, file_format):
    """A meeting's attendance as CSV or XLSX; every download is logged."""
    if file_format not in ExportLog.Format.values:
        raise Http404("No such export format.")
    meeting = _get_meeting_for_user(request.user, pk)
    content = attendance_export(user=request.user, meeting=meeting, file_format=file_format)
    response = HttpResponse(content, content_type=spreadsheets.CONTENT_TYPES[file_format])
    filename = f"attendance-{meeting.network.slug}-{meeting.held_on:%Y-%m-%d}-{meeting.pk}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _get_open_row(meeting, row_pk) -> UnmatchedAttendee:
    return get_object_or_404(meeting.unmatched_attendees.open().select_related("meeting"), pk=row_pk)


@login_required
def unmatched_match_view(request, pk, row_pk):
    """Find the person an imported attendee is (search by name or email), then match them."""
    meeting = _get_meeting_for_user(request.user, pk)
    row = _get_open_row(meeting, row_pk)
    form = MatchForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            person = form.cleaned_data["person"]
            try:
                unmatched_match(row=row, person=person, user=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, f"{row.name or row.email} matched to {person.full_name}.")
            return redirect(meeting)
        messages.error(request, " ".join(form.errors.get("person", ["Choose the person"])))
    search = PersonSearchForm(request.GET or {"q": row.email or row.name})
    results = list(
        person_search(search.text(), matchable_people(user=request.user, network_id=meeting.network_id))
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "appointments",
                queryset=Appointment.objects.current().in_role_order().select_related("organisation"),
                to_attr="current_appointments",
            )
        )[:SEARCH_RESULTS]
    )
    return render(
        request,
        "meetings/unmatched_match.html",
        {
            "meeting": meeting,
            "network": meeting.network,
            "row": row,
            "search": search,
            "results": results,
            "search_limit": SEARCH_RESULTS,
            "contact_visible": scopes.contact_visible_ids(request.user, results),
            "nav_section": _nav_section(request.user, meeting.network),
        },
    )


@login_required
@require_POST
def unmatched_dismiss_view(request, pk, row_pk):
    meeting = _get_meeting_for_user(request.user, pk)
    row = _get_open_row(meeting, row_pk)
    try:
        unmatched_dismiss(row=row, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{row.name or row.email} dismissed.")
    return redirect(meeting)


@login_required
def meeting_cancel_view(request, pk):
    """Ask, then cancel a scheduled meeting: everyone invited is sent a cancellation."""
    meeting = _get_meeting_for_user(request.user, pk)
    if request.method == "POST":
        try:
            meeting_cancel(meeting=meeting, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Meeting cancelled: {meeting.title}. The cancellations are on their way.")
        return redirect(meeting)
    return render(
        request,
        "meetings/meeting_cancel.html",
        {
            "meeting": meeting,
            "network": meeting.network,
            "can_cancel": meeting.is_scheduled and not meeting.is_cancelled and meeting.ends_at > timezone.now(),
            "nav_section": _nav_section(request.user, meeting.network),
        },
    )


def _check_has_calendar(user) -> None:
    """The Webinars and meetings page and the feed's reset are for everyone with a person record
    in the register, and the national lead; 404 for anyone else."""
    if not (user.is_national_lead or user.person_record is not None):
        raise Http404("No webinars or meetings for this account.")


def _feed_url(feed: CalendarFeed) -> str:
    return settings.SITE_URL + feed.get_absolute_url()


@login_required
def upcoming(request):
    """The scheduled webinars and meetings the user is invited to that have not ended (cancelled
    ones marked), and their personal calendar feed's address with how to subscribe."""
    _check_has_calendar(request.user)
    meetings = (
        Meeting.objects.for_audience(request.user)
        .filter(ends_at__gt=timezone.now())
        .select_related("network")
        .order_by("starts_at", "pk")
    )
    page_obj = Paginator(meetings, MEETINGS_PER_PAGE).get_page(request.GET.get("page"))
    managed = set(
        scopes.networks_with_membership(request.user)
        .filter(pk__in={meeting.network_id for meeting in page_obj.object_list})
        .values_list("pk", flat=True)
    )
    feed = calendar_feed_for(user=request.user)
    feed_url = _feed_url(feed)
    national = Network.objects.filter(kind=Network.Kind.NATIONAL).first() if request.user.is_national_lead else None
    return render(
        request,
        "meetings/upcoming.html",
        {
            "page_obj": page_obj,
            "managed": managed,
            "feed_url": feed_url,
            "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
            "national": national,
            "nav_section": "webinars",
        },
    )


@login_required
@require_POST
def calendar_feed_reset_view(request):
    """Give the user's calendar feed a new address; calendars subscribed to the old one stop updating."""
    _check_has_calendar(request.user)
    calendar_feed_reset(user=request.user)
    messages.success(
        request, "Your calendar link has been reset. Subscribe again in your calendar with the new link below."
    )
    return redirect("meetings:upcoming")


@require_GET
def calendar_feed(request, token):
    """A user's calendar feed (RFC 5545), for calendar programs: no sign-in, the secret token is the
    key; an unknown (or reset) token, or a deactivated account, answers 404. It names no one."""
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token, user__is_active=True)
    response = HttpResponse(feed_ics(calendar_feed_meetings(feed)), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    response["Content-Disposition"] = 'inline; filename="mso-network.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
