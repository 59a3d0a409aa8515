"""The national coverage dashboard's figures, read in set-based queries (grouped and conditional
counts, one or two for each part of the page): the number of queries is the same for 25
organisations or 25,000.

Every figure carries the address of the list behind it, filtered so that it shows the same count.
"""

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from compliance.coverage import GENERATION, MEASURES
from compliance.models import FLAGS_GENERATION, Flag
from handovers.models import Handover
from msonet import generations
from officers.models import ChangeRequest
from organisations.models import NO_REGION, Organisation, Region
from registrations.models import RegistrationRequest

# Organisations in England with no region of their own: covering bodies and pharmacy companies.
NO_REGION_LABEL = "National bodies (no region)"
TREND_MONTHS = 12
# The measures whose gap has a column of its own: the organisations expected to name the officer with none in place.
GAPS = {"mso": "Missing an MSO", "mdso": "Missing an MDSO"}
# The coverage tables' columns after "Open organisations in England", in the order of CoverageRow.figures.
COLUMNS = [label for measure in MEASURES for label in (measure.label, GAPS.get(measure.key)) if label]


def _url(name: str, **params) -> str:
    params = {key: value for key, value in params.items() if value}
    url = reverse(name)
    return f"{url}?{urlencode(params)}" if params else url


@dataclass
class Figure:
    """A number and the address of the list that shows the same number of rows."""

    label: str
    value: int
    url: str
    total: int | None = None  # for a share: the number it is a share of
    description: str = ""  # what the number counts, for a screen reader after the number

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return round(100 * self.value / self.total)


@dataclass
class CoverageRow:
    """Open organisations in England of a group (a region, a type, or a type within a region) and how
    many of them meet each measure (compliance.coverage.MEASURES). A measure's share is of the
    measure it is based on: "with an MSO in place" of those expected to name one."""

    label: str
    region: str = ""  # the region's code, NO_REGION, or "" for every region
    kind: str = ""  # the organisation type, or "" for every type
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    url: str = ""  # a page breaking the row down further, if there is one

    def add(self, total: int, counts: dict[str, int]) -> None:
        self.total += total
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value

    def _directory(self, show: str) -> str:
        return _url("directory:organisations", region=self.region, kind=self.kind, show=show)

    def base_count(self, measure) -> int:
        return self.counts.get(measure.base, 0) if measure.base else self.total

    @property
    def open_figure(self) -> Figure:
        return Figure(
            "Open organisations in England",
            self.total,
            self._directory("england"),
            description=f"open organisations in England ({self.label})",
        )

    @property
    def figures(self) -> list[Figure]:
        """A figure per column of COLUMNS: each measure, and after an officer's "in place" the gap."""
        made = []
        for measure in MEASURES:
            value = self.counts.get(measure.key, 0)
            made.append(
                Figure(
                    measure.label,
                    value,
                    self._directory(measure.key),
                    self.base_count(measure),
                    f"open organisations ({self.label}) {measure.short_label}"
                    if not measure.base
                    else f"open organisations ({self.label}) with {measure.short_label}",
                )
            )
            if measure.key in GAPS:
                made.append(
                    Figure(
                        GAPS[measure.key],
                        self.base_count(measure) - value,
                        self._directory(f"no_{measure.key}"),
                        description=f"open organisations ({self.label}) {GAPS[measure.key].lower()}",
                    )
                )
        return made


@dataclass
class Coverage:
    regions: list[CoverageRow]  # every region, then organisations in England with no region if there are any
    kinds: list[CoverageRow]  # England by type, the types with open organisations
    total: CoverageRow
    outside_england: Figure  # open organisations outside England: never counted


def _counted(organisations, day: datetime.date, *group_by: str):
    """Rows of `group_by` with the number of open organisations in England and the number meeting
    each measure: one query, conditional counts over the coverage conditions' subqueries."""
    return (
        organisations.open_on(day)
        .in_england(day)
        .order_by()
        .values(*group_by)
        .annotate(
            total=Count("pk"), **{measure.key: Count("pk", filter=measure.condition(day)) for measure in MEASURES}
        )
    )


def _outside_england(organisations, day: datetime.date, **params) -> Figure:
    count = organisations.open_on(day).outside_england(day).count()
    return Figure(
        "Open organisations outside England, not counted",
        count,
        _url("directory:organisations", show="outside_england", **params),
        description="open organisations outside England, not counted",
    )


def _measures(row: dict) -> dict[str, int]:
    return {measure.key: row[measure.key] for measure in MEASURES}


def _by_kind(rows, region: str = "") -> list[CoverageRow]:
    """A row per organisation type, in the order of Organisation.Kind, for the types in `rows`."""
    by_kind = {kind: CoverageRow(label, region=region, kind=kind) for kind, label in Organisation.Kind.choices}
    for row in rows:
        by_kind[row["kind"]].add(row["total"], _measures(row))
    return [row for row in by_kind.values() if row.total]


def coverage(*, day: datetime.date | None = None) -> Coverage:
    """Open organisations in England on `day` (today) by region and by type, each coverage measure
    counted: the regions in one query, the counts grouped by region and type in another, and the
    organisations outside England, left out of every figure, in a third. Kept in the cache until a
    write to the tables coverage is read from commits (msonet.generations)."""
    day = day or timezone.localdate()
    return generations.cached(GENERATION, f"dashboard:{day.isoformat()}", lambda: _coverage(day))


