"""Geometry for the server-rendered SVG charts: a bar chart, a value-versus-effort matrix and a
slope chart of rank movement between two plans.

Pure functions (no Django): plain data in, dataclasses of coordinates and labels out. The
templates draw the SVG from these, so every number on screen comes from one place, and the
charts can be tested without a browser. Shapes and text carry the meaning; colour only repeats it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

# Quadrant keys, in reading order (top-left, top-right, bottom-left, bottom-right).
QUICK_WINS = "quick_wins"
BIG_BETS = "big_bets"
FILL_INS = "fill_ins"
MONEY_PITS = "money_pits"
QUADRANT_LABELS = {
    QUICK_WINS: "Quick wins",
    BIG_BETS: "Big bets",
    FILL_INS: "Fill-ins",
    MONEY_PITS: "Money pits",
}
# Each quadrant has its own marker shape, so colour is never the only signal.
QUADRANT_SHAPES = {
    QUICK_WINS: "circle",
    BIG_BETS: "square",
    FILL_INS: "triangle",
    MONEY_PITS: "diamond",
}
QUADRANT_HINTS = {
    QUICK_WINS: "high value, low effort",
    BIG_BETS: "high value, high effort",
    FILL_INS: "low value, low effort",
    MONEY_PITS: "low value, high effort",
}

UP = "up"
DOWN = "down"
SAME = "same"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value`, so axis ticks read cleanly."""
    # Below the tolerance the comparison below uses, a value is nothing to scale to (and a
    # subnormal one would make its magnitude underflow to 0).
    if not math.isfinite(value) or value <= 1e-9:
        return 1.0
    magnitude: float = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value - 1e-9:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def axis_position(value: float, maximum: float, start: float, end: float, digits: int) -> float:
    """Where `value` falls on an axis that runs from `start` (for 0) to `end` (for `maximum`);
    values off the scale stay on its ends."""
    return round(start + (end - start) * min(max(value, 0.0), maximum) / maximum, digits)


def quarter_ticks(
    maximum: float, position: Callable[[float], float], label: Callable[[float], str]
) -> list[Tick]:
    """Five ticks along an axis: at 0, a quarter, half, three quarters and all of `maximum`."""
    return [Tick(position(maximum * step / 4), label(maximum * step / 4)) for step in range(5)]


def _fmt(value: float) -> str:
    """Numbers as people write them: 12, 12.5, 0.25 (no trailing zeros)."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


# --- Bar chart ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    value_label: str
    x: float
    y: float
    width: float
    height: float
    label_x: float
    text_y: float
    value_x: float


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    maximum: float
    axis_x: float
    axis_top: float
    axis_bottom: float
    total: float


def bar_chart(
    data: Sequence[tuple[str, float]],
    *,
    width: int = 640,
    label_width: int = 230,
    row_height: int = 30,
    bar_height: int = 20,
    value_gap: int = 6,
    value_width: int = 50,
) -> BarChart:
    """A horizontal bar chart: one row per (label, value), labels on the left, values printed."""
    plot_width = width - label_width - value_width
    maximum = max((value for _, value in data), default=0.0)
    scale_max = nice_ceiling(maximum) if maximum > 0 else 1.0
    top = 10
    bars = []
    for index, (label, value) in enumerate(data):
        y = top + index * row_height
        bar_width = plot_width * max(value, 0) / scale_max
        bars.append(
            Bar(
                label=label,
                value=value,
                value_label=_fmt(value),
                x=label_width,
                y=y + (row_height - bar_height) / 2,
                width=round(bar_width, 2),
                height=bar_height,
                label_x=label_width - 8,
                text_y=y + row_height / 2 + 5,
                value_x=round(label_width + bar_width + value_gap, 2),
            )
        )
    height = top * 2 + max(len(data), 1) * row_height
    return BarChart(
        width=width,
        height=height,
        bars=bars,
        maximum=maximum,
        axis_x=label_width,
        axis_top=top,
        axis_bottom=height - top,
        total=sum(value for _, value in data),
    )


# --- Value-versus-effort matrix ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatrixInput:
    reference: str
    title: str
    value: float  # higher is better
    effort: float  # team-days, higher is more work
    rank_label: str = ""


@dataclass(frozen=True, slots=True)
class MatrixPoint:
    reference: str
    title: str
    value: float
    effort: float
    rank_label: str
    quadrant: str
    shape: str
    x: float
    y: float

    @property
    def quadrant_label(self) -> str:
        return QUADRANT_LABELS[self.quadrant]


@dataclass(frozen=True, slots=True)
class Quadrant:
    key: str
    label: str
    hint: str
    shape: str
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    count: int


class Tick(NamedTuple):
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class DensityCell:
    """One square of the density grid: how many items fall in its effort and value bands."""

    column: int  # 0 = least effort
    row: int  # 0 = most value (the top row)
    count: int
    level: int  # 1 (fewest) to DENSITY_LEVELS (most), for the fill
    x: float
    y: float
    width: float
    height: float
    text_x: float
    text_y: float
    effort_band: str
    value_band: str


@dataclass(frozen=True, slots=True)
class DensityGrid:
    """The matrix as a grid of counts, for backlogs too large for a marker per item: the
    cells that hold any items, and the whole grid as rows for its table equivalent."""

    cells: list[DensityCell]
    effort_bands: list[str]  # column headings, least effort first
    value_bands: list[str]  # row headings, most value first
    rows: list[list[int]]  # counts, rows[row][column]

    @property
    def labelled_rows(self) -> list[tuple[str, list[int]]]:
        """Each row's value band with its counts, for the table."""
        return list(zip(self.value_bands, self.rows, strict=True))


