from __future__ import annotations

import pytest

from planner.charts import (
    BIG_BETS,
    DENSITY_LEVELS,
    DOWN,
    FILL_INS,
    MONEY_PITS,
    QUICK_WINS,
    SAME,
    UP,
    MatrixInput,
    SlopeInput,
    bar_chart,
    density_grid,
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


def _cloud(count: int) -> list[MatrixInput]:
    """`count` points spread over value 0-99 and effort 0-59, deterministic."""
    return [
        MatrixInput(f"DIG-{n:04}", f"Item {n}", value=(n * 37) % 100, effort=(n * 13) % 60)
        for n in range(count)
    ]


def test_small_matrix_draws_a_marker_per_item_and_no_grid():
    matrix = value_effort_matrix(_cloud(300))
    assert matrix.density is None
    assert len(matrix.points) == 300


def test_matrix_beyond_the_dot_limit_counts_every_item_in_a_grid():
    matrix = value_effort_matrix(_cloud(301))
    grid = matrix.density
    assert grid is not None
    assert sum(cell.count for cell in grid.cells) == 301
    assert sum(sum(row) for row in grid.rows) == 301
    # Quadrant counts and the ranked table still cover every item.
    assert sum(quadrant.count for quadrant in matrix.quadrants) == 301
    assert len(matrix.points) == 301


def test_density_grid_size_does_not_grow_with_the_backlog():
    small = value_effort_matrix(_cloud(400)).density
    large = value_effort_matrix(_cloud(20_000)).density
    assert small is not None and large is not None
    assert len(large.cells) <= 100 and len(large.rows) == 10
    assert all(len(row) == 10 for row in large.rows)


def test_density_grid_puts_most_value_at_the_top_and_most_effort_on_the_right():
    points = [
        MatrixInput("A", "Valuable and cheap", value=99, effort=1),
        MatrixInput("B", "Worthless and dear", value=1, effort=99),
        MatrixInput("C", "Worthless and dear too", value=2, effort=98),
    ]
    grid = density_grid(points, plot=(0, 0, 100, 100), effort_max=100, value_max=100)
    by_count = {cell.count: cell for cell in grid.cells}
    top_left, bottom_right = by_count[1], by_count[2]
    assert (top_left.row, top_left.column) == (0, 0)
    assert (bottom_right.row, bottom_right.column) == (9, 9)
    assert top_left.value_band == "90 to 100" and top_left.effort_band == "0 to 10"
    assert grid.value_bands[0] == "90 to 100" and grid.value_bands[-1] == "0 to 10"
    assert grid.rows[9][9] == 2 and grid.rows[0][0] == 1
    assert (top_left.x, top_left.y, top_left.width, top_left.height) == (0, 0, 10, 10)


def test_density_levels_run_from_one_to_the_busiest_cell():
    points = [MatrixInput(f"A{n}", "", value=95, effort=5) for n in range(10)]
    points.append(MatrixInput("B", "", value=5, effort=95))
    grid = density_grid(points, plot=(0, 0, 100, 100), effort_max=100, value_max=100)
    levels = {cell.count: cell.level for cell in grid.cells}
    assert levels == {10: DENSITY_LEVELS, 1: 1}


def test_points_on_the_axis_maximum_or_off_the_scale_land_in_the_end_cells():
    points = [
        MatrixInput("TOP", "", value=100, effort=100),
        MatrixInput("NEG", "", value=-3, effort=-1),
    ]
    grid = density_grid(points, plot=(0, 0, 100, 100), effort_max=100, value_max=100)
    assert grid.rows[0][9] == 1 and grid.rows[9][0] == 1


def test_slope_chart_draws_entries_from_new_and_exits_to_left():
    chart = slope_chart(
        [
            SlopeInput("A", "a", before=1, after=2),
            SlopeInput("N", "new", before=None, after=1, after_label="1"),
            SlopeInput("D", "done", before=2, after=None, before_label="2", note="Delivered"),
        ]
    )
    by_reference = {line.reference: line for line in chart.lines}
    new, gone = by_reference["N"], by_reference["D"]
    assert (new.direction, new.change, gone.direction, gone.note) == ("new", 0, "left", "Delivered")
    # New items start below the earlier plan's items; exits end below the later plan's.
    assert new.y1 == chart.entry_y > by_reference["A"].y1
    assert gone.y2 == chart.exit_y > by_reference["A"].y2
    assert (chart.entry_label, chart.exit_label) == ("New (1)", "Left (1)")
    assert chart.height > chart.exit_y
