"""Who may see what: each scope of the portal, stated once.

Every scope rests on a few facts about the signed-in user:

- an anonymous visitor sees nothing and the national lead sees everything (`scoped`);
- the networks they chair or vice-chair now (`chaired_networks`), the regions of those networks
  (`chaired_regions`) and their current members (`chaired_members`);
- the organisations where they hold an active appointment (`own_organisations`), and those where
  they are the active named MSO or MDSO (`named_organisations`).

The scopes built from them (an organisation's private profile, a person's contact details, a
network's membership list) are functions here; the apps above (handovers, meetings, committees,
compliance, workspace, imports) state their `visible_to` querysets through the same facts, and every
page, export, import and task asks through those. Anyone outside a scope gets 404 from the page.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.http import Http404

from networks.models import Membership, Network
from officers.models import Appointment, Person
from organisations.models import Organisation, Region


def scoped(queryset: QuerySet, user, rule: Callable[[], Q]) -> QuerySet:
    """`queryset` as `user` may see it: nothing for an anonymous visitor, all of it for the national
    lead, otherwise the rows `rule()` allows (only built for a signed-in user who is not the lead)."""
    if not user.is_authenticated:
        return queryset.none()
    if user.is_national_lead:
        return queryset
    return queryset.filter(rule())


def user_key(user) -> str:
    """What the scopes read of the user themself (the rest they read from the tables): a part of the
    key of a value cached for one user, such as whose contact details they may see."""
    return f"user:{user.pk}:{user.is_authenticated}:{getattr(user, 'is_national_lead', False)}"


def lead_only(queryset: QuerySet, user) -> QuerySet:
    """All of `queryset` for the national lead, nothing for anyone else."""
    return scoped(queryset, user, lambda: Q(pk__in=[]))


# The networks the user chairs, and what follows from chairing them.


def chaired_network_ids(user) -> QuerySet:
    """The networks the user currently chairs or vice-chairs, as a subquery of network ids."""
    return Membership.objects.current().chairs().filter(person__user=user).values("network")


def chaired_networks(user) -> list[Network]:
    """The networks the user currently chairs or vice-chairs (one query, kept on the user object for
    the rest of the request)."""
    if not user.is_authenticated:
        return []
    if not hasattr(user, "_chaired_networks"):
        user._chaired_networks = list(Network.objects.filter(pk__in=chaired_network_ids(user)))
    return user._chaired_networks


def is_chair(user) -> bool:
    return bool(chaired_networks(user))


def chairs(user, network: Network) -> bool:
    """Whether the user currently chairs or vice-chairs `network`."""
    return any(chaired.pk == network.pk for chaired in chaired_networks(user))


def requires_mfa(user) -> bool:
    """National leads and network chairs see the contact details of many officers, so they must
    protect their account with an authenticator app (two-factor authentication)."""
    return user.is_authenticated and (user.is_national_lead or is_chair(user))


def chaired_regions(user, *, regional_networks_only: bool = False) -> QuerySet:
    """The regions of the networks the user chairs, as a subquery of region ids: every chaired network
    that has a region, or (`regional_networks_only`) only the regional networks."""
    networks = Network.objects.filter(pk__in=chaired_network_ids(user))
    if regional_networks_only:
        networks = networks.filter(kind=Network.Kind.REGIONAL)
    return networks.filter(region__isnull=False).values("region")


def in_chaired_regions(user, organisation: str = "organisation", *, regional_networks_only: bool = False) -> Q:
    """Rows whose organisation (the lookup `organisation`) is in a region of a network the user chairs."""
    regions = chaired_regions(user, regional_networks_only=regional_networks_only)
    return Q(**{f"{organisation}__region__in": regions})


def regions_in_scope(user) -> QuerySet:
    """The regions a user's regional scopes (`in_chaired_regions`) can reach, for their region
    filters: every region for the national lead, the regions of the networks they chair for a
    chair, none for anyone else. Only the lead also sees the organisations with no region."""
    return scoped(Region.objects.all(), user, lambda: Q(pk__in=chaired_regions(user)))


def chaired_members(user) -> QuerySet:
    """The current members of the networks the user chairs, as a subquery of person ids."""
    return Membership.objects.current().filter(network__in=chaired_network_ids(user)).values("person")


# The organisations the user works at.


def own_organisations(user) -> QuerySet:
    """The organisations where the user holds an active appointment, as a subquery of ids."""
    return Appointment.objects.current().filter(person__user=user).values("organisation")


def named_organisations(user) -> QuerySet:
    """The organisations where the user is the active named MSO or MDSO, as a subquery of ids."""
    return Appointment.objects.current().named().filter(person__user=user).values("organisation")


# The scopes built from those facts.


def networks_with_membership(user, networks: QuerySet | None = None) -> QuerySet:
    """The networks whose membership list (its page, export and meetings) the user may see: every
    network for the national lead, the networks they currently chair or vice-chair for a chair,
    none for anyone else."""
    networks = Network.objects.all() if networks is None else networks
    return scoped(networks, user, lambda: Q(pk__in=chaired_network_ids(user)))


def organisations_with_profile(user, organisations: QuerySet | None = None) -> QuerySet:
    """Organisations whose private profile (key contacts, board director, medication safety
    committee and its terms of reference, the medication safety team) the user may see: all for
    the national lead; otherwise those where the user holds an active appointment, and those
    covered by a network the user chairs (the network's region, or the network has one of its
    officers). Every other signed-in user sees the public profile only."""
    organisations = Organisation.objects.all() if organisations is None else organisations

    def rule() -> Q:
        members_at = Appointment.objects.current().filter(person__in=chaired_members(user)).values("organisation")
        return Q(pk__in=own_organisations(user)) | Q(region__in=chaired_regions(user)) | Q(pk__in=members_at)

    return scoped(organisations, user, rule)


def organisations_editable(user, organisations: QuerySet | None = None) -> QuerySet:
    """Organisations whose profile the user may change (key contacts, board director, committee
    record, proposals for the medication safety team): all for the national lead; otherwise
    those where the user is the active named MSO or MDSO. Deputies and team members may see
    the profile but not change it: the named officers answer for it, and their edits apply
    without review."""
    organisations = Organisation.objects.all() if organisations is None else organisations
    return scoped(organisations, user, lambda: Q(pk__in=named_organisations(user)))


def with_profile_access(organisations: QuerySet, user) -> QuerySet:
    """Annotate `profile_visible` and `profile_editable` (booleans) for the user, in the same query."""
    if user.is_authenticated and user.is_national_lead:
        return organisations.annotate(profile_visible=Value(True), profile_editable=Value(True))
    visible = organisations_with_profile(user).filter(pk=OuterRef("pk"))
    editable = organisations_editable(user).filter(pk=OuterRef("pk"))
    return organisations.annotate(profile_visible=Exists(visible), profile_editable=Exists(editable))


def organisation_for_profile(user, ods_code: str, *, edit: bool = False, queryset=None) -> Organisation:
    """The organisation with this ODS code, for a page of its private profile.

    404 when the user may not see the profile (`organisations_with_profile`), so an outsider cannot
    tell it from a missing page; 403 on a page that changes it when the user may see it but not
    change it (`organisations_editable`). One query: the result carries `profile_visible` and
    `profile_editable`."""
    organisations = with_profile_access(Organisation.objects.all() if queryset is None else queryset, user)
    organisation = organisations.filter(ods_code=ods_code.upper()).first()
    if organisation is None or not organisation.profile_visible:
        raise Http404("No organisation found.")
    if edit and not organisation.profile_editable:
        raise PermissionDenied("Only the organisation's named MSO and MDSO, and the national lead, can change this.")
    return organisation


def people_with_contact(user, people: QuerySet | None = None) -> QuerySet:
    """The people whose contact details (work email, phone, registration number) the user may see.

    The single rule for every page that shows contact details: the person themself, the national
    lead, chairs of a network the person belongs to or whose region covers one of the person's
    organisations, and officers with an active appointment at the same organisation."""
    people = Person.objects.all() if people is None else people

    def rule() -> Q:
        active = Appointment.objects.current()
        return (
            Q(user=user)
            | Q(pk__in=chaired_members(user))
            | Q(pk__in=active.filter(organisation__region__in=chaired_regions(user)).values("person"))
            | Q(pk__in=active.filter(organisation__in=own_organisations(user)).values("person"))
        )

    return scoped(people, user, rule)


def contact_visible_ids(user, people) -> set[int]:
    """The ids, among `people`, of those whose contact details the user may see (one query)."""
    ids = {person.pk for person in people}
    if not ids:
        return set()
    return set(people_with_contact(user).filter(pk__in=ids).values_list("pk", flat=True))