@dataclass(frozen=True, slots=True)
class Matrix:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    points: list[MatrixPoint]
    quadrants: list[Quadrant]
    value_threshold: float
    effort_threshold: float
    threshold_x: float
    threshold_y: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    value_max: float
    effort_max: float
    # Set instead of drawing markers when there are more points than the matrix's dot limit.
    density: DensityGrid | None = None

    def by_quadrant(self, key: str) -> list[MatrixPoint]:
        return [point for point in self.points if point.quadrant == key]


def quadrant_for(
    value: float, effort: float, *, value_threshold: float, effort_threshold: float
) -> str:
    """Which quadrant a point is in. On a line counts as high value and low effort: a tie
    goes the item's way."""
    high_value = value >= value_threshold
    low_effort = effort <= effort_threshold
    if high_value:
        return QUICK_WINS if low_effort else BIG_BETS
    return FILL_INS if low_effort else MONEY_PITS


def _quadrants(
    plot: tuple[float, float, float, float],
    *,
    threshold_x: float,
    threshold_y: float,
    counts: dict[str, int],
) -> list[Quadrant]:
    """The four quadrant boxes of a plot area (left, top, right, bottom) split at the
    thresholds, each with its label position and how many points it holds."""
    left, top, right, bottom = plot
    boxes = {
        QUICK_WINS: (left, top, threshold_x - left, threshold_y - top),
        BIG_BETS: (threshold_x, top, right - threshold_x, threshold_y - top),
        FILL_INS: (left, threshold_y, threshold_x - left, bottom - threshold_y),
        MONEY_PITS: (threshold_x, threshold_y, right - threshold_x, bottom - threshold_y),
    }
    # Labels sit in the outer corner of each quadrant, where points are sparsest.
    label_positions = {
        QUICK_WINS: (left + 8, top + 18),
        BIG_BETS: (right - 8, top + 18),
        FILL_INS: (left + 8, bottom - 8),
        MONEY_PITS: (right - 8, bottom - 8),
    }
    return [
        Quadrant(
            key=key,
            label=label,
            hint=QUADRANT_HINTS[key],
            shape=QUADRANT_SHAPES[key],
            x=boxes[key][0],
            y=boxes[key][1],
            width=max(boxes[key][2], 0.0),
            height=max(boxes[key][3], 0.0),
            label_x=label_positions[key][0],
            label_y=label_positions[key][1],
            count=counts[key],
        )
        for key, label in QUADRANT_LABELS.items()
    ]


# Beyond this many items, one marker each stops informing anyone (they pile into blots) and
# costs the page about 160 bytes apiece (819 KiB at 5,000 items): the matrix draws a density
# grid instead, whose size does not grow with the backlog.
MATRIX_DOT_LIMIT = 300
# A 10 × 10 grid: a nice axis maximum (1, 2, 2.5 or 5 × 10ⁿ) divides into ten clean bands.
DENSITY_COLUMNS = 10
DENSITY_ROWS = 10
DENSITY_LEVELS = 5


def _band_index(value: float, maximum: float, bands: int) -> int:
    """Which of `bands` equal bands from 0 to `maximum` holds `value`; each band includes its
    lower bound, the last also its upper one, and values off the scale go to the end bands."""
    return min(max(int(value / maximum * bands), 0), bands - 1)


