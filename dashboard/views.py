from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from compliance.coverage import GENERATION, MEASURES, MEASURES_BY_KEY
from msonet import generations
from organisations.models import Region
from users.decorators import national_lead_required

from . import charts, queries


def _coverage_charts(prefix: str, rows: list[queries.CoverageRow], grouping: str) -> list[charts.BarChart]:
    """A chart of the open organisations in England of each row, then one per measure of each row's
    share of the measure it is based on (an MSO in place among those expected to name one)."""
    made = [
        charts.count_chart(
            f"{prefix}-open", f"Open organisations in England by {grouping}", [(row.label, row.total) for row in rows]
        )
    ]
    for measure in MEASURES:
        if not measure.base:
            continue  # a count, shown in the tables
        base = MEASURES_BY_KEY[measure.base].short_label
        made.append(
            charts.share_chart(
                f"{prefix}-{measure.key}",
                f"Share of those {base} with {measure.short_label}, by {grouping}",
                [(row.label, row.counts.get(measure.key, 0), row.base_count(measure)) for row in rows],
                empty=f"none {base}",
            )
        )
    return made


def _coverage_sections(day):
    """The coverage figures, and their charts and tables (a function of the figures alone) rendered."""
    coverage = queries.coverage(day=day)
    return coverage, render_to_string(
        "dashboard/coverage_sections.html",
        {
            "coverage": coverage,
            "columns": queries.COLUMNS,
            "national_label": queries.NO_REGION_LABEL,
            "region_charts": _coverage_charts("region", coverage.regions, "region"),
            "kind_charts": _coverage_charts("kind", coverage.kinds, "type"),
        },
    )


@national_lead_required
def index(request):
    """The national lead's coverage dashboard: coverage by region and by type, the work waiting,
    open flags by kind and their trend over 12 months. A fixed number of queries."""
    now = timezone.now()
    day = timezone.localdate(now)
    # Read under the generation of coverage before the figures are, so that the page kept is never older than its key.
    coverage, coverage_sections = generations.cached(
        GENERATION, f"dashboard:{day.isoformat()}:sections", lambda: _coverage_sections(day)
    )
    open_flags, flags_by_kind = queries.open_flags_by_kind()
    trend = queries.open_flags_trend(now=now)
    return render(
        request,
        "dashboard/index.html",
        {
            "today": day,
            "coverage": coverage,
            "coverage_sections": coverage_sections,
            "waiting": queries.requests_waiting(),
            "handovers": queries.handover_figures(day=day),
            "open_flags": open_flags,
            "flags_by_kind": flags_by_kind,
            "flags_chart": charts.count_chart(
                "flags-by-kind", "Open flags by kind", [(figure.label, figure.value) for figure in flags_by_kind]
            ),
            "trend": trend,
            "trend_chart": charts.line_chart(
                "flags-trend",
                "Open flags at the end of each of the last 12 months",
                [(point.month, point.value) for point in trend],
            ),
            "nav_section": "dashboard",
        },
    )


@national_lead_required
def region(request, code):
    """One region's coverage (or that of the organisations with no region), by organisation type."""
    try:
        region_row, kinds = queries.region_coverage(code, day=timezone.localdate())
    except Region.DoesNotExist:
        raise Http404("No such region.") from None
    return render(
        request,
        "dashboard/region.html",
        {
            "columns": queries.COLUMNS,
            "region": region_row,
            "kinds": kinds,
            "kind_charts": _coverage_charts(f"region-{code.lower()}", kinds, "type"),
            "parent_text": "National coverage dashboard",
            "parent_href": reverse("dashboard:index"),
            "nav_section": "dashboard",
        },
    )
