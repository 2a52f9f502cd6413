"""Data: pins move from horizons to quarters, and Effort comes from the team-days estimate.

Pins: Now becomes the current quarter, Next the one after it, Later the fourth (the first
quarter of Later), counted in the council's financial year (April by default).

Effort: the criterion keyed "effort" becomes derived from the estimate by the default bands.
Where an item's hand score disagrees with its estimate, the estimate wins; where an item has
no estimate, its hand score goes, so it is listed as needing an estimate rather than ranked on
a guess. Every change is written to the score's history with the reason.
"""

from datetime import date

from django.db import migrations
from django.utils import timezone

BANDS = (5, 20, 60, 120)
LEVELS = (
    "Up to 5 team-days: a small change by the existing team",
    "Up to 20 team-days: a few weeks of one team",
    "Up to 60 team-days: one team for about a quarter",
    "Up to 120 team-days: one team for about two quarters",
    "Over 120 team-days: several quarters or several teams",
)
HELP = "Derived from the item's estimate in team-days; never scored by hand."
HORIZON_OFFSETS = {"now": 0, "next": 1, "later": 3}


def quarter_start(day, first_month, plus):
    months = (day.year * 12 + day.month - 1) - (first_month - 1)
    index = months // 3 + plus
    absolute = index * 3 + first_month - 1
    return date(absolute // 12, absolute % 12 + 1, 1)


def level_for(days):
    for level, upper in enumerate(BANDS, start=1):
        if days <= upper:
            return level
    return len(BANDS) + 1


def pins_to_quarters(apps, schema_editor):
    today = timezone.localdate()
    BacklogItem = apps.get_model("planner", "BacklogItem")
    first_months = dict(
        BacklogItem.objects.values_list("pk", "council__financial_year_start_month")
    )
    for name in ("HorizonOverride", "HistoricalHorizonOverride"):
        # History may name items since deleted: they take an April financial year.
        for pin in apps.get_model("planner", name).objects.all():
            first_month = first_months.get(pin.item_id, 4)
            pin.quarter = quarter_start(today, first_month, HORIZON_OFFSETS.get(pin.horizon, 0))
            pin.save(update_fields=["quarter"])


def _record(historical, score, history_type, reason, now):
    historical.objects.create(
        id=score.pk,
        item_id=score.item_id,
        criterion_id=score.criterion_id,
        value=score.value,
        rationale=score.rationale,
        set_by_id=score.set_by_id,
        set_at=now,
        version=score.version,
        history_date=now,
        history_type=history_type,
        history_change_reason=reason,
    )


def one_effort(apps, schema_editor):
    Criterion = apps.get_model("planner", "Criterion")
    ItemScore = apps.get_model("planner", "ItemScore")
    BacklogItem = apps.get_model("planner", "BacklogItem")
    historical = apps.get_model("planner", "HistoricalItemScore")
    now = timezone.now()
    for criterion in Criterion.objects.filter(key="effort"):
        criterion.derived_from_estimate = True
        criterion.help_text = HELP
        for number, text in enumerate(LEVELS, start=1):
            setattr(criterion, f"level_{number}", text)
        criterion.save()
        scores = {s.item_id: s for s in ItemScore.objects.filter(criterion=criterion)}
        items = BacklogItem.objects.filter(council_id=criterion.council_id)
        for item_id, effort in items.values_list("pk", "effort_days"):
            score = scores.get(item_id)
            if effort is None:
                if score is not None:
                    reason = "No estimate: Effort now comes from the team-days estimate"
                    _record(historical, score, "-", reason, now)
                    score.delete()
                continue
            level = level_for(effort)
            reason = f"Derived from the estimate of {effort.normalize():f} team-days"
            if score is None:
                score = ItemScore.objects.create(
                    item_id=item_id, criterion=criterion, value=level, rationale=reason
                )
                _record(historical, score, "+", reason, now)
            elif score.value != level:
                score.value = level
                score.rationale = reason
                score.version += 1
                score.save()
                _record(historical, score, "~", reason, now)


class Migration(migrations.Migration):
    dependencies = [
        ("planner", "0002_delivery_plan"),
        ("councils", "0002_planning_settings"),
    ]

    operations = [
        migrations.RunPython(pins_to_quarters, migrations.RunPython.noop),
        migrations.RunPython(one_effort, migrations.RunPython.noop),
    ]
