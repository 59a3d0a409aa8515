"""Who must name an officer or keep a generic mailbox: the part of the portal's one definition that
rests on this app's own records.

For a duty (a named MSO, a named MDSO, a generic mailbox) an organisation is *expected* when it is
open on the day, in England, and either its type expects the duty (`TypeExpectation`; a pharmacy
company only above the threshold of open pharmacies in England) or an `ExpectationOverride` says
so; an organisation whose officer covers others (`Cover`) is expected to have that officer whatever
its type.

Outside England (no English region: the Welsh trusts, the W00 pharmacies) nothing is expected. A
covering body answers for the whole of England; a pharmacy company is in England unless every
pharmacy it runs is outside England.

Who has the duty in place (a named officer, a staffed cover), who is missing it and who is flagged
rest on the officers too, so they are stated above this app, in compliance.coverage, from these
conditions. All of it is SQL expressions over subqueries: no query is run to build them, and a
filter or count over them is one query whatever the data size.

The organisation queryset asks through this module (`Organisation.objects.in_england`, `.expected`),
and this module reads the app's models: each refers to the other as a module, so that either can be
imported first.
"""

import datetime

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from . import models

NEVER = Q(Value(False, output_field=BooleanField()))


def open_on(day: datetime.date) -> Q:
    return models.open_on_condition(day)


def _english_pharmacies(day: datetime.date):
    return (
        models.Organisation.objects.filter(
            open_on(day), parent=OuterRef("pk"), kind=models.Organisation.Kind.PHARMACY, region__isnull=False
        )
        .order_by()
        .values("parent")
    )


def english_pharmacy_count(day: datetime.date):
    """The number of open community pharmacies in England under the outer organisation (0 for any
    organisation that is not a pharmacy company): a grouped count subquery."""
    return Coalesce(Subquery(_english_pharmacies(day).annotate(n=Count("pk")).values("n")), 0)


def _threshold():
    return Subquery(
        models.TypeExpectation.objects.filter(kind=models.Organisation.Kind.PHARMACY_COMPANY).values(
            "own_officer_threshold"
        )[:1],
    )


def above_threshold(day: datetime.date) -> Q:
    """A pharmacy company running more open pharmacies in England than the lead's threshold: one
    grouped subquery over the pharmacies (rather than a count per organisation), so that the
    planner neither runs nor costs a count for every row of the register."""
    companies = (
        models.Organisation.objects.filter(
            open_on(day), kind=models.Organisation.Kind.PHARMACY, region__isnull=False, parent__isnull=False
        )
        .order_by()
        .values("parent")
        .annotate(n=Count("pk"))
        .filter(n__gt=_threshold())
        .values("parent")
    )
    return Q(pk__in=companies)


def in_england(day: datetime.date) -> Q:
    """In England: a region of NHS England; a covering body always; a pharmacy company with a region
    or an open pharmacy in England, or none open anywhere (so a company all of whose open
    pharmacies are in Wales is outside England)."""
    Kind = models.Organisation.Kind
    open_pharmacies = models.Organisation.objects.filter(open_on(day), parent=OuterRef("pk"), kind=Kind.PHARMACY)
    return (
        (Q(region__isnull=False) & ~Q(kind__in=models.Organisation.NATIONAL_KINDS))
        | Q(kind=Kind.COVERING_BODY)
        | (
            Q(kind=Kind.PHARMACY_COMPANY)
            & (Q(region__isnull=False) | Exists(_english_pharmacies(day)) | ~Exists(open_pharmacies))
        )
    )


def expected_by_type(duty: str, day: datetime.date) -> Q:
    """The organisation's type expects `duty` of it (for a pharmacy company, only above the threshold)."""
    by_type = Exists(models.TypeExpectation.objects.filter(kind=OuterRef("kind"), **{f"expects_{duty}": True}))
    return Q(by_type) & (~Q(kind=models.Organisation.Kind.PHARMACY_COMPANY) | above_threshold(day))


def expected_by_rule(duty: str, day: datetime.date) -> Q:
    """The organisation's override for `duty` where it has one, otherwise its type's expectation."""
    overrides = models.ExpectationOverride.objects.filter(organisation=OuterRef("pk"), duty=duty)
    return Q(Exists(overrides.filter(expected=True))) | (~Exists(overrides) & expected_by_type(duty, day))


def covers_others(duty: str, day: datetime.date) -> Q:
    """The organisation's officer of the duty's role covers another organisation, or a rule, on `day`."""
    if duty not in models.OFFICER_DUTIES:
        return NEVER
    return Q(Exists(models.Cover.objects.in_force_on(day).filter(covering=OuterRef("pk"), role=duty)))


def expected(duty: str, day: datetime.date) -> Q:
    return open_on(day) & in_england(day) & (expected_by_rule(duty, day) | covers_others(duty, day))


def boolean(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())
