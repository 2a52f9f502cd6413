"""Published-plan export: always from the frozen snapshot, never today's live data."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from planner import plans, ranking
from planner.models import ExportRecord, PublishedPlan
from tests.factories import BacklogItemFactory, done_run_for, score_all

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.fixture
def plan(council):
    item = BacklogItemFactory(council=council, title="Frozen title")
    run = done_run_for(council, [item])
    run.profile_name, run.method = "Balanced", "weighted_sum"
    run.save()
    criterion = council.criteria.get(key="citizen_impact")
    snapshot = {
        "method": "weighted_sum",
        "profile_name": "Balanced",
        "criteria": [
            {"id": criterion.pk, "name": "Citizen impact", "direction": "benefit", "weight": 25}
        ],
        "entries": [
            {
                "item_id": item.pk,
                "reference": item.reference,
                "title": "Frozen title",
                "theme": "Procurement",
                "status": "ready",
                "score": "87.5",
                "rank": 1,
                "scores": {str(criterion.pk): 4},
                "effort_days": "10",
                "one_off_cost": "1500",
                "recurring_cost": None,
                "owner": "=cmd",
                "stage": "beta",
                "problem": "Why",
                "depends_on": ["DIG-009", "DIG-010"],
                "horizon": "next",
            }
        ],
    }
    return PublishedPlan.objects.create(
        council=council,
        run=run,
        title="Cabinet, March",
        slug="cabinet-march",
        committee="Cabinet",
        meeting_date=date(2027, 3, 4),
        snapshot=snapshot,
    )


def test_plan_export_comes_from_the_snapshot(viewer_client, council, plan):
    item = council.items.get()
    item.title = "Renamed since"
    item.save()
    response = viewer_client.get(reverse("plan_export", args=[council.slug, plan.slug]))
    head, row = _rows(response)
    assert head[:7] == ["Rank", "Reference", "Title", "Theme", "Status", "Score", "Citizen impact"]
    record = dict(zip(head, row, strict=True))
    assert record["Title"] == "Frozen title"
    assert (record["Rank"], record["Score"], record["Citizen impact"]) == ("1", "87.5", "4")
    assert (record["Status"], record["Delivery stage"], record["Horizon"]) == (
        "Ready",
        "Beta",
        "Next",
    )
    assert record["Depends on"] == "DIG-009;DIG-010"
    assert record["Owner"] == "'=cmd"
    # Published before delivery plans: no quarters or reason were frozen, so none are shown.
    assert (record["Quarters"], record["Why"]) == ("", "")


def test_plan_export_has_the_frozen_quarters_and_why_neutralised(viewer_client, council, plan):
    entry = plan.snapshot["entries"][0]
    entry.update(quarters="Q2 2027/28 to Q3 2027/28", why="=waiting on DIG-009")
    plan.save()
    head, row = _rows(viewer_client.get(reverse("plan_export", args=[council.slug, plan.slug])))
    record = dict(zip(head, row, strict=True))
    assert record["Quarters"] == "Q2 2027/28 to Q3 2027/28"
    assert record["Why"] == "'=waiting on DIG-009"


def test_plan_export_filename_uses_the_plan_slug(viewer_client, council, plan):
    response = viewer_client.get(reverse("plan_export", args=[council.slug, plan.slug]))
    assert f'filename="{council.slug}-cabinet-march-' in response["Content-Disposition"]
    # A viewer gets the public version, and the export audit says so.
    description = ExportRecord.objects.get().description
    assert description == "Published plan: Cabinet, March (public version)"


def test_plan_method_file_names_plan_and_committee(viewer_client, council, plan):
    url = reverse("method_export", args=[council.slug]) + f"?plan={plan.slug}"
    fields = dict(_rows(viewer_client.get(url))[1:])
    assert fields["Plan title"] == "Cabinet, March"
    assert fields["Committee"] == "Cabinet"
    assert fields["Meeting date"] == "2027-03-04"
    assert fields["Weighting profile"] == "Balanced"
    assert fields["Weight: Citizen impact (benefit)"] == "25"


def test_unknown_plan_is_404(viewer_client, council):
    url = reverse("plan_export", args=[council.slug, "nope"])
    assert viewer_client.get(url).status_code == 404
    url = reverse("method_export", args=[council.slug]) + "?plan=nope"
    assert viewer_client.get(url).status_code == 404


def test_another_councils_plan_is_404(outsider_client, council, plan):
    url = reverse("plan_export", args=[council.slug, plan.slug])
    assert outsider_client.get(url).status_code == 404


def test_publishing_then_exporting_uses_the_real_snapshot(viewer_client, council):
    from planner.plans import publish_plan

    council.planning_start = date(2027, 4, 1)
    council.save(update_fields=["planning_start"])
    item = BacklogItemFactory(council=council, title="Real snapshot")  # new: not ready yet
    score_all(item, 3)
    ranking.run_now(council=council)
    plan = publish_plan(
        council=council, title="Real plan", committee="Scrutiny", meeting_date=date(2027, 1, 1)
    )
    head, row = _rows(viewer_client.get(reverse("plan_export", args=[council.slug, plan.slug])))
    record = dict(zip(head, row, strict=True))
    assert record["Title"] == "Real snapshot"
    assert record["Reference"] == item.reference
    assert (record["Horizon"], record["Quarters"], record["Why"]) == (
        "Next",
        "Q2 2027/28",
        "not ready",
    )


@pytest.mark.parametrize("chunk", [1, 2, 3, 1000])
def test_plan_export_streams_every_entry_in_order_a_chunk_at_a_time(
    viewer_client, council, plan, monkeypatch, chunk
):
    template = plan.snapshot["entries"][0]
    plan.snapshot["entries"] = [
        {**template, "rank": n, "reference": f"DIG-{n:03}"} for n in range(1, 6)
    ]
    plan.save()
    monkeypatch.setattr(plans, "SNAPSHOT_CHUNK", chunk)
    assert list(plans.snapshot_entries(plan)) == plan.snapshot["entries"]
    response = viewer_client.get(reverse("plan_export", args=[council.slug, plan.slug]))
    head, *rows = _rows(response)
    assert [row[1] for row in rows] == [f"DIG-{n:03}" for n in range(1, 6)]
    assert plans.snapshot_head(plan) == {k: v for k, v in plan.snapshot.items() if k != "entries"}


def test_a_plan_without_entries_exports_just_the_header(viewer_client, council, plan):
    plan.snapshot = {"criteria": plan.snapshot["criteria"]}
    plan.save()
    response = viewer_client.get(reverse("plan_export", args=[council.slug, plan.slug]))
    assert len(_rows(response)) == 1
