"""The plan document as plain data: built from hand-made snapshots, with and without the
committee fields, public and full."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from planner import committee
from planner import plan_document as doc
from planner.models import ExemptParagraph
from tests.planner.plan_snapshots import (
    EXEMPT_ONE_OFF,
    EXEMPT_PROBLEM,
    EXEMPT_RECURRING,
    document,
    snapshot,
)


def _exempt(items):
    return next(item for item in items if item.is_exempt)


def test_the_head_carries_title_committee_meeting_and_note():
    plan = document(snapshot(), public=True)
    assert plan.council == "Northshire Council"  # the snapshot's name, frozen at publication
    assert plan.plan.title == "Digital priorities 2026/27"
    assert plan.plan.committee == "Cabinet"
    assert plan.meeting_date_label == "4 March 2027"
    assert plan.plan.note == "Approve the order."
    assert plan.entry_count == 50
    assert [(c.label, c.count) for c in plan.horizon_counts] == [
        ("Now", 8),
        ("Next", 12),
        ("Later", 30),
    ]


def test_the_method_is_the_snapshot_s_words_and_weights():
    plan = document(snapshot(), public=True)
    assert plan.method.label == "Weighted sum"
    assert plan.method.formula.startswith("Score = 100 ×")
    assert "“Balanced” weighting profile" in plan.method.summary
    assert [(w.criterion, w.direction, w.weight) for w in plan.method.weights] == [
        ("Citizen impact", "Benefit (higher is better)", Decimal(30)),
        ("Cost", "Cost (higher is worse)", Decimal(10)),
    ]
    assert plan.method.schedule == "Scheduled by rank order (transparent)."


def test_the_formula_falls_back_to_the_method_s_when_the_snapshot_has_none():
    snap = snapshot()
    del snap["method_formula"]
    from planner.scoring import METHOD_FORMULAS

    assert document(snap, public=True).method.formula == METHOD_FORMULAS["weighted_sum"]


def test_money_by_year_and_capacity_by_quarter_come_from_the_plan_totals():
    plan = document(snapshot(), public=True)
    assert [y.label for y in plan.years] == ["2026/27", "2027/28"]
    assert plan.years[0].one_off_over and not plan.years[1].one_off_over
    assert [q.label for q in plan.quarters][0] == "April to June 2026"
    rows = list(doc.money_table(plan).rows)
    assert rows[0] == ("2026/27", "£120,000 (over budget)", "£100,000", "£30,000", "Not set")
    assert list(doc.capacity_table(plan).rows)[1] == (
        "July to September 2026",
        "100",
        "20",
        "90",
        "Over by 10",
    )


def test_options_follow_the_contract_and_are_absent_when_the_plan_has_none():
    plan = document(snapshot(), public=True)
    assert [o.name for o in plan.options] == [
        "Current weights (Balanced)",
        "Do nothing",
        "Residents first",
    ]
    recommended, baseline, residents = plan.options
    assert baseline.is_baseline and not residents.is_baseline
    assert recommended.is_recommended and not baseline.is_recommended
    assert [doc.option_label(o) for o in plan.options] == [
        "Current weights (Balanced) (recommended: this plan)",
        "Do nothing (baseline)",
        "Residents first",
    ]
    assert residents.only_in_now == ["DIG-009"]
    assert residents.top == ["DIG-001 Item number 1"]
    assert residents.cost_by_year[0].cost == Decimal("110000.00")
    assert document(snapshot(options=False), public=True).options == []


def test_now_and_next_carry_the_committee_fields():
    plan = document(snapshot(), public=False)
    assert [i.reference for i in plan.now] == [f"DIG-{n:03d}" for n in range(1, 9)]
    assert len(plan.next) == 12
    first = plan.now[0]
    assert first.wards == "Abbey; Castle"
    assert first.directorate == "Resources"
    assert first.key_decision_label == "No" and plan.now[1].key_decision_label == "Yes"
    assert (first.eqia, first.dpia) == ("Screening", "Complete")
    assert first.risk_text == "Amber: Supplier capacity"
    assert first.funding == "Capital (one-off); Revenue (recurring); Transformation fund"
    assert plan.now[2].wards == "All wards"


def test_a_plan_published_before_the_committee_fields_leaves_them_blank():
    plan = document(snapshot(committee_fields=False), public=True)
    item = plan.now[0]
    assert (item.wards, item.directorate, item.eqia, item.dpia, item.risk_text) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert not item.key_decision and not item.is_exempt and plan.exempt_count == 0
    row = list(doc.near_table("Now", plan.now).rows)[0]
    assert row[3:] == ("", "", "", "")


def test_a_committee_field_left_empty_reads_not_recorded():
    snap = snapshot(3)
    snap["entries"][0] |= {
        "eqia_status": "",
        "dpia_status": "",
        "risk_rating": "",
        "risk_description": "",
    }
    row = list(doc.near_table("Now", document(snap, public=True).now).rows)[0]
    assert row[3:] == ("No", "Not recorded", "Not recorded", "Not recorded")


def test_the_public_version_withholds_an_exempt_item_s_problem_and_costs():
    plan = document(snapshot(), public=True)
    item = _exempt(plan.now)
    assert item.withheld
    assert item.problem == "" and item.problem_text == doc.PROBLEM_WITHHELD
    assert item.one_off_cost is item.recurring_cost is item.cashable_savings is None
    assert (item.one_off_text, item.recurring_text) == (doc.WITHHELD, doc.WITHHELD)
    assert item.funding == ""
    title = ExemptParagraph(3).label.partition(": ")[2]
    assert item.exempt_text == f"Exempt: paragraph 3 ({title})"
    assert plan.exempt_count == 1
    annex_text = repr(list(doc.annex_table(plan).rows))
    assert EXEMPT_PROBLEM not in annex_text
    assert "987,654" not in annex_text and "45,678" not in annex_text
    assert "Exempt: paragraph 3" in annex_text


def test_the_full_version_keeps_them_and_still_marks_the_item():
    plan = document(snapshot(), public=False)
    item = _exempt(plan.now)
    assert not item.withheld
    assert item.problem == EXEMPT_PROBLEM
    assert item.one_off_cost == Decimal(EXEMPT_ONE_OFF)
    assert item.recurring_cost == Decimal(EXEMPT_RECURRING)
    assert item.exempt_mark == "Exempt: paragraph 3"
    assert EXEMPT_PROBLEM in repr(list(doc.annex_table(plan).rows))


def test_other_items_keep_their_costs_in_the_public_version():
    plan = document(snapshot(), public=True)
    assert plan.now[0].one_off_cost == Decimal(1500) and plan.now[0].problem


def test_the_annex_reads_the_entries_again_each_time():
    plan = document(snapshot(5), public=True)
    assert [i.reference for i in plan.annex] == [i.reference for i in plan.annex]
    assert len(list(plan.annex)) == 5


def test_a_huge_plan_s_annex_table_is_capped_but_the_annex_is_whole(monkeypatch):
    monkeypatch.setattr(doc, "ANNEX_ROWS", 10)
    plan = document(snapshot(25), public=True)
    table = doc.annex_table(plan)
    assert len(list(table.rows)) == 10
    assert "first 10 of 25" in table.caption
    assert len(list(plan.annex)) == 25


def test_an_unknown_paragraph_number_is_still_marked():
    assert doc.exempt_title(9) == ""
    item = doc.document_item({"exempt_paragraph": "9", "problem": "x"}, public=True)
    assert item.exempt_text == "Exempt: paragraph 9" and item.problem == ""


def test_bad_numbers_in_a_snapshot_render_blank_rather_than_fail():
    item = doc.document_item({"score": "n/a", "one_off_cost": "", "rank": "x"}, public=False)
    assert item.score is None and item.one_off_cost is None and item.rank is None


def test_summary_lines_name_the_exempt_items_only_when_there_are_some():
    assert any(
        "Schedule 12A" in line for line in doc.summary_lines(document(snapshot(), public=True))
    )
    assert not any(
        "Schedule 12A" in line
        for line in doc.summary_lines(document(snapshot(committee_fields=False), public=True))
    )


def test_an_items_costs_are_booked_by_year_as_the_schedule_books_them():
    quarters = [{"year": 2026}, {"year": 2026}, {"year": 2027}, {"year": 2028}]
    entry = {"start_quarter": 1, "end_quarter": 2, "one_off_cost": "100", "recurring_cost": "10"}
    assert committee.costs_by_year(entry, quarters) == {
        2026: (100.0, 0.0),
        2027: (0.0, 10.0),
        2028: (0.0, 10.0),
    }
    # Finishing after the plan: no year of the plan pays for running it.
    late = {**entry, "end_quarter": 9}
    assert committee.costs_by_year(late, quarters) == {2026: (100.0, 0.0)}
    assert committee.costs_by_year({"start_quarter": None}, quarters) == {}


def test_public_money_leaves_out_exempt_costs_so_they_cannot_be_worked_out():
    snap = copy.deepcopy(snapshot())
    years = [year["year"] for year in snap["plan"]["years"]]
    for quarter in snap["plan"]["quarters"]:
        quarter["year"] = years[0]
    exempt = next(entry for entry in snap["entries"] if entry.get("exempt_paragraph"))
    exempt["start_quarter"], exempt["end_quarter"] = 0, 0
    public, full = document(snap, public=True), document(snap, public=False)
    first_full, first_public = full.money_years[0], public.money_years[0]
    assert first_full.one_off == full.years[0].one_off
    assert first_public.one_off == pytest.approx(first_full.one_off - float(EXEMPT_ONE_OFF))
    assert first_public.recurring == pytest.approx(first_full.recurring - float(EXEMPT_RECURRING))
    # "Over budget" is judged on the whole plan in both versions, and the public one says so.
    assert first_public.totals.one_off_over == first_full.totals.one_off_over
    assert "leaves the costs of exempt items out" in doc.money_table(public).caption
    assert full.money_note == "" and "exempt" not in doc.money_table(full).caption


def test_public_options_leave_out_their_costs_when_exempt_costs_are_withheld():
    """An option's cost by year includes exempt items: beside public totals without them,
    the difference would give the exempt costs away."""
    snap = copy.deepcopy(snapshot())
    years = [year["year"] for year in snap["plan"]["years"]]
    for quarter in snap["plan"]["quarters"]:
        quarter["year"] = years[0]
    exempt = next(entry for entry in snap["entries"] if entry.get("exempt_paragraph"))
    exempt["start_quarter"], exempt["end_quarter"] = 0, 0
    public, full = document(snap, public=True), document(snap, public=False)
    public_costs = [row[3] for row in doc.options_table(public).rows]
    full_costs = [row[3] for row in doc.options_table(full).rows]
    assert set(public_costs) == {committee.OPTION_COSTS_WITHHELD}
    assert "2026/27: £90,000" in full_costs
    # With no exempt costs to withhold, the public version shows the options' costs.
    assert committee.OPTION_COSTS_WITHHELD not in [
        row[3] for row in doc.options_table(document(snapshot(), public=True)).rows
    ]
