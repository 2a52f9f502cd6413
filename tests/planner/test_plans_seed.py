from __future__ import annotations

import pytest

from councils.models import Council
from planner import plans
from planner.management.commands.seed_demo import seed_demo


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    seed_demo(password="demo")


def test_each_demo_council_has_two_plans_a_few_weeks_apart(seeded):
    for council in Council.objects.all():
        older, newer = council.plans.order_by("meeting_date")
        assert 14 <= (newer.meeting_date - older.meeting_date).days <= 70
        assert older.run.generation < newer.run.generation


def test_demo_plans_differ_so_compare_has_something_to_show(seeded):
    for council in Council.objects.all():
        older, newer = council.plans.order_by("meeting_date")
        result = plans.compare_plans(older, newer)
        assert len(result.new) >= 2
        assert len(result.dropped) >= 1
        assert result.up and result.down


def test_seeding_again_publishes_no_more_plans(seeded):
    seed_demo(password="demo")
    assert all(council.plans.count() == 2 for council in Council.objects.all())
