from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from planner.plan_charts import LimitedInput, TimelineInput, limited_columns, timeline

QUARTERS = ["Q1 2027/28", "Q2 2027/28", "Q3 2027/28", "Q4 2027/28"]


def test_timeline_bar_spans_the_quarters_the_item_runs_in():
    chart = timeline(
        [TimelineInput("DIG-001", "Portal", 1, 2, committed=False, pinned=False)],
        QUARTERS,
        width=620,
        label_width=220,
    )
    (bar,) = chart.bars
    assert bar.x == 220 + 100 + 2  # column width 100
    assert bar.width == 2 * 100 - 4
    assert bar.description == "DIG-001 Portal: Q2 2027/28 to Q3 2027/28 (new)"


def test_committed_work_is_named_so_in_its_description():
    chart = timeline([TimelineInput("DIG-9", "Case", 0, 0, True, False)], QUARTERS)
    assert chart.bars[0].description.endswith("Q1 2027/28 (committed, in progress)")


def test_column_over_its_limit_is_flagged_and_the_limit_drawn():
    chart = limited_columns(
        [
            LimitedInput("Q1", [("committed", 80), ("new", 50)], 120),
            LimitedInput("Q2", [("committed", 0), ("new", 100)], 120),
            LimitedInput("2027/28", [("one_off", 10)], None),
        ]
    )
    first, second, unconstrained = chart.columns
    assert first.over and not second.over
    assert first.limit_y is not None and first.limit_y > chart.axis_top
    assert unconstrained.limit_y is None and unconstrained.limit_label == "no limit"


@given(
    st.lists(
        st.tuples(st.floats(0, 1e6), st.floats(0, 1e6), st.one_of(st.none(), st.floats(0, 1e6))),
        min_size=1,
        max_size=10,
    )
)
def test_segments_stack_within_the_plot(columns):
    chart = limited_columns(
        [
            LimitedInput(str(i), [("a", a), ("b", b)], limit)
            for i, (a, b, limit) in enumerate(columns)
        ]
    )
    for column in chart.columns:
        for segment in column.segments:
            assert chart.axis_top - 0.01 <= segment.y <= chart.axis_bottom + 0.01
            assert segment.height >= 0
        assert column.segments[1].y + column.segments[1].height <= column.segments[0].y + 0.02


def test_money_axis_reads_in_pounds():
    chart = limited_columns([LimitedInput("2027/28", [("one_off", 250_000)], 300_000)], money=True)
    assert chart.columns[0].limit_label == "limit £300k"
    assert chart.ticks[-1][1].startswith("£")
