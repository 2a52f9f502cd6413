from __future__ import annotations

import pytest

from planner.charts import (
    BIG_BETS,
    DOWN,
    FILL_INS,
    MONEY_PITS,
    QUICK_WINS,
    SAME,
    UP,
    MatrixInput,
    SlopeInput,
    bar_chart,
    nice_ceiling,
    quadrant_for,
    slope_chart,
    value_effort_matrix,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(7, 10), (10, 10), (11, 20), (23, 25), (0.3, 0.5), (0, 1), (-5, 1), (5e-324, 1)],
)
def test_nice_ceiling_rounds_up_to_a_readable_axis_maximum(value, expected):
    assert nice_ceiling(value) == pytest.approx(expected)


def test_bar_chart_scales_the_longest_bar_to_the_nice_maximum():
    chart = bar_chart([("Procurement", 10), ("Data sharing", 5)], width=600, label_width=200)
    plot_width = 600 - 200 - 50
    assert chart.bars[0].width == pytest.approx(plot_width)
    assert chart.bars[1].width == pytest.approx(plot_width / 2)
    assert chart.total == 15


def test_bar_chart_puts_each_bar_on_its_own_row_with_its_value_printed():
    chart = bar_chart([("A", 3), ("B", 4), ("C", 0)])
    assert [bar.value_label for bar in chart.bars] == ["3", "4", "0"]
    ys = [bar.y for bar in chart.bars]
    assert ys == sorted(ys) and len(set(ys)) == 3
    assert chart.height > chart.bars[-1].y + chart.bars[-1].height


def test_bar_chart_with_no_data_has_no_bars_and_a_drawable_size():
    chart = bar_chart([])
    assert chart.bars == [] and chart.height > 0


@pytest.mark.parametrize(
    ("value", "effort", "expected"),
    [(80, 5, QUICK_WINS), (80, 50, BIG_BETS), (10, 5, FILL_INS), (10, 50, MONEY_PITS)],
)
def test_quadrant_for_names_the_four_quadrants(value, effort, expected):
    assert quadrant_for(value, effort, value_threshold=50, effort_threshold=20) == expected


def test_a_point_on_the_median_lines_counts_as_a_quick_win():
    assert quadrant_for(50, 20, value_threshold=50, effort_threshold=20) == QUICK_WINS


def _points():
    return [
        MatrixInput("DIG-001", "Cheap and good", value=90, effort=5),
        MatrixInput("DIG-002", "Dear and good", value=80, effort=100),
        MatrixInput("DIG-003", "Cheap and meh", value=10, effort=10),
        MatrixInput("DIG-004", "Dear and meh", value=5, effort=90),
    ]


def test_matrix_puts_high_value_at_the_top_and_high_effort_on_the_right():
    matrix = value_effort_matrix(_points())
    by_ref = {point.reference: point for point in matrix.points}
    assert by_ref["DIG-001"].y < by_ref["DIG-003"].y
    assert by_ref["DIG-002"].x > by_ref["DIG-001"].x
    assert all(matrix.left <= p.x <= matrix.right for p in matrix.points)
    assert all(matrix.top <= p.y <= matrix.bottom for p in matrix.points)


def test_matrix_splits_at_the_medians_and_counts_each_quadrant():
    matrix = value_effort_matrix(_points())
    assert matrix.value_threshold == pytest.approx(45)
    assert matrix.effort_threshold == pytest.approx(50)
    counts = {quadrant.key: quadrant.count for quadrant in matrix.quadrants}
    assert counts == {QUICK_WINS: 1, BIG_BETS: 1, FILL_INS: 1, MONEY_PITS: 1}
    assert [p.reference for p in matrix.by_quadrant(MONEY_PITS)] == ["DIG-004"]


def test_every_quadrant_has_a_label_and_its_own_marker_shape():
    matrix = value_effort_matrix(_points())
    assert [q.label for q in matrix.quadrants] == [
        "Quick wins",
        "Big bets",
        "Fill-ins",
        "Money pits",
    ]
    assert len({q.shape for q in matrix.quadrants}) == 4


def test_matrix_quadrant_boxes_tile_the_plot_area():
    matrix = value_effort_matrix(_points())
    area = sum(q.width * q.height for q in matrix.quadrants)
    assert area == pytest.approx((matrix.right - matrix.left) * (matrix.bottom - matrix.top))


def test_empty_matrix_still_has_four_quadrants_and_ticks():
    matrix = value_effort_matrix([])
    assert matrix.points == []
    assert len(matrix.quadrants) == 4
    assert len(matrix.x_ticks) == 5 and len(matrix.y_ticks) == 5


def test_slope_chart_marks_direction_and_size_of_each_move():
    chart = slope_chart(
        [
            SlopeInput("DIG-001", "Up", before=5, after=1),
            SlopeInput("DIG-002", "Down", before=1, after=4),
            SlopeInput("DIG-003", "Same", before=2, after=2),
        ]
    )
    by_ref = {line.reference: line for line in chart.lines}
    assert (by_ref["DIG-001"].direction, by_ref["DIG-001"].change) == (UP, 4)
    assert (by_ref["DIG-002"].direction, by_ref["DIG-002"].change) == (DOWN, -3)
    assert by_ref["DIG-003"].direction == SAME
    # Different dash patterns, so direction never relies on colour.
    assert len({line.dash for line in chart.lines}) == 3


def test_slope_chart_draws_a_rise_as_a_line_going_up():
    chart = slope_chart([SlopeInput("A", "a", 3, 1), SlopeInput("B", "b", 1, 2)])
    rise = next(line for line in chart.lines if line.reference == "A")
    assert rise.y2 < rise.y1 and rise.x2 > rise.x1


def test_slope_chart_can_print_ranks_and_count_moves_by_rank():
    chart = slope_chart(
        [SlopeInput("A", "a", before=3, after=4, before_label="=3", after_label="=3", change=0)]
    )
    line = chart.lines[0]
    assert (line.before_label, line.after_label, line.direction) == ("=3", "=3", SAME)
