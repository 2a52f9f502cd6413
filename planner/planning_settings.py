"""Save a council's planning settings in one go: quarters, capacity, money, effort bands and
how the plan is built. Admins edit them on one form; two admins saving at once must not
overwrite each other, so the save checks `Council.planning_version` and refuses a stale one.

Every save asks for one ranking run, which rebuilds the stored plan on the worker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from councils.models import Council, FinancialYearBudget, QuarterCapacity
from planner import estimates, ranking
from planner import quarters as cal
from planner.audit import record_change_reason
from planner.effort import band_descriptions, validate_bands
from planner.models import Criterion, ScheduleMode, WeightingProfile


class StaleSettings(Exception):
    """Someone else saved the planning settings after this form was loaded."""


@dataclass(frozen=True, slots=True)
class PlanningSettings:
    planning_start: date | None  # the first day of a quarter; None = the current quarter
    horizon_quarters: int
    capacity_days: int
    first_month: int
    # Quarter start -> team-days, for the quarters the form showed; None = the usual capacity.
    quarter_capacities: Mapping[date, int | None]
    # Financial year (its start year) -> (one-off, recurring); None = not constrained.
    budgets: Mapping[int, tuple[Decimal | None, Decimal | None]]
    effort_bands: Sequence[float]
    schedule_mode: str
    discount_percent: Decimal


@transaction.atomic
def save_planning_settings(
    *, council: Council, version: int, settings: PlanningSettings, user: Any = None
) -> Council:
    """Save everything or nothing. Raises StaleSettings when `version` is not the council's
    current planning version, and ValueError for bands or a mode that are not valid."""
    bands = [_whole(band) for band in validate_bands(settings.effort_bands)]
    if settings.schedule_mode not in ScheduleMode.values:
        raise ValueError(f"unknown schedule mode {settings.schedule_mode!r}")
    locked = Council.objects.select_for_update().get(pk=council.pk)
    if locked.planning_version != version:
        raise StaleSettings
    bands_changed = list(locked.effort_bands) != bands
    locked.planning_start = settings.planning_start
    locked.planning_horizon_quarters = settings.horizon_quarters
    locked.capacity_days_per_quarter = settings.capacity_days
    locked.financial_year_start_month = settings.first_month
    locked.effort_bands = bands
    locked.planning_version = version + 1
    locked.full_clean(exclude=["slug", "name", "council_type", "nation"])
    locked.save()
    _save_capacities(locked, settings.quarter_capacities)
    _save_budgets(locked, settings.budgets)
    _save_mode(locked, settings.schedule_mode, settings.discount_percent)
    if bands_changed:
        _derive_effort(locked, bands, user)
    ranking.request_run(council=locked, requested_by=user)
    return locked


def _whole(value: float) -> float | int:
    """Bands are stored as whole numbers when they are, so "5" reads back as 5, not 5.0."""
    return int(value) if float(value).is_integer() else float(value)


def _save_capacities(council: Council, capacities: Mapping[date, int | None]) -> None:
    clear = [start for start, days in capacities.items() if days is None]
    QuarterCapacity.objects.filter(council=council, quarter_start__in=clear).delete()
    for start, days in capacities.items():
        if days is not None:
            QuarterCapacity.objects.update_or_create(
                council=council, quarter_start=start, defaults={"days": days}
            )


def _save_budgets(
    council: Council, budgets: Mapping[int, tuple[Decimal | None, Decimal | None]]
) -> None:
    clear = [year for year, pair in budgets.items() if pair == (None, None)]
    FinancialYearBudget.objects.filter(council=council, year__in=clear).delete()
    for year, (one_off, recurring) in budgets.items():
        if (one_off, recurring) != (None, None):
            FinancialYearBudget.objects.update_or_create(
                council=council, year=year, defaults={"one_off": one_off, "recurring": recurring}
            )


def _save_mode(council: Council, mode: str, discount: Decimal) -> None:
    profile = WeightingProfile.objects.filter(council=council, is_active=True).first()
    if profile is None:
        return
    if profile.schedule_mode != mode or profile.value_discount_percent != discount:
        profile.schedule_mode = mode
        profile.value_discount_percent = discount
        profile.version += 1
        record_change_reason(profile, "Planning settings: how the plan is built")
        profile.save(
            update_fields=["schedule_mode", "value_discount_percent", "version", "updated_at"]
        )


def _derive_effort(council: Council, bands: Sequence[float], user: Any) -> None:
    """New bands: the derived criterion's level texts say the new limits, and every item's
    derived Effort score follows its estimate again."""
    texts = band_descriptions(bands)
    for criterion in Criterion.objects.filter(council=council, derived_from_estimate=True):
        for level, text in enumerate(texts, start=1):
            setattr(criterion, f"level_{level}", text)
        # A criterion form open elsewhere must not overwrite the new texts unawares.
        criterion.version += 1
        record_change_reason(criterion, "Effort bands changed")
        criterion.save()
    estimates.sync_effort_scores(council=council, user=user)


def start_choices(council: Council, today: date | None = None) -> list[cal.Quarter]:
    """Quarters a plan may start in: from a year back to two years ahead, plus the council's
    own start if it lies outside that range."""
    first_month = council.financial_year_start_month
    current = cal.quarter_containing(today or timezone.localdate(), first_month)
    choices = cal.quarters_from(current.plus(-4), 13)
    if council.planning_start is not None:
        own = cal.quarter_containing(council.planning_start, first_month)
        if own not in choices:
            choices = sorted([*choices, own])
    return choices


def current_values(council: Council, quarters: Sequence[cal.Quarter]) -> dict[str, Any]:
    """The settings as they stand, keyed like PlanningSettingsForm's fields. Three queries."""
    overrides = dict(
        QuarterCapacity.objects.filter(
            council=council, quarter_start__in=[q.start for q in quarters]
        ).values_list("quarter_start", "days")
    )
    budgets = {
        budget.year: budget
        for budget in FinancialYearBudget.objects.filter(
            council=council, year__in={q.year for q in quarters}
        )
    }
    profile = WeightingProfile.objects.filter(council=council, is_active=True).first()
    values: dict[str, Any] = {
        "version": council.planning_version,
        "planning_start": council.planning_start.isoformat() if council.planning_start else "",
        "horizon_quarters": council.planning_horizon_quarters,
        "capacity_days": council.capacity_days_per_quarter,
        "first_month": council.financial_year_start_month,
        "schedule_mode": profile.schedule_mode if profile else ScheduleMode.RANK_ORDER,
        "discount_percent": profile.value_discount_percent if profile else Decimal(5),
    }
    for quarter in quarters:
        values[f"capacity_{quarter.start:%Y_%m}"] = overrides.get(quarter.start)
    for year, budget in budgets.items():
        values[f"one_off_{year}"] = budget.one_off
        values[f"recurring_{year}"] = budget.recurring
    for level, band in enumerate(council.effort_bands, start=1):
        values[f"band_{level}"] = band
    return values
