"""Who must name an officer, who covers whom, and who has one: the portal's one definition.

Every figure and list that answers "which organisations are missing a named officer" is built from
the conditions here: the compliance scan, the national dashboard and its region pages, the
directory's filters, a chair's membership gaps, the exports and the organisation page. Who is in
England and who is *expected* to have each duty rests on the organisations app's own records alone
and is stated there (organisations.coverage, asked through `Organisation.objects.expected` and
`.in_england`); what needs the officers and the committees is stated here:

- *named* when it has an active named officer of the role itself (for the mailbox: has one);
- *covered* when a cover in force on the day (for it, or by a rule that applies to it) is given by
  an organisation with an active named officer of the role;
- *missing* the duty when expected, not named and not covered: the gap every figure counts
  (`missing(organisations, duty)`);
- *to flag* when expected, not named and with no cover in force: where a covering organisation
  has no officer, the covering organisation is flagged (it is expected, as it covers others), not
  each organisation it covers.

`with_coverage(organisations)` annotates each organisation with all of it, for
`Organisation.coverage_status`. All of it is SQL expressions over subqueries: no query is run to
build them, and a filter or count over them is one query whatever the data size.
"""

import datetime
import functools
import itertools
import json
import weakref
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, router
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from psycopg2.extensions import AsIs

from committees.models import Committee
from officers.models import Appointment
from organisations.coverage import (
    NEVER,
    boolean,
    english_pharmacy_count,
    expected,
    expected_by_rule,
    in_england,
    open_on,
)
from organisations.models import (
    OFFICER_DUTIES,
    Cover,
    Duty,
    ExpectationOverride,
    Organisation,
    Region,
    TypeExpectation,
)

ROLE_OF_DUTY = {Duty.MSO: Appointment.Role.MSO, Duty.MDSO: Appointment.Role.MDSO}
# The generation (msonet.generations) of the tables coverage is read from: a figure cached under it
# is computed again after any committed write to one of them.
GENERATION = "coverage"
TABLES = [
    model._meta.db_table
    for model in (Organisation, Region, Appointment, Cover, Committee, TypeExpectation, ExpectationOverride)
]
Kind = Organisation.Kind


def _active_officer(role: str, organisation: str = "pk") -> Exists:
    return Exists(Appointment.objects.current().filter(organisation=OuterRef(organisation), role=role).order_by())


def named(duty: str) -> Q:
    """The organisation itself has the duty: an active named officer of the role, or a mailbox."""
    if duty == Duty.MAILBOX:
        return ~Q(generic_mailbox="")
    return Q(_active_officer(ROLE_OF_DUTY[duty]))


def _cover(duty: str, day: datetime.date, *, staffed: bool) -> Q:
    if duty not in OFFICER_DUTIES:
        return NEVER
    covers = Cover.objects.in_force_on(day).filter(role=duty).order_by()
    if staffed:
        covers = covers.filter(_active_officer(ROLE_OF_DUTY[duty], "covering"))
    # The rule covers a pharmacy company that is not expected to name its own officer.
    rule_applies = Q(kind=Kind.PHARMACY_COMPANY) & ~expected_by_rule(duty, day)
    return Q(Exists(covers.filter(organisation=OuterRef("pk")))) | (
        rule_applies & Exists(covers.filter(rule=Cover.Rule.SMALL_PHARMACY_COMPANIES))
    )


def covered(duty: str, day: datetime.date) -> Q:
    """Covered by another organisation's active named officer of the duty's role on `day`."""
    return _cover(duty, day, staffed=True)


def cover_in_force(duty: str, day: datetime.date) -> Q:
    """A cover of the duty's role is in force on `day`, whether or not the covering organisation has its officer."""
    return _cover(duty, day, staffed=False)


def in_place(duty: str, day: datetime.date) -> Q:
    return named(duty) | covered(duty, day)


def gap(duty: str, day: datetime.date) -> Q:
    """Expected, and neither named nor covered: a gap."""
    return expected(duty, day) & ~in_place(duty, day)


def to_flag(duty: str, day: datetime.date) -> Q:
    """Expected, not named, and no cover in force: the organisation the compliance scan flags."""
    return expected(duty, day) & ~named(duty) & ~cover_in_force(duty, day)