def _band_labels(maximum: float, bands: int) -> list[str]:
    step = maximum / bands
    return [f"{_fmt(step * i)} to {_fmt(step * (i + 1))}" for i in range(bands)]


def density_grid(
    data: Sequence[MatrixInput],
    *,
    plot: tuple[float, float, float, float],
    effort_max: float,
    value_max: float,
    columns: int = DENSITY_COLUMNS,
    rows: int = DENSITY_ROWS,
) -> DensityGrid:
    """Count the points in a grid over the plot area (left, top, right, bottom): effort bands
    left to right, value bands top (most value) to bottom."""
    left, top, right, bottom = plot
    counts = [[0] * columns for _ in range(rows)]
    for point in data:
        column = _band_index(point.effort, effort_max, columns)
        row = rows - 1 - _band_index(point.value, value_max, rows)
        counts[row][column] += 1
    effort_bands = _band_labels(effort_max, columns)
    value_bands = _band_labels(value_max, rows)[::-1]
    cell_width = (right - left) / columns
    cell_height = (bottom - top) / rows
    busiest = max((count for row in counts for count in row), default=0)
    cells = [
        DensityCell(
            column=column,
            row=row,
            count=count,
            # Levels split the busiest cell's count evenly, so the darkest fill always means
            # "about as crowded as this backlog gets".
            level=max(1, math.ceil(DENSITY_LEVELS * count / busiest)),
            x=round(left + column * cell_width, 1),
            y=round(top + row * cell_height, 1),
            width=round(cell_width, 1),
            height=round(cell_height, 1),
            text_x=round(left + (column + 0.5) * cell_width, 1),
            text_y=round(top + (row + 0.5) * cell_height, 1),
            effort_band=effort_bands[column],
            value_band=value_bands[row],
        )
        for row, counts_in_row in enumerate(counts)
        for column, count in enumerate(counts_in_row)
        if count
    ]
    return DensityGrid(cells=cells, effort_bands=effort_bands, value_bands=value_bands, rows=counts)


def value_effort_matrix(
    data: Sequence[MatrixInput],
    *,
    dot_limit: int = MATRIX_DOT_LIMIT,
    width: int = 640,
    height: int = 460,
    margin_left: int = 60,
    margin_right: int = 20,
    margin_top: int = 20,
    margin_bottom: int = 50,
) -> Matrix:
    """Plot value (up) against effort (right). The quadrant lines sit at the median value and
    median effort of the items plotted, so the quadrants compare items with each other rather
    than with an absolute scale that most of a backlog would sit on one side of."""
    left, top = float(margin_left), float(margin_top)
    right, bottom = float(width - margin_right), float(height - margin_bottom)
    values = [point.value for point in data]
    efforts = [point.effort for point in data]
    value_threshold = statistics.median(values) if values else 0.0
    effort_threshold = statistics.median(efforts) if efforts else 0.0
    value_max = nice_ceiling(max(values, default=0.0))
    effort_max = nice_ceiling(max(efforts, default=0.0))

    def x_of(effort: float) -> float:
        return axis_position(effort, effort_max, left, right, 1)

    def y_of(value: float) -> float:
        return axis_position(value, value_max, bottom, top, 1)

    points = []
    counts = dict.fromkeys(QUADRANT_LABELS, 0)
    for point in data:
        quadrant = quadrant_for(
            point.value,
            point.effort,
            value_threshold=value_threshold,
            effort_threshold=effort_threshold,
        )
        counts[quadrant] += 1
        points.append(
            MatrixPoint(
                reference=point.reference,
                title=point.title,
                value=point.value,
                effort=point.effort,
                rank_label=point.rank_label,
                quadrant=quadrant,
                shape=QUADRANT_SHAPES[quadrant],
                x=x_of(point.effort),
                y=y_of(point.value),
            )
        )
    threshold_x = x_of(effort_threshold) if data else (left + right) / 2
    threshold_y = y_of(value_threshold) if data else (top + bottom) / 2
    quadrants = _quadrants(
        (left, top, right, bottom), threshold_x=threshold_x, threshold_y=threshold_y, counts=counts
    )
    x_ticks = quarter_ticks(effort_max, x_of, _fmt)
    y_ticks = quarter_ticks(value_max, y_of, _fmt)
    density = (
        density_grid(
            data, plot=(left, top, right, bottom), effort_max=effort_max, value_max=value_max
        )
        if len(data) > dot_limit
        else None
    )
    return Matrix(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        points=points,
        quadrants=quadrants,
        value_threshold=round(value_threshold, 2),
        effort_threshold=round(effort_threshold, 2),
        threshold_x=threshold_x,
        threshold_y=threshold_y,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        value_max=value_max,
        effort_max=effort_max,
        density=density,
    )


