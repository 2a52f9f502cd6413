"""Pins: an approver places an item in a quarter of the plan whatever its rank, with a reason.

The scheduler places a pinned item in its quarter and reports any limit that breaks. A pin
asks for a new ranking run, as every edit does, so the stored plan follows it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from councils.models import Council
from planner import quarters as cal
from planner import ranking
from planner.audit import delete_with_history, record_change_reason
from planner.models import BacklogItem, HorizonOverride


class StalePinError(Exception):
    """Someone else pinned, moved or unpinned this item after the form was loaded; `current`
    is the pin as saved now (None: no pin)."""

    def __init__(self, current: HorizonOverride | None) -> None:
        super().__init__("stale pin")
        self.current = current


def _locked_pin(item: BacklogItem, version: int | None) -> HorizonOverride | None:
    """The item's pin, locked (the item's row too, so two first pins queue up). With a
    `version` (0: the page showed no pin) a different one raises StalePinError."""
    BacklogItem.objects.select_for_update().filter(pk=item.pk).first()
    pin = HorizonOverride.objects.select_for_update().filter(item=item).first()
    if version is not None and (pin.version if pin else 0) != version:
        raise StalePinError(pin)
    return pin


@transaction.atomic
def pin_item(
    *,
    council: Council,
    item: BacklogItem,
    quarter: date,
    reason: str,
    pinned_by: Any,
    version: int | None = None,
) -> HorizonOverride:
    """Pin `item` to the quarter starting on (or containing) `quarter`. A reason is required
    and kept in the pin's history. `version` is the pin's version the form was rendered
    with (0: no pin then); StalePinError if it changed since."""
    if item.council_id != council.pk:
        raise ValueError("the item belongs to another council")
    reason = reason.strip()
    if not reason:
        raise ValueError("a pin needs a reason")
    start = cal.quarter_containing(quarter, council.financial_year_start_month).start
    pin = _locked_pin(item, version)
    if pin is None:
        pin = HorizonOverride(item=item, version=(version or 0) + 1)
    else:
        pin.version += 1
    pin.quarter = start
    pin.reason = reason
    pin.set_by = pinned_by
    record_change_reason(pin, reason)
    pin.save()
    ranking.request_run(council=council, requested_by=pinned_by)
    return pin


@transaction.atomic
def unpin_item(
    *,
    council: Council,
    item: BacklogItem,
    reason: str,
    unpinned_by: Any,
    version: int | None = None,
) -> bool:
    """Remove `item`'s pin, recording who and why. False if it had none. StalePinError if
    the pin is not at `version` (when given) any more."""
    if item.council_id != council.pk:
        raise ValueError("the item belongs to another council")
    pin = _locked_pin(item, version)
    if pin is None:
        return False
    delete_with_history(pin, reason=reason.strip(), user=unpinned_by)
    ranking.request_run(council=council, requested_by=unpinned_by)
    return True
