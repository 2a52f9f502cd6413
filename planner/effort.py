"""Effort is estimated once, in team-days; the Effort criterion's 1–5 level comes from it.

Pure: no Django. The council's bands are the upper bounds, in team-days, of levels 1 to 4;
anything above the last band is level 5. The defaults (5, 20, 60, 120) read as "days",
"weeks", "about a quarter", "about two quarters" and "more than that".
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

DEFAULT_BANDS: tuple[int, ...] = (5, 20, 60, 120)
LEVEL_COUNT = 5
_DESCRIPTIONS = (
    "a small change by the existing team",
    "a few weeks of one team",
    "one team for about a quarter",
    "one team for about two quarters",
    "several quarters or several teams",
)


def validate_bands(bands: Sequence[float]) -> tuple[float, ...]:
    """Four positive, strictly increasing upper bounds, or ValueError saying what is wrong."""
    values = tuple(float(band) for band in bands)
    if len(values) != LEVEL_COUNT - 1:
        raise ValueError(f"Give {LEVEL_COUNT - 1} band limits, one for each of levels 1 to 4.")
    if values[0] <= 0:
        raise ValueError("The first band limit must be more than 0 team-days.")
    if any(upper <= lower for lower, upper in zip(values, values[1:], strict=False)):
        raise ValueError("Each band limit must be larger than the one before it.")
    return values


def effort_level(days: float | Decimal, bands: Sequence[float] = DEFAULT_BANDS) -> int:
    """The Effort level (1–5) of an estimate: the first band it fits in."""
    for level, upper in enumerate(bands, start=1):
        if days <= upper:
            return level
    return len(bands) + 1


def band_descriptions(bands: Sequence[float] = DEFAULT_BANDS) -> list[str]:
    """The anchored text of each level, e.g. "Up to 5 team-days: a small change by ..."."""
    limits = [f"Up to {_days(upper)} team-days" for upper in bands]
    limits.append(f"Over {_days(bands[-1])} team-days")
    return [f"{limit}: {text}" for limit, text in zip(limits, _DESCRIPTIONS, strict=True)]


def _days(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