# --- Slope chart -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlopeInput:
    reference: str
    title: str
    before: int | None  # position in the earlier plan, 1 = top; None = new in the later plan
    after: int | None  # position in the later plan; None = left before it
    # What to print and how far it moved, when that is not the position: a committee reads
    # competition ranks ("=3"), so a move between tied items may be 0 places.
    before_label: str = ""
    after_label: str = ""
    change: int | None = None
    note: str = ""  # why an item left ("Delivered", "Dropped")


@dataclass(frozen=True, slots=True)
class SlopeLine:
    reference: str
    title: str
    before: int | None
    after: int | None
    before_label: str
    after_label: str
    direction: str  # UP, DOWN, SAME, ENTERED or LEFT
    change: int  # places moved, positive = up (0 for entries and exits)
    x1: float
    y1: float
    x2: float
    y2: float
    dash: str  # stroke-dasharray: solid up, dashed down, dotted unchanged
    note: str = ""

    @property
    def places(self) -> int:
        return abs(self.change)


@dataclass(frozen=True, slots=True)
class SlopeChart:
    width: int
    height: int
    left_x: float
    right_x: float
    lines: list[SlopeLine]
    top: float
    bottom: float
    # Where entries start (below the earlier plan's items) and exits end (below the later
    # plan's), with their labels; None when there are none.
    entry_y: float | None = None
    exit_y: float | None = None
    entry_label: str = ""
    exit_label: str = ""


ENTERED, LEFT = "new", "left"
DASHES = {UP: "", DOWN: "8 4", SAME: "2 4", ENTERED: "", LEFT: "8 4"}


def slope_chart(
    data: Sequence[SlopeInput],
    *,
    width: int = 560,
    row_height: int = 22,
    column_inset: int = 170,
    top: int = 30,
) -> SlopeChart:
    """Lines from each item's earlier position (left) to its later one (right). Positions are
    re-numbered densely among the items shown, so a short chart has no empty gaps. Items new
    in the later plan start from a "New" point under the earlier plan's items; items that
    left end at a "Left" point under the later plan's."""
    before_order = {
        p: i for i, p in enumerate(sorted({i.before for i in data if i.before is not None}))
    }
    after_order = {
        p: i for i, p in enumerate(sorted({i.after for i in data if i.after is not None}))
    }
    entries = sum(1 for item in data if item.before is None)
    exits = sum(1 for item in data if item.after is None)
    # The entry and exit points sit one row under the last item of their column.
    entry_point = top + (len(before_order) + 0.5) * row_height
    exit_point = top + (len(after_order) + 0.5) * row_height
    rows = max(len(before_order) + bool(entries), len(after_order) + bool(exits), 1)
    left_x, right_x = float(column_inset), float(width - column_inset)
    lines = []
    infinity = float("inf")

    def order(item: SlopeInput) -> tuple[float, float]:
        return (
            infinity if item.after is None else item.after,
            infinity if item.before is None else item.before,
        )

    for item in sorted(data, key=order):
        if item.before is None or item.after is None:
            change = 0
            direction = ENTERED if item.before is None else LEFT
        else:
            change = item.before - item.after if item.change is None else item.change
            direction = UP if change > 0 else DOWN if change < 0 else SAME
        y1 = entry_point if item.before is None else top + before_order[item.before] * row_height
        y2 = exit_point if item.after is None else top + after_order[item.after] * row_height
        lines.append(
            SlopeLine(
                reference=item.reference,
                title=item.title,
                before=item.before,
                after=item.after,
                before_label=item.before_label or ("" if item.before is None else str(item.before)),
                after_label=item.after_label or ("" if item.after is None else str(item.after)),
                direction=direction,
                change=change,
                x1=left_x,
                y1=y1,
                x2=right_x,
                y2=y2,
                dash=DASHES[direction],
                note=item.note,
            )
        )
    bottom = top + (rows - 1) * row_height
    return SlopeChart(
        width=width,
        height=int(bottom + 20 + (row_height // 2 if entries or exits else 0)),
        left_x=left_x,
        right_x=right_x,
        lines=lines,
        top=float(top),
        bottom=float(bottom),
        entry_y=entry_point if entries else None,
        exit_y=exit_point if exits else None,
        entry_label=f"New ({entries})" if entries else "",
        exit_label=f"Left ({exits})" if exits else "",
    )
