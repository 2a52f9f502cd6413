"""Geometry for the delivery plan's SVG charts: a timeline (Gantt) by quarter, capacity used
against capacity, and money against budget per financial year.

Pure functions (no Django), like `planner.charts`: plain data in, coordinates and labels out.
Each chart has a table equivalent on its page; shapes and text carry the meaning, colour only
repeats it (committed work is hatched as well as darker; a limit is a dashed line with a label).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from planner.charts import Tick, axis_position, nice_ceiling, quarter_ticks


def _money(value: float) -> str:
    if value >= 1_000_000:
        return f"£{value / 1_000_000:.1f}m"
    if value >= 1_000:
        return f"£{value / 1_000:.0f}k"
    return f"£{value:.0f}"


# --- Timeline ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineInput:
    reference: str
    title: str
    start: int  # quarter index
    end: int  # inclusive
    committed: bool
    pinned: bool


@dataclass(frozen=True, slots=True)
class TimelineBar:
    reference: str
    title: str
    committed: bool
    pinned: bool
    x: float
    y: float
    width: float
    height: float
    label_y: float
    description: str  # for the bar's <title>


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    x: float
    width: float
    centre: float


@dataclass(frozen=True, slots=True)
class Timeline:
    width: int
    height: int
    label_width: int
    header_height: int
    columns: list[Column]
    bars: list[TimelineBar]


def timeline(
    rows: Sequence[TimelineInput],
    quarter_labels: Sequence[str],
    *,
    width: int = 960,
    label_width: int = 220,
    row_height: int = 24,
    header_height: int = 28,
) -> Timeline:
    """One row per item, one column per quarter; a bar spans the quarters the item runs in."""
    count = max(len(quarter_labels), 1)
    column_width = (width - label_width) / count
    columns = [
        Column(
            label=label,
            x=round(label_width + index * column_width, 2),
            width=round(column_width, 2),
            centre=round(label_width + (index + 0.5) * column_width, 2),
        )
        for index, label in enumerate(quarter_labels)
    ]
    bars = []
    for index, row in enumerate(rows):
        y = header_height + index * row_height
        first, last = quarter_labels[row.start], quarter_labels[row.end]
        span = first if row.start == row.end else f"{first} to {last}"
        kind = "committed, in progress" if row.committed else ("pinned" if row.pinned else "new")
        bars.append(
            TimelineBar(
                reference=row.reference,
                title=row.title,
                committed=row.committed,
                pinned=row.pinned,
                x=round(label_width + row.start * column_width + 2, 2),
                y=y + 4,
                width=round((row.end - row.start + 1) * column_width - 4, 2),
                height=row_height - 8,
                label_y=y + row_height / 2 + 5,
                description=f"{row.reference} {row.title}: {span} ({kind})",
            )
        )
    height = header_height + max(len(rows), 1) * row_height + 4
    return Timeline(
        width=width,
        height=height,
        label_width=label_width,
        header_height=header_height,
        columns=columns,
        bars=bars,
    )


# --- Stacked columns against a limit (capacity, money) -------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    key: str  # e.g. "committed", "new", "one_off", "recurring"
    value: float
    y: float
    height: float


@dataclass(frozen=True, slots=True)
class LimitedColumn:
    label: str
    x: float
    width: float
    centre: float
    segments: list[Segment]
    total: float
    total_label: str
    total_y: float
    limit: float | None
    limit_y: float | None
    limit_label: str
    over: bool

    @property
    def value_y(self) -> float:
        """Where the total's label goes: above the column, and above the limit line too when
        the line runs just over the column, so the two never overlap."""
        # The label's text sits about 14 units above its baseline (total_y).
        if self.limit_y is not None and self.total_y - 16 < self.limit_y < self.total_y + 4:
            return round(self.limit_y - 5, 2)
        return self.total_y


@dataclass(frozen=True, slots=True)
class LimitedChart:
    width: int
    height: int
    axis_left: float
    axis_top: float
    axis_bottom: float
    maximum: float
    ticks: list[Tick]
    columns: list[LimitedColumn]


@dataclass(frozen=True, slots=True)
class LimitedInput:
    label: str
    parts: Sequence[tuple[str, float]]  # stacked bottom to top
    limit: float | None  # None: not constrained


def limited_columns(
    data: Sequence[LimitedInput],
    *,
    money: bool = False,
    width: int = 720,
    height: int = 260,
    axis_left: int = 64,
    top: int = 16,
    bottom: int = 40,
) -> LimitedChart:
    """Stacked columns with each column's own limit drawn as a dashed line across it."""
    fmt = _money if money else (lambda value: f"{value:,.0f}")
    peaks = [sum(v for _k, v in item.parts) for item in data]
    limits = [item.limit for item in data if item.limit is not None]
    maximum = nice_ceiling(max([*peaks, *limits, 0.0]))
    axis_bottom = height - bottom

    def y_of(value: float) -> float:
        return axis_position(value, maximum, axis_bottom, top, 2)

    slot = (width - axis_left) / max(len(data), 1)
    columns = []
    for index, item in enumerate(data):
        x = axis_left + index * slot + slot * 0.2
        running = 0.0
        segments = []
        for key, value in item.parts:
            low, high = y_of(running), y_of(running + value)
            segments.append(Segment(key=key, value=value, y=high, height=round(low - high, 2)))
            running += value
        limit_y = None if item.limit is None else y_of(item.limit)
        columns.append(
            LimitedColumn(
                label=item.label,
                x=round(x, 2),
                width=round(slot * 0.6, 2),
                centre=round(axis_left + (index + 0.5) * slot, 2),
                segments=segments,
                total=running,
                total_label=fmt(running),
                total_y=round(y_of(running) - 4, 2),
                limit=item.limit,
                limit_y=limit_y,
                limit_label="no limit" if item.limit is None else f"limit {fmt(item.limit)}",
                over=item.limit is not None and running > item.limit + 1e-6,
            )
        )
    ticks = quarter_ticks(maximum, y_of, fmt)
    return LimitedChart(
        width=width,
        height=height,
        axis_left=axis_left,
        axis_top=top,
        axis_bottom=axis_bottom,
        maximum=maximum,
        ticks=ticks,
        columns=columns,
    )
