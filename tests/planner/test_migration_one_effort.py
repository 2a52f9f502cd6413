"""The 0002-0004 migrations: pins move to quarters, and Effort comes from the estimate."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("planner", "0001_initial"), ("councils", "0001_initial")]
AFTER = [("planner", "0004_pins_need_a_quarter"), ("councils", "0002_planning_settings")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_data(transactional_db):
    """A council as the first release left it: hand-scored Effort and horizon pins."""
    apps = migrate(BEFORE)
    council = apps.get_model("councils", "Council").objects.create(
        name="Oldshire", slug="oldshire", council_type="county"
    )
    theme = apps.get_model("planner", "Theme").objects.create(council=council, name="Data")
    effort = apps.get_model("planner", "Criterion").objects.create(
        council=council,
        key="effort",
        name="Effort",
        direction="cost",
        level_1="Days",
        level_2="Weeks",
        level_3="Months",
        level_4="Year",
        level_5="Years",
    )
    items = apps.get_model("planner", "BacklogItem").objects
    make = lambda n, days: items.create(  # noqa: E731
        council=council,
        number=n,
        reference=f"DIG-{n:03}",
        title=f"Item {n}",
        theme=theme,
        effort_days=days,
    )
    disagrees, agrees, unestimated = make(1, Decimal("90")), make(2, Decimal("3")), make(3, None)
    scores = apps.get_model("planner", "ItemScore").objects
    for item, value in ((disagrees, 1), (agrees, 1), (unestimated, 2)):
        scores.create(item=item, criterion=effort, value=value)
    apps.get_model("planner", "HorizonOverride").objects.create(
        item=agrees, horizon="next", reason="Statutory deadline"
    )
    yield {"disagrees": disagrees.pk, "agrees": agrees.pk, "unestimated": unestimated.pk}
    # Leave the schema as the rest of the suite expects: every app at its latest migration.
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


def test_estimate_wins_where_the_two_efforts_disagree(old_data):
    apps = migrate(AFTER)
    scores = apps.get_model("planner", "ItemScore").objects
    assert scores.get(item_id=old_data["disagrees"]).value == 4  # 90 team-days: up to 120
    assert scores.get(item_id=old_data["agrees"]).value == 1
    history = apps.get_model("planner", "HistoricalItemScore").objects.filter(
        item_id=old_data["disagrees"]
    )
    assert history.get().history_change_reason == "Derived from the estimate of 90 team-days"


def test_an_unestimated_item_loses_its_hand_scored_effort(old_data):
    apps = migrate(AFTER)
    scores = apps.get_model("planner", "ItemScore").objects
    assert not scores.filter(item_id=old_data["unestimated"]).exists()
    history = apps.get_model("planner", "HistoricalItemScore").objects
    assert history.get(item_id=old_data["unestimated"]).history_type == "-"


def test_effort_criterion_becomes_derived_with_band_levels(old_data):
    apps = migrate(AFTER)
    effort = apps.get_model("planner", "Criterion").objects.get(key="effort")
    assert effort.derived_from_estimate
    assert effort.level_1.startswith("Up to 5 team-days")


def test_horizon_pins_become_quarters(old_data):
    apps = migrate(AFTER)
    pin = apps.get_model("planner", "HorizonOverride").objects.get(item_id=old_data["agrees"])
    assert pin.quarter.day == 1 and pin.quarter.month in (1, 4, 7, 10)
    assert pin.quarter > timezone.localdate()  # Next is after the current quarter
    assert pin.reason == "Statutory deadline"
