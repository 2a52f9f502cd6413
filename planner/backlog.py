"""Backlog workflows that span objects: creating items with safely allocated references."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from councils.models import Council


def allocate_numbers(*, council: Council, count: int = 1) -> list[int]:
    """Reserve the next `count` item numbers for the council.

    Locks the council row until the surrounding transaction ends, so concurrent
    creates queue up instead of both taking DIG-042.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_numbers must run inside transaction.atomic()")
    Council.objects.select_for_update().only("pk").get(pk=council.pk)
    last = council.items.aggregate(last=Max("number"))["last"] or 0
    return list(range(last + 1, last + 1 + count))