def annotations(day: datetime.date) -> dict:
    """The coverage of each organisation as boolean annotations: `in_england`, and for each duty
    `<duty>_expected`, `<duty>_named`, `<duty>_covered` and `<duty>_cover_in_force`."""
    made = {"in_england": boolean(in_england(day))}
    for duty in Duty.values:
        made[f"{duty}_expected"] = boolean(expected(duty, day))
        made[f"{duty}_named"] = boolean(named(duty))
        made[f"{duty}_covered"] = boolean(covered(duty, day)) if duty in OFFICER_DUTIES else Value(False)
        made[f"{duty}_cover_in_force"] = boolean(cover_in_force(duty, day)) if duty in OFFICER_DUTIES else Value(False)
    return made


def with_coverage(organisations: QuerySet, day: datetime.date | None = None) -> QuerySet:
    """`organisations` with each one's coverage on `day` (today) annotated: `in_england`, and for each
    duty `<duty>_expected`, `<duty>_named`, `<duty>_covered`, `<duty>_cover_in_force` (booleans);
    `Organisation.coverage_status(duty)` reads them."""
    return organisations.annotate(**annotations(day or timezone.localdate()))


# The organisations of a list, as one parameter: an array on PostgreSQL, a JSON list on SQLite.
_IDS_SQL = {"postgresql": "SELECT unnest(%s::bigint[])", "sqlite": "SELECT value FROM json_each(%s)"}


@functools.lru_cache(maxsize=8)
def _coverage_statement(day: datetime.date, alias: str) -> tuple[str, tuple, int, tuple[str, ...]]:
    """`with_coverage`'s SQL for a list of organisations on `day`, compiled once per day and
    database: its text, its parameters, the position of the one parameter that lists the
    organisations, and the annotations' names in the order of its columns. Nothing in the
    statement depends on the data, only on the day, so it can be kept (building and compiling its
    subqueries is most of a page's time, running it a fraction)."""
    placeholder = object()
    ids = RawSQL(_IDS_SQL[connections[alias].vendor], [placeholder])  # noqa: S611 (constant SQL, one parameter)
    names = tuple(annotations(day))
    query = with_coverage(Organisation.objects.filter(pk__in=ids).order_by(), day).values_list("pk", *names).query
    sql, params = query.get_compiler(using=alias).as_sql()
    position = next(index for index, param in enumerate(params) if param is placeholder)
    return sql, tuple(params), position, names


# The coverage statements prepared on each raw connection, by day (a connection is closed and
# opened again after CONN_MAX_AGE, and its statements with it).
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_statement_numbers = itertools.count(1)


def _execute_prepared(cursor, day: datetime.date, sql: str, params: tuple, position: int, ids: list[int]) -> None:
    """Run the coverage statement of `day` for `ids` as a statement prepared on the connection:
    PostgreSQL parses and plans its many subqueries once per connection instead of on every page
    (about 3 ms of each). The first use prepares and runs it in one round trip, so a page's
    queries are as many either way. A prepared statement outlives a failed transaction, so a
    failed first use leaves its name unused and the next use prepares under a new one.

    Every connection keeps one generic plan for its prepared statements (`plan_cache_mode`, set in
    the settings; the portal prepares no others): left to choose, PostgreSQL plans the statement
    again on every run for a list shorter than the ten organisations its generic plan assumes (one
    organisation's page, a filtered page of two), about 7 ms each time, as if it were not prepared."""
    statements = _prepared.setdefault(cursor.db.connection, {})
    if day in statements:
        cursor.execute(f"EXECUTE {statements[day]}(%s)", [ids])
        return
    name = f"msonet_coverage_{next(_statement_numbers)}"
    constants = list(params)
    constants[position] = AsIs("$1")
    text = cursor.cursor.mogrify(sql, constants).decode()
    cursor.execute(f"PREPARE {name}(bigint[]) AS {text.replace('%', '%%')}; EXECUTE {name}(%s)", [ids])
    statements[day] = name


def add_coverage(organisations: list[Organisation], day: datetime.date | None = None) -> list[Organisation]:
    """Give organisations already fetched (a page of a list, one organisation) the annotations of
    `with_coverage` on `day` (today), in one query, and return them. The same definition as
    `with_coverage`, for a page that needs no filter or order by coverage."""
    if not organisations:
        return organisations
    alias = router.db_for_read(Organisation)
    sql, params, position, names = _coverage_statement(day or timezone.localdate(), alias)
    ids = [organisation.pk for organisation in organisations]
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and settings.PG_PREPARED_STATEMENTS:
            _execute_prepared(cursor, day or timezone.localdate(), sql, params, position, ids)
        else:
            params = list(params)
            params[position] = ids if connection.vendor == "postgresql" else json.dumps(ids)
            cursor.execute(sql, params)
        found = {row[0]: row[1:] for row in cursor.fetchall()}
    for organisation in organisations:
        for name, value in zip(names, found[organisation.pk], strict=True):
            setattr(organisation, name, bool(value))
    return organisations


