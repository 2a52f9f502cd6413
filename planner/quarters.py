"""Quarters and financial years, the way councils talk about them.

Pure calendar maths (standard library only). A `Quarter` belongs to a financial year that
starts in `first_month` (April for UK councils) and is named by the calendar year in which
that financial year starts: with April, January 2028 is in Q4 of 2027/28.

The stable string form of a quarter is its `key`, "2027/28-Q1" (the financial-year label, a
hyphen, "Q" and the number); `parse_quarter` reads it back, and also accepts the shorter
"2027-Q1" (the financial year's start year). The key does not record the first month, so the
caller passes the council's first month to `parse_quarter`, as it does everywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
APRIL = 4

NOW = "now"
NEXT = "next"
LATER = "later"
NOT_SCHEDULED = "unscheduled"
HORIZONS = (NOW, NEXT, LATER, NOT_SCHEDULED)
HORIZON_LABELS = {
    NOW: "Now",
    NEXT: "Next",
    LATER: "Later",
    NOT_SCHEDULED: "Not scheduled within the plan",
}
# Now is the planning start's quarter; Next is the two after it; Later is the rest.
_NEXT_QUARTERS = 2

_KEY = re.compile(r"^\s*(\d{4})(?:/(\d{2}|\d{4}))?\s*-\s*Q([1-4])\s*$", re.IGNORECASE)


def financial_year_of(year: int, month: int, first_month: int = APRIL) -> int:
    """The start year of the financial year containing `year`-`month`."""
    _check_month(month)
    _check_month(first_month)
    return year if month >= first_month else year - 1


def financial_year_label(year: int, first_month: int = APRIL) -> str:
    """ "2027/28" for a year starting in April 2027; "2027" when it is the calendar year."""
    if first_month == 1:
        return str(year)
    return f"{year}/{(year + 1) % 100:02d}"


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    year: int  # the financial year's start year
    number: int  # 1–4 within the financial year
    first_month: int = APRIL

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter number must be 1–4, not {self.number}")
        _check_month(self.first_month)

    @property
    def _ordinal(self) -> int:
        return self.year * 4 + self.number - 1

    def _month(self, offset: int) -> tuple[int, int]:
        """(calendar year, month) of the quarter's month number `offset` (0–2)."""
        months = self.year * 12 + self.first_month - 1 + 3 * (self.number - 1) + offset
        return months // 12, months % 12 + 1

    @property
    def start(self) -> date:
        year, month = self._month(0)
        return date(year, month, 1)

    @property
    def financial_year_label(self) -> str:
        return financial_year_label(self.year, self.first_month)

    @property
    def short_label(self) -> str:
        return f"Q{self.number} {self.financial_year_label}"

    @property
    def months_label(self) -> str:
        """ "Apr–Jun 2027", or "Nov 2027–Jan 2028" when the quarter spans a new year."""
        (first_year, first), (last_year, last) = self._month(0), self._month(2)
        if first_year == last_year:
            return f"{MONTHS[first - 1]}–{MONTHS[last - 1]} {last_year}"
        return f"{MONTHS[first - 1]} {first_year}–{MONTHS[last - 1]} {last_year}"

    @property
    def label(self) -> str:
        return f"{self.short_label} ({self.months_label})"

    @property
    def key(self) -> str:
        return f"{self.financial_year_label}-Q{self.number}"

    def plus(self, count: int) -> Quarter:
        year, index = divmod(self._ordinal + count, 4)
        return Quarter(year, index + 1, self.first_month)

    def next(self) -> Quarter:
        return self.plus(1)

    def minus(self, other: Quarter) -> int:
        """How many quarters `other` is before this one (negative when it is after)."""
        return self._ordinal - other._ordinal


def quarter_containing(day: date, first_month: int = APRIL) -> Quarter:
    year = financial_year_of(day.year, day.month, first_month)
    months_in = (day.month - first_month) % 12
    return Quarter(year, months_in // 3 + 1, first_month)


def parse_quarter(text: str, first_month: int = APRIL) -> Quarter:
    """Read a `Quarter.key` ("2027/28-Q1") or the short form "2027-Q1" back."""
    match = _KEY.match(text)
    if match is None:
        raise ValueError(f"not a quarter: {text!r} (expected e.g. '2027/28-Q1')")
    year, end, number = int(match[1]), match[2], int(match[3])
    if end is not None and int(end) % 100 != (year + 1) % 100:
        raise ValueError(f"not a financial year: {text!r}")
    return Quarter(year, number, first_month)


def quarters_from(start: Quarter, count: int) -> list[Quarter]:
    return [start.plus(offset) for offset in range(count)]


def horizon_of(index: int | None) -> str:
    """The horizon of a quarter index in the plan (0 = the planning start); None = unscheduled."""
    if index is None:
        return NOT_SCHEDULED
    if index <= 0:
        return NOW
    return NEXT if index <= _NEXT_QUARTERS else LATER


def _check_month(month: int) -> None:
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1–12, not {month}")
