"""The dashboard's chart geometry: bar lengths in proportion, long labels wrapped inside the chart's
width, the line chart's axis reaching its largest value, and the month-ends of the trend."""

import datetime
import zoneinfo

from dashboard import charts
from dashboard.queries import month_ends

LONDON = zoneinfo.ZoneInfo("Europe/London")


def test_count_bars_are_in_proportion_to_the_largest():
    chart = charts.count_chart("c", "Counts", [("A", 4), ("B", 2), ("C", 0)])
    assert [bar.width for bar in chart.bars] == [charts.BAR_AREA, charts.BAR_AREA / 2, 0]
    assert [bar.value_text for bar in chart.bars] == ["4", "2", "0"]
    assert chart.description == "A: 4; B: 2; C: 0."


def test_share_bars_are_out_of_the_whole_and_a_group_of_none_shows_a_dash():
    chart = charts.share_chart("s", "Shares", [("A", 1, 4), ("B", 0, 0)])
    assert chart.bars[0].width == charts.BAR_AREA / 4
    assert chart.bars[0].value_text == "25%"
    assert (chart.bars[1].width, chart.bars[1].value_text) == (0, "–")
    assert chart.description == "A: 1 of 4 (25%); B: no open organisations."


def test_long_labels_wrap_and_push_the_next_bar_down():
    label = "MSO not registered with the MHRA after 30 days"
    chart = charts.count_chart("c", "Counts", [(label, 1), ("Short", 1)])
    first, second = chart.bars
    assert [line for _y, line in first.label_lines] == ["MSO not registered with the MHRA after", "30 days"]
    assert all(len(line) <= charts.LABEL_CHARACTERS for _y, line in first.label_lines)
    assert second.label_lines[0][0] > first.bar_y + charts.BAR_HEIGHT
    assert chart.height >= second.bar_y + charts.BAR_HEIGHT


def test_line_chart_axis_reaches_the_largest_value_and_points_run_left_to_right():
    months = [datetime.date(2026, month, 1) for month in range(1, 13)]
    chart = charts.line_chart("t", "Trend", list(zip(months, [0, 3, 7, 7, 2, 0, 1, 1, 1, 1, 1, 9], strict=True)))
    assert [label for _y, label in chart.ticks] == ["0", "5", "10", "15", "20"]
    assert chart.points[0].y == charts.PLOT_BOTTOM
    xs = [point.x for point in chart.points]
    assert xs == sorted(xs) and xs[0] > charts.PLOT_LEFT and xs[-1] < charts.PLOT_RIGHT
    assert chart.points[0].year_label == "2026" and chart.points[1].year_label == ""
    assert chart.path.startswith(f"M{chart.points[0].x} {chart.points[0].y} L")


def test_month_ends_are_midnight_in_london_and_the_current_month_comes_last():
    ends = month_ends(datetime.datetime(2026, 3, 31, 23, 30, tzinfo=datetime.UTC), months=3)
    # 23:30 UTC on 31 March is 00:30 on 1 April in London: April is the current month.
    assert [month for month, _end in ends] == [
        datetime.date(2026, 2, 1),
        datetime.date(2026, 3, 1),
        datetime.date(2026, 4, 1),
    ]
    assert [end for _month, end in ends] == [
        datetime.datetime(2026, 3, 1, tzinfo=LONDON),
        datetime.datetime(2026, 4, 1, tzinfo=LONDON),
        datetime.datetime(2026, 5, 1, tzinfo=LONDON),
    ]
    assert ends[1][1].utcoffset() == datetime.timedelta(hours=1)
