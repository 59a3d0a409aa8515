"""A network's membership list: its organisations with their named officers, coverage and open
flags, for the membership page and its CSV or XLSX export."""

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from access import scopes
from audit.services import contact_views_record
from compliance import coverage
from compliance.coverage import add_coverage, in_place, with_coverage
from compliance.models import Flag
from meetings.models import ExportLog
from msonet import generations, spreadsheets
from networks.models import Membership, Network
from officers.models import Appointment, Person, named_officers
from organisations.coverage import expected
from organisations.models import Duty, Organisation

from . import exports
from .forms import MembershipFilterForm

# The generation (msonet.generations) of what a network's membership page shows: which organisations
# are its members (the network's region, or its members' appointments), their coverage, their named
# officers and their open flags (watched in apps.py).
GENERATION = "membership"
ROWS_TEMPLATE = "networks/membership_rows.html"
TABLES = [*coverage.TABLES, *(model._meta.db_table for model in (Person, Network, Membership, Flag))]


def membership_list(network: Network, user):
    """The network's organisations for its export, by name: `with_details` and their coverage
    (`with_coverage`: expected, named, covered, for each duty)."""
    return with_coverage(with_details(network.member_organisations(), user).by_name())


def with_details(organisations, user):
    """`organisations` with what the membership list shows of each: its named MSO and MDSO (and
    their person) prefetched and `open_flag_count` (the open compliance flags the user may see)."""
    open_flags = (
        Flag.objects.visible_to(user)
        .open()
        .filter(organisation=OuterRef("pk"))
        .order_by()
        .values("organisation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return organisations.prefetch_related(named_officers()).annotate(open_flag_count=Coalesce(Subquery(open_flags), 0))


def membership_page(network: Network, user, form: MembershipFilterForm, number, per_page: int) -> Page:
    """Page `number` of the network's membership list as `form` filters it, its organisations
    `with_details` and their coverage (`add_coverage`). The page is cut from the ids of the
    filtered organisations, so that the details and coverage are fetched for its organisations
    alone, not for every one before it. The ids, and the page's organisations, are kept until what
    they are read from changes (`GENERATION`): the gaps filter is costly to build and to run."""
    day = timezone.localdate()
    ids = generations.cached(
        GENERATION,
        ("ids", network.pk, day, sorted(form.applied().items())),
        lambda: list(form.filter(network.member_organisations()).by_name().values_list("pk", flat=True)),
    )
    page = Paginator(ids, per_page).get_page(number)
    organisations = with_details(Organisation.objects.filter(pk__in=page.object_list), user).by_name()
    # The page's key (None for a page Django knows to be empty) also names its rendered rows (`membership_rows`).
    page.key = generations.query_key(organisations, day)
    if page.key is None:
        page.object_list = add_coverage(list(organisations), day)
    else:
        page.object_list = generations.cached(
            GENERATION, f"page:{page.key}", lambda: add_coverage(list(organisations), day), using=organisations.db
        )
    return page


def membership_rows(page: Page, contact_visible: set[int], active_members: set[int]) -> str:
    """The page's rows of the table (ROWS_TEMPLATE), rendered once and kept with the page's
    organisations (`membership_page`) for the contact details and active members they show."""

    def render():
        context = {
            "organisations": page.object_list,
            "contact_visible": contact_visible,
            "active_members": active_members,
        }
        return render_to_string(ROWS_TEMPLATE, context)

    if page.key is None:
        return render()
    return generations.cached(GENERATION, ("rows", page.key, sorted(contact_visible), sorted(active_members)), render)


def contact_visible_ids(user, people) -> set[int]:
    """`scopes.contact_visible_ids` of the people a page of the list shows, kept until the tables the
    rule reads from change (the people, networks, memberships, appointments and organisations, all
    watched by `GENERATION`), for this user (`scopes.user_key`)."""
    key = ("contacts", scopes.user_key(user), sorted({person.pk for person in people}))
    return generations.cached(GENERATION, key, lambda: scopes.contact_visible_ids(user, people))


def mso_coverage(network: Network) -> dict | None:
    """For a network with a region: how many of the region's open organisations are expected to
    name an MSO, how many of them have one in place (their own or a covering organisation's) and
    how many are missing one (one query). None for a network without a region."""
    if network.region_id is None:
        return None
    day = timezone.localdate()
    counts = Organisation.objects.filter(region_id=network.region_id).aggregate(
        expected=Count("pk", filter=expected(Duty.MSO, day)),
        in_place=Count("pk", filter=expected(Duty.MSO, day) & in_place(Duty.MSO, day)),
    )
    return {**counts, "missing": counts["expected"] - counts["in_place"]}


@transaction.atomic
def membership_export(*, user, network: Network, organisations, file_format: str) -> bytes:
    """The membership list `organisations` (from `membership_list`, filtered) as a CSV or XLSX file,
    holding the officers' contact details only where the user may see them; logged."""
    officers = Appointment.objects.current().named().filter(organisation__in=organisations.values("pk"))
    contact_visible = set(
        scopes.people_with_contact(user).filter(pk__in=officers.values("person")).values_list("pk", flat=True)
    )
    organisations = list(organisations)
    rows = exports.membership_rows(organisations, contact_visible)
    shown = [
        appointment.person
        for organisation in organisations
        for appointment in (organisation.named_mso, organisation.named_mdso)
        if appointment is not None and appointment.person_id in contact_visible
    ]
    contact_views_record(
        viewer=user, people=shown, path=reverse("directory:membership-export", args=[network.slug, file_format])
    )
    content = spreadsheets.write_table(file_format, exports.HEADERS, rows, title=network.name)
    ExportLog.objects.create(user=user, network=network, format=file_format, row_count=len(rows))
    return content
