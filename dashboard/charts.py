"""The geometry of the dashboard's charts, drawn by the templates as SVG (no script needed).

Each chart is 320 units wide and scales to its container, so it is legible on a 320 px screen.
Every bar and point carries its number as text, so nothing is told by colour alone; the template
gives each chart a title and a description, and the same numbers stand in a table beside it.
"""

from dataclasses import dataclass

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.dateformat import format as format_date

WIDTH = 320
# Horizontal bars: the label above (on two lines or more if it is long), the bar under it, its
# number at the right end.
BAR_AREA = 248
LABEL_LINE = 17  # the height of a line of label text (14-unit type)
LABEL_CHARACTERS = 38  # at most this many characters on a line of label
BAR_GAP = 5  # between the label's last baseline and the bar
BAR_HEIGHT = 14
ROW_GAP = 10  # below a bar
# The line chart's plotting area.
LINE_HEIGHT = 200
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 34, 310, 22, 150
POINT_INSET = 12  # the first and last points stand this far inside the plotting area


@dataclass
class Bar:
    label_lines: list[tuple[int, str]]  # (baseline, text)
    value_text: str
    width: float
    bar_y: int
    value_y: int


@dataclass
class BarChart:
    id: str
    title: str
    description: str
    bars: list[Bar]
    height: int
    shows_share: bool  # bars are shares of 100%: a track shows the whole
    width: int = WIDTH
    bar_area: int = BAR_AREA
    bar_height: int = BAR_HEIGHT


def wrap(text: str, limit: int = LABEL_CHARACTERS) -> list[str]:
    """`text` in lines of at most `limit` characters, broken between words (a longer word alone)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]


def _bar_chart(chart_id, title, description, rows, shows_share) -> BarChart:
    """Lays out rows of (label, value text, bar width) one under another."""
    bars = []
    top = 0
    for label, value_text, width in rows:
        lines = wrap(label)
        baselines = [top + 14 + LABEL_LINE * index for index in range(len(lines))]
        bar_y = baselines[-1] + BAR_GAP
        bars.append(Bar(list(zip(baselines, lines, strict=True)), value_text, width, bar_y, bar_y + BAR_HEIGHT - 2))
        top = bar_y + BAR_HEIGHT + ROW_GAP
    return BarChart(chart_id, title, description, bars, max(top - ROW_GAP + 2, 1), shows_share)


def count_chart(chart_id: str, title: str, rows: list[tuple[str, int]]) -> BarChart:
    """Bars for counts, the longest for the largest: rows of (label, value)."""
    largest = max((value for _label, value in rows), default=0)
    bars = [(label, intcomma(value), round(BAR_AREA * value / largest, 1) if largest else 0) for label, value in rows]
    description = "; ".join(f"{label}: {intcomma(value)}" for label, value in rows) + "."
    return _bar_chart(chart_id, title, description, bars, shows_share=False)


def share_chart(
    chart_id: str, title: str, rows: list[tuple[str, int, int]], empty: str = "no open organisations"
) -> BarChart:
    """Bars for shares, out of 100%: rows of (label, value, out of). A row out of nothing shows a
    dash and an empty track, and says `empty`."""
    bars = []
    parts = []
    for label, value, total in rows:
        if total:
            percent = f"{round(100 * value / total)}%"
            bars.append((label, percent, round(BAR_AREA * value / total, 1)))
            parts.append(f"{label}: {intcomma(value)} of {intcomma(total)} ({percent})")
        else:
            bars.append((label, "–", 0))
            parts.append(f"{label}: {empty}")
    return _bar_chart(chart_id, title, "; ".join(parts) + ".", bars, shows_share=True)


@dataclass
class Point:
    x: float
    y: float
    value: int
    value_y: float  # the number, just above the point
    month_label: str
    year_label: str  # under the first point and each January


@dataclass
class LineChart:
    id: str
    title: str
    description: str
    points: list[Point]
    path: str
    ticks: list[tuple[float, str]]  # (y, label) on the vertical axis
    width: int = WIDTH
    height: int = LINE_HEIGHT
    left: int = PLOT_LEFT
    right: int = PLOT_RIGHT
    top: int = PLOT_TOP
    bottom: int = PLOT_BOTTOM
    tick_x: int = PLOT_LEFT - 4
    month_y: int = PLOT_BOTTOM + 18
    year_y: int = PLOT_BOTTOM + 34


def _tick_step(largest: int, ticks: int = 4) -> int:
    """The smallest of 1, 2, 5, 10, 20, 25, 50, 100… that divides the axis into `ticks` steps
    reaching at least `largest`."""
    magnitude = 1
    while True:
        for step in (1, 2, 2.5, 5):
            candidate = step * magnitude
            if candidate == int(candidate) and candidate * ticks >= largest:
                return int(candidate)
        magnitude *= 10


def line_chart(chart_id: str, title: str, points: list[tuple], last_label: str = "now") -> LineChart:
    """A line through `points`, rows of (first day of the month, value), oldest first."""
    values = [value for _month, value in points]
    step = _tick_step(max(values, default=0) or 1)
    top_value = step * 4
    span_x = (PLOT_RIGHT - PLOT_LEFT - 2 * POINT_INSET) / max(len(points) - 1, 1)

    def y_of(value: float) -> float:
        return round(PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * value / top_value, 1)

    drawn = []
    for index, (month, value) in enumerate(points):
        show_year = index == 0 or month.month == 1
        drawn.append(
            Point(
                x=round(PLOT_LEFT + POINT_INSET + index * span_x, 1),
                y=y_of(value),
                value=value,
                value_y=round(y_of(value) - 7, 1),
                month_label=format_date(month, "M"),
                year_label=format_date(month, "Y") if show_year else "",
            )
        )
    path = " ".join(f"{'M' if index == 0 else 'L'}{point.x} {point.y}" for index, point in enumerate(drawn))
    ticks = [(y_of(step * index), intcomma(step * index)) for index in range(5)]
    parts = [f"{format_date(month, 'F Y')}: {intcomma(value)}" for month, value in points[:-1]]
    if points:
        parts.append(f"{last_label}: {intcomma(points[-1][1])}")
    description = "; ".join(parts) + "."
    return LineChart(chart_id, title, description, drawn, path, ticks)