def missing(organisations: QuerySet, duty: str, day: datetime.date | None = None) -> QuerySet:
    """The `organisations` expected to have `duty` on `day` (today) with none of their own and no
    staffed cover: the gaps."""
    return organisations.filter(gap(duty, day or timezone.localdate()))


# What the dashboard counts and the directory filters on. Each measure is a condition on open
# organisations and the measure it is a share of ("" for the open organisations in England).


@dataclass(frozen=True)
class Measure:
    key: str
    label: str  # a column heading: "Expected to name an MSO"
    short_label: str  # a chart's heading: "an MSO in place"
    base: str = ""  # the measure this one is a share of

    def condition(self, day: datetime.date) -> Q:
        return _MEASURE_CONDITIONS[self.key](day)


def _own_mso_registered() -> Q:
    return Q(
        Exists(
            Appointment.objects.current()
            .filter(organisation=OuterRef("pk"), role=Appointment.Role.MSO, mhra_registered_on__isnull=False)
            .order_by()
        )
    )


def _has_committee() -> Q:
    return Q(Exists(Committee.objects.filter(organisation=OuterRef("pk")).order_by()))


_MEASURE_CONDITIONS = {
    "england": lambda day: open_on(day) & in_england(day),
    "mso_expected": lambda day: expected(Duty.MSO, day),
    "mso": lambda day: expected(Duty.MSO, day) & in_place(Duty.MSO, day),
    "mdso_expected": lambda day: expected(Duty.MDSO, day),
    "mdso": lambda day: expected(Duty.MDSO, day) & in_place(Duty.MDSO, day),
    "committee": lambda day: expected(Duty.MSO, day) & _has_committee(),
    "mso_mhra": lambda day: expected(Duty.MSO, day) & _own_mso_registered(),
}

MEASURES = [
    Measure("mso_expected", "Expected to name an MSO", "expected to name an MSO"),
    Measure("mso", "With an MSO in place (own or covering)", "an MSO in place", base="mso_expected"),
    Measure("mdso_expected", "Expected to name an MDSO", "expected to name an MDSO"),
    Measure("mdso", "With an MDSO in place (own or covering)", "an MDSO in place", base="mdso_expected"),
    Measure("committee", "With a committee recorded", "a medication safety committee recorded", base="mso_expected"),
    Measure(
        "mso_mhra",
        "With their own MSO registered with the MHRA",
        "their own MSO registered with the MHRA",
        base="mso_expected",
    ),
]
MEASURES_BY_KEY = {measure.key: measure for measure in MEASURES}

# The directory's "Show" filter: each measure and its gap among the organisations it is a share of.
FILTER_CHOICES = [
    ("", "All organisations"),
    ("england", "In England (counted in the figures)"),
    ("mso_expected", "Expected to name an MSO"),
    ("mso", "With an MSO in place"),
    ("no_mso", "Missing an MSO (expected, none named or covering)"),
    ("mdso_expected", "Expected to name an MDSO"),
    ("mdso", "With an MDSO in place"),
    ("no_mdso", "Missing an MDSO (expected, none named or covering)"),
    ("committee", "With a committee recorded"),
    ("no_committee", "Expected to name an MSO, with no committee recorded"),
    ("mso_mhra", "With their own MSO registered with the MHRA"),
    ("mso_not_mhra", "Expected to name an MSO, with none of their own registered with the MHRA"),
    ("outside_england", "Outside England (not counted)"),
]


def filter_condition(value: str, day: datetime.date) -> Q | None:
    """The condition for one of FILTER_CHOICES' values (None for all organisations). A gap ("no_")
    is the organisations of the measure's base that do not meet it, so that a figure and its gap add
    up to the base."""
    if not value:
        return None
    if value == "outside_england":
        return ~in_england(day)
    if value == "england":
        return _MEASURE_CONDITIONS["england"](day)
    if value == "mso_not_mhra":
        return expected(Duty.MSO, day) & ~_own_mso_registered()
    if value.startswith("no_"):
        measure = MEASURES_BY_KEY[value.removeprefix("no_")]
        base = _MEASURE_CONDITIONS[measure.base or "england"](day)
        return base & ~measure.condition(day)
    return MEASURES_BY_KEY[value].condition(day)


