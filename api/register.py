"""The register as the API reads it: the organisations (filtered, and changed since a time by their
history), a page of them with their named officers and coverage in a fixed number of queries, the
networks with their chairs, and the coverage figures of the dashboard."""

import datetime

from django.db.models import Exists, F, Q, QuerySet
from django.utils import timezone

from compliance.coverage import MEASURES, MEASURES_BY_KEY, add_coverage
from dashboard import queries as dashboard_queries
from networks.models import Network
from officers.models import Appointment, Person, named_officers
from organisations.models import NO_REGION, Cover, ExpectationOverride, Organisation, TypeExpectation

DUTIES = ("mso", "mdso")


def organisations(*, region: str = "", kind: str = "", ods_codes=(), updated_since=None) -> QuerySet:
    """The organisations a list answers, with what each row needs fetched in the same query."""
    found = Organisation.objects.select_related("region", "parent_icb", "successor")
    if region == NO_REGION:
        found = found.filter(region__isnull=True)
    elif region:
        found = found.filter(region__code=region)
    if kind:
        found = found.filter(kind=kind)
    if ods_codes:
        found = found.filter(ods_code__in=ods_codes)
    if updated_since is not None:
        found = found.filter(changed_since(updated_since))
    return found.prefetch_related(named_officers())


def changed_since(moment: datetime.datetime) -> Q:
    """Organisations whose record or coverage may read differently since `moment`, from
    django-simple-history's tables (so a change saved without touching `updated_at` counts too) and
    from the dates that change them by themselves:

    - their own record (created, changed, moved, closed), or its opening or closing date come;
    - any of their appointments (an officer named, changed, or who left), or the person of one (a
      name or contact detail changed);
    - a cover of them (changed, begun or ended), or the officers of the organisation covering them;
    - an exception to their expectation, or the expectation of their type;
    - for a pharmacy company: its pharmacies (their number decides whether it names its own
      officers), and the rule that covers the small companies (changed, begun or ended) or the
      officers of the organisation giving it.
    """
    since, today = timezone.localdate(moment), timezone.localdate()
    changed_appointments = Appointment.history.filter(history_date__gte=moment).values("organisation_id")
    covers_changed = Cover.history.filter(history_date__gte=moment)
    covers_dated = Cover.objects.filter(
        Q(starts_on__gt=since, starts_on__lte=today) | Q(ends_on__gte=since, ends_on__lt=today)
    )
    covers_staffing_changed = Cover.objects.filter(covering__in=changed_appointments)
    rule = Cover.Rule.SMALL_PHARMACY_COMPANIES
    history = {
        "organisation": Organisation.history.filter(history_date__gte=moment).values("id"),
        "dates": Organisation.objects.filter(
            Q(opened_on__gt=since, opened_on__lte=today) | Q(closed_on__gt=since, closed_on__lte=today)
        ).values("id"),
        "appointment": changed_appointments,
        "person": Appointment.objects.filter(
            person__in=Person.history.filter(history_date__gte=moment).values("id")
        ).values("organisation_id"),
        "cover": covers_changed.filter(organisation_id__isnull=False).values("organisation_id"),
        "cover dates": covers_dated.filter(organisation__isnull=False).values("organisation_id"),
        "covering officers": covers_staffing_changed.filter(organisation__isnull=False).values("organisation_id"),
        "exception": ExpectationOverride.history.filter(history_date__gte=moment).values("organisation_id"),
        "pharmacies": Organisation.history.filter(
            history_date__gte=moment, kind=Organisation.Kind.PHARMACY, parent_id__isnull=False
        ).values("parent_id"),
    }
    condition = Q(kind__in=TypeExpectation.history.filter(history_date__gte=moment).values("kind"))
    for ids in history.values():
        condition |= Q(pk__in=ids)
    rule_changed = (
        Q(Exists(covers_changed.filter(rule=rule)))
        | Q(Exists(covers_dated.filter(rule=rule)))
        | Q(Exists(covers_staffing_changed.filter(rule=rule)))
    )
    return condition | (Q(kind=Organisation.Kind.PHARMACY_COMPANY) & rule_changed)