def _coverage(day: datetime.date) -> Coverage:
    regions = list(Region.objects.order_by("name"))
    codes = {region.pk: region.code for region in regions}
    rows = list(_counted(Organisation.objects.all(), day, "region", "kind"))
    by_region = {
        region.code: CoverageRow(region.name, region=region.code, url=reverse("dashboard:region", args=[region.code]))
        for region in regions
    }
    total = CoverageRow("England")
    for row in rows:
        code = codes.get(row["region"], NO_REGION)
        if code not in by_region:
            by_region[code] = CoverageRow(
                NO_REGION_LABEL, region=NO_REGION, url=reverse("dashboard:region", args=[NO_REGION])
            )
        by_region[code].add(row["total"], _measures(row))
        total.add(row["total"], _measures(row))
    return Coverage(
        regions=list(by_region.values()),
        kinds=_by_kind(rows),
        total=total,
        outside_england=_outside_england(Organisation.objects.all(), day),
    )


def region_coverage(code: str, *, day: datetime.date | None = None) -> tuple[CoverageRow, list[CoverageRow]]:
    """One region's open organisations in England (or those in England with no region: NO_REGION),
    in all and by type: two queries, kept in the cache as `coverage` is. Region.DoesNotExist for an
    unknown code."""
    day = day or timezone.localdate()
    return generations.cached(
        GENERATION, f"dashboard:{day.isoformat()}:region:{code}", lambda: _region_coverage(code, day)
    )


def _region_coverage(code: str, day: datetime.date) -> tuple[CoverageRow, list[CoverageRow]]:
    organisations = Organisation.objects.all()
    if code == NO_REGION:
        region_row = CoverageRow(NO_REGION_LABEL, region=NO_REGION)
        organisations = organisations.filter(region__isnull=True)
    else:
        region = Region.objects.get(code=code)
        region_row = CoverageRow(region.name, region=region.code)
        organisations = organisations.filter(region=region)
    kinds = _by_kind(_counted(organisations, day, "kind"), region=region_row.region)
    for row in kinds:
        region_row.add(row.total, row.counts)
    return region_row, kinds


def requests_waiting() -> list[Figure]:
    """Registration and change-of-details requests waiting for the lead's review: two counts."""
    return [
        Figure(
            "Registration requests waiting for review",
            RegistrationRequest.objects.waiting().count(),
            reverse("registrations:queue"),
        ),
        Figure(
            "Change-of-details requests waiting for review",
            ChangeRequest.objects.waiting().count(),
            reverse("officers:change-queue"),
        ),
    ]


def handover_figures(*, day: datetime.date | None = None) -> list[Figure]:
    """Open (not completed), due within 7 days and lapsed handovers, as the handover list's tabs
    count them: one query."""
    day = day or timezone.localdate()
    handovers = Handover.objects.order_by()
    counts = handovers.aggregate(
        open=Count("pk", filter=Q(pk__in=handovers.unfinished().values("pk"))),
        due_soon=Count("pk", filter=Q(pk__in=handovers.due_soon(day).values("pk"))),
        lapsed=Count("pk", filter=Q(pk__in=handovers.lapsed(day).values("pk"))),
    )
    return [
        Figure("Open handovers (not completed)", counts["open"], _url("handovers:list", show="open")),
        Figure("Handovers due within 7 days", counts["due_soon"], _url("handovers:list", show="due-soon")),
        Figure("Lapsed handovers", counts["lapsed"], _url("handovers:list", show="lapsed")),
    ]


def open_flags_by_kind() -> tuple[Figure, list[Figure]]:
    """Every open flag (acknowledged or not), and the open flags of each kind: one query, kept in the
    cache until a write to the flags commits."""
    return generations.cached(FLAGS_GENERATION, "dashboard:by-kind", _open_flags_by_kind)


def _open_flags_by_kind() -> tuple[Figure, list[Figure]]:
    counts = dict(Flag.objects.open().order_by().values_list("kind").annotate(n=Count("pk")))
    by_kind = [
        Figure(label, counts.get(kind, 0), _url("compliance:board", kind=kind)) for kind, label in Flag.Kind.choices
    ]
    return Figure("Open flags", sum(counts.values()), reverse("compliance:board")), by_kind


def month_ends(now: datetime.datetime, months: int = TREND_MONTHS) -> list[tuple[datetime.date, datetime.datetime]]:
    """The last `months` months, oldest first, as (first day of the month, the moment it ends: the
    first instant of the next month, local time). The current month is the last; its end is still
    to come, so the flags open at it are those open now."""
    local = timezone.localtime(now)
    year, month = local.year, local.month
    ends = []
    for _ in range(months):
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        end = timezone.make_aware(datetime.datetime(next_year, next_month, 1))
        ends.append((datetime.date(year, month, 1), end))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return ends[::-1]


@dataclass
class TrendPoint:
    month: datetime.date
    end: datetime.datetime
    value: int
    is_current: bool


def open_flags_trend(*, now: datetime.datetime | None = None, months: int = TREND_MONTHS) -> list[TrendPoint]:
    """For each of the last `months` month-ends, the flags open at that moment: opened before it
    and not resolved before it. One query, a conditional count per month, kept in the cache until a
    write to the flags commits (the month ends are in its key)."""
    ends = month_ends(now or timezone.now(), months)
    key = f"dashboard:trend:{ends[0][1].isoformat()}:{months}"
    return generations.cached(FLAGS_GENERATION, key, lambda: _open_flags_trend(ends))


def _open_flags_trend(ends: list[tuple[datetime.date, datetime.datetime]]) -> list[TrendPoint]:
    first_end, last_end = ends[0][1], ends[-1][1]
    counts = (
        Flag.objects.order_by()
        .filter(opened_at__lt=last_end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=first_end))
        .aggregate(
            **{
                f"m{index}": Count(
                    "pk", filter=Q(opened_at__lt=end) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
                )
                for index, (_month, end) in enumerate(ends)
            }
        )
    )
    return [
        TrendPoint(month=month, end=end, value=counts[f"m{index}"], is_current=index == len(ends) - 1)
        for index, (month, end) in enumerate(ends)
    ]