# One organisation's coverage, explained for its page.


@dataclass
class DutyCoverage:
    """Why one organisation has, or need not have, one duty, for its page."""

    duty: str
    label: str  # "MSO", "MDSO", "generic MSO mailbox"
    status: str  # Organisation.coverage_status
    override: ExpectationOverride | None = None
    cover: Cover | None = None  # the cover in force, when there is one
    covering_officer: Appointment | None = None  # the covering organisation's active officer
    type_expects: bool = False


@dataclass
class OrganisationCoverage:
    duties: list[DutyCoverage]
    pharmacy_count: int | None = None  # a pharmacy company's open pharmacies in England
    threshold: int | None = None
    company: Organisation | None = None  # a community pharmacy's company, with its coverage
    company_duties: list[DutyCoverage] | None = None


LABELS = {Duty.MSO: "MSO", Duty.MDSO: "MDSO", Duty.MAILBOX: "generic MSO mailbox"}


def _duties(organisation: Organisation, day: datetime.date, expectation: TypeExpectation | None) -> list[DutyCoverage]:
    """One query for the overrides; where a cover is in force, one for the covers and one for their officers."""
    overrides = {override.duty: override for override in organisation.expectation_overrides.order_by()}
    covers = {}
    if any(getattr(organisation, f"{duty}_cover_in_force") for duty in OFFICER_DUTIES):
        candidates = Cover.objects.in_force_on(day).filter(
            Q(organisation=organisation) | Q(rule=Cover.Rule.SMALL_PHARMACY_COMPANIES)
        )
        direct_first = F("organisation").asc(nulls_last=True)
        for cover in candidates.select_related("covering").order_by(direct_first, "starts_on"):
            if cover.organisation_id or organisation.kind == Kind.PHARMACY_COMPANY:
                covers.setdefault(cover.role, cover)
    officers = {}
    if covers:
        officers = {
            (appointment.organisation_id, appointment.role): appointment
            for appointment in Appointment.objects.current()
            .filter(organisation__in=[cover.covering_id for cover in covers.values()])
            .select_related("person")
        }
    made = []
    for duty in Duty.values:
        cover = covers.get(duty) if getattr(organisation, f"{duty}_cover_in_force") else None
        made.append(
            DutyCoverage(
                duty=duty,
                label=LABELS[duty],
                status=organisation.coverage_status(duty),
                override=overrides.get(duty),
                cover=cover,
                covering_officer=officers.get((cover.covering_id, duty)) if cover else None,
                type_expects=bool(expectation and expectation.expects(duty)),
            )
        )
    return made


def organisation_coverage(organisation: Organisation, day: datetime.date) -> OrganisationCoverage:
    """Why `organisation` (annotated by `with_coverage` or `add_coverage` on `day`) has or need not have each duty: its
    override, the cover in force and the covering officer; for a pharmacy company, its open
    pharmacies in England and the threshold; for a community pharmacy, its company's coverage
    instead. One query for most organisations; at most eight (a pharmacy whose company is covered)."""
    if organisation.kind == Kind.PHARMACY and organisation.parent_id:
        company = Organisation.objects.filter(pk=organisation.parent_id).first()
        if company is not None:
            add_coverage([company], day)
            explained = organisation_coverage(company, day)
            return OrganisationCoverage(
                duties=[],
                company=company,
                company_duties=explained.duties,
                pharmacy_count=explained.pharmacy_count,
                threshold=explained.threshold,
            )
    if organisation.kind != Kind.PHARMACY_COMPANY:
        return OrganisationCoverage(duties=_duties(organisation, day, None))
    # A pharmacy company: the threshold, and its open pharmacies in England.
    expectation = TypeExpectation.objects.filter(kind=Kind.PHARMACY_COMPANY).first()
    return OrganisationCoverage(
        duties=_duties(organisation, day, expectation),
        threshold=expectation.own_officer_threshold if expectation else None,
        pharmacy_count=Organisation.objects.filter(pk=organisation.pk)
        .annotate(n=english_pharmacy_count(day))
        .values_list("n", flat=True)
        .first(),
    )