def _covering(page: list[Organisation], day: datetime.date) -> dict[tuple[int, str], str]:
    """For each (organisation, duty) of the page that is covered, the covering organisation's ODS
    code: one query, the direct cover before the rule's, as the organisation page explains it."""
    wanted = [org for org in page if any(getattr(org, f"{duty}_covered") for duty in DUTIES)]
    if not wanted:
        return {}
    covers = (
        Cover.objects.in_force_on(day)
        .filter(Q(organisation__in=wanted) | Q(rule=Cover.Rule.SMALL_PHARMACY_COMPANIES))
        .filter(role__in=DUTIES)
        .order_by(F("organisation").asc(nulls_last=True), "starts_on")
        .values_list("organisation_id", "role", "covering__ods_code")
    )
    direct, by_rule = {}, {}
    for organisation_id, role, covering in covers:
        if organisation_id:
            direct.setdefault((organisation_id, role), covering)
        else:
            by_rule.setdefault(role, covering)
    made = {}
    for org in wanted:
        for duty in DUTIES:
            if getattr(org, f"{duty}_covered"):
                made[(org.pk, duty)] = direct.get((org.pk, duty)) or (
                    by_rule.get(duty) if org.kind == Organisation.Kind.PHARMACY_COMPANY else None
                )
    return made


def _officer(appointment: Appointment, contacts: bool) -> dict:
    person = appointment.person
    made = {
        "name": person.full_name,
        "role": appointment.role,
        "role_label": appointment.get_role_display(),
        "since": appointment.start_date,
        "mhra_registered_on": appointment.mhra_registered_on,
        "mhra_reference": appointment.mhra_reference,
    }
    if contacts:
        made |= {"work_email": person.work_email, "phone": person.phone}
    return made


def organisation_rows(page: list[Organisation], *, contacts: bool) -> tuple[list[dict], list[Person]]:
    """The API's rows for a page of organisations (from `organisations()`), and the people whose
    contact details they show (none without `contacts`). Two queries: the coverage, and the covers
    of the covered."""
    day = timezone.localdate()
    add_coverage(page, day)
    covering = _covering(page, day)
    rows, people = [], []
    for org in page:
        officers = sorted(
            org.named_appointments, key=lambda appointment: Appointment.NAMED_ROLES.index(appointment.role)
        )
        row = {
            "ods_code": org.ods_code,
            "name": org.name,
            "type": org.kind,
            "type_label": org.get_kind_display(),
            "region": {"code": org.region.code, "name": org.region.name} if org.region_id else None,
            "icb": org.parent_icb.ods_code if org.parent_icb_id else None,
            "opened_on": org.opened_on,
            "closed_on": org.closed_on,
            "successor": org.successor.ods_code if org.successor_id else None,
            "status": org.status_on(day),
            **{
                duty: {
                    "expected": getattr(org, f"{duty}_expected"),
                    "named": getattr(org, f"{duty}_named"),
                    "status": org.coverage_status(duty),
                    "covered_by": covering.get((org.pk, duty)),
                }
                for duty in DUTIES
            },
            "officers": [_officer(appointment, contacts) for appointment in officers],
            "updated_at": org.updated_at,
        }
        if contacts:
            row["generic_mailbox"] = org.generic_mailbox
            people.extend(appointment.person for appointment in officers)
        rows.append(row)
    return rows, people


def networks() -> QuerySet:
    return Network.objects.select_related("region", "parent").with_chairs()


def network_rows(page: list[Network], *, contacts: bool) -> tuple[list[dict], list[Person]]:
    rows, people = [], []
    for network in page:
        chairs = []
        for membership in network.chair_memberships:
            chair = {"name": membership.person.full_name, "role": membership.role, "since": membership.joined_on}
            if contacts:
                chair |= {"work_email": membership.person.work_email, "phone": membership.person.phone}
                people.append(membership.person)
            chairs.append(chair)
        rows.append(
            {
                "slug": network.slug,
                "name": network.name,
                "kind": network.kind,
                "region": network.region.code if network.region_id else None,
                "parent": network.parent.slug if network.parent_id else None,
                "chairs": chairs,
            }
        )
    return rows, people


def _coverage_row(row: dashboard_queries.CoverageRow) -> dict:
    return {
        "label": row.label,
        "region": row.region,
        "type": row.kind,
        "open_in_england": row.total,
        "measures": {measure.key: row.counts.get(measure.key, 0) for measure in MEASURES},
        **{
            f"missing_{key}": row.base_count(MEASURES_BY_KEY[key]) - row.counts.get(key, 0)
            for key in dashboard_queries.GAPS
        },
    }


def coverage(day: datetime.date | None = None) -> dict:
    """The national coverage dashboard's figures (dashboard.queries.coverage: the same queryset)."""
    day = day or timezone.localdate()
    figures = dashboard_queries.coverage(day=day)
    return {
        "day": day,
        "england": _coverage_row(figures.total),
        "regions": [_coverage_row(row) for row in figures.regions],
        "types": [_coverage_row(row) for row in figures.kinds],
        "open_outside_england": figures.outside_england.value,
    }
