"""Group scoring maths for scoring rounds: a cell's median, range and disagreement, the
default agreed score, and the order a meeting discusses items in. Pure: no Django imports."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import median

# A range of 2 or more on a 1–5 scale (say a 2 and a 4) is worth talking about.
DISAGREE_AT = 2


@dataclass(frozen=True, slots=True)
class CellSummary:
    """What the participants said about one item on one criterion."""

    count: int
    median: Fraction
    low: int
    high: int

    @property
    def spread(self) -> int:
        return self.high - self.low

    @property
    def disagree(self) -> bool:
        return self.spread >= DISAGREE_AT

    @property
    def default_agreed(self) -> int:
        return round_half_up(self.median)


def round_half_up(value: Fraction) -> int:
    """2.5 → 3, as people expect (Python's round() would give 2: banker's rounding)."""
    return math.floor(value + Fraction(1, 2))


def summarise(values: Sequence[int]) -> CellSummary | None:
    """The cell's summary, or None when nobody scored it."""
    if not values:
        return None
    return CellSummary(
        count=len(values),
        median=Fraction(median([Fraction(value) for value in values])),
        low=min(values),
        high=max(values),
    )


def disagreement_key(cells: Sequence[CellSummary | None]) -> tuple[int, int, int]:
    """Sort key (ascending) putting the item with the most disagreement first: most cells
    flagged, then the widest range, then the most spread in total."""
    summaries = [cell for cell in cells if cell is not None]
    flagged = sum(1 for cell in summaries if cell.disagree)
    widest = max((cell.spread for cell in summaries), default=0)
    total = sum(cell.spread for cell in summaries)
    return (-flagged, -widest, -total)
