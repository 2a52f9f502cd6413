"""Plan snapshots built by hand for the plan document and its renderers, with and without the
committee fields (common.md's snapshot contract), so older plans are covered too."""

from __future__ import annotations

from datetime import date
from typing import Any

from planner.plan_document import PlanDocument, PlanFields, build_plan_document

EXEMPT_PROBLEM = "Negotiating the Acme Ltd contract exit for 184,321 pounds"
EXEMPT_ONE_OFF = "987654"
EXEMPT_RECURRING = "45678"

QUARTERS = [
    {
        "key": f"q{i}",
        "label": label,
        "short": short,
        "start": start,
        "capacity": 100.0,
        "committed": 20.0,
        "new": new,
    }
    for i, (label, short, start, new) in enumerate(
        [
            ("April to June 2026", "Apr–Jun 2026", "2026-04-01", 70.0),
            ("July to September 2026", "Jul–Sep 2026", "2026-07-01", 90.0),
            ("October to December 2026", "Oct–Dec 2026", "2026-10-01", 60.0),
            ("January to March 2027", "Jan–Mar 2027", "2027-01-01", 30.0),
        ]
    )
]
YEARS = [
    {
        "year": 2026,
        "label": "2026/27",
        "one_off": 120000.0,
        "one_off_budget": 100000.0,
        "recurring": 30000.0,
        "recurring_budget": None,
    },
    {
        "year": 2027,
        "label": "2027/28",
        "one_off": 40000.0,
        "one_off_budget": 100000.0,
        "recurring": 35000.0,
        "recurring_budget": 50000.0,
    },
]


def entry(
    number: int, *, horizon: str = "later", committee_fields: bool = True, **extra: Any
) -> dict[str, Any]:
    """One snapshot entry; `committee_fields=False` gives a plan published before them."""
    values: dict[str, Any] = {
        "item_id": number,
        "reference": f"DIG-{number:03d}",
        "title": f"Item number {number}",
        "theme": "Customer access",
        "status": "ready",
        "status_label": "Ready",
        "score": f"{100 - number / 2:.2f}",
        "rank": number,
        "rank_label": str(number),
        "position": number,
        "effort_days": "10",
        "one_off_cost": "1500",
        "recurring_cost": "200",
        "problem": f"Residents wait for item {number}.",
        "horizon": horizon,
        "quarters": "Apr–Jun 2026" if horizon == "now" else "",
        "why": "",
    }
    if committee_fields:
        values |= {
            "wards": ["Abbey", "Castle"],
            "all_wards": False,
            "directorate": "Resources",
            "key_decision": number % 2 == 0,
            "exempt_paragraph": None,
            "eqia_status": "screening",
            "dpia_status": "complete",
            "one_off_funding": "capital",
            "recurring_funding": "revenue",
            "funding_source": "Transformation fund",
            "risk_rating": "amber",
            "risk_description": "Supplier capacity",
            "cashable_savings": "5000",
            "non_cashable_benefits": "Fewer calls",
        }
    return values | extra


RANGES_TEXT = "To show how sure each rank is, the ranking was worked out again 2,000 times."


def snapshot(
    count: int = 50, *, committee_fields: bool = True, options: bool = True
) -> dict[str, Any]:
    entries = []
    for number in range(1, count + 1):
        horizon = "now" if number <= 8 else "next" if number <= 20 else "later"
        entries.append(entry(number, horizon=horizon, committee_fields=committee_fields))
    if committee_fields and count >= 3:
        entries[2] |= {
            "exempt_paragraph": 3,
            "problem": EXEMPT_PROBLEM,
            "one_off_cost": EXEMPT_ONE_OFF,
            "recurring_cost": EXEMPT_RECURRING,
            "all_wards": True,
            "wards": [],
        }
    head: dict[str, Any] = {
        "council": "Northshire Council",
        "method": "weighted_sum",
        "method_label": "Weighted sum",
        "method_formula": "Score = 100 × Σ(weight × normalised score) ÷ Σ weights.",
        "profile_name": "Balanced",
        "ranked_at_label": "1 March 2027, 10:00",
        "criteria": [
            {"id": 1, "name": "Citizen impact", "direction": "benefit", "weight": 30},
            {"id": 2, "name": "Cost", "direction": "cost", "weight": 10},
        ],
        "capacity": 100,
        "schedule_mode": "rank_order",
        "robustness_text": RANGES_TEXT,
        "plan": {"mode": "rank_order", "quarters": QUARTERS, "years": YEARS},
        "entries": entries,
    }
    if options:
        head["options"] = [
            {
                "name": "Current weights (Balanced)",
                "description": "Favours citizen impact and savings.",
                "method": "Weighted sum",
                "weights": [{"criterion": "Citizen impact", "weight": 25}],
                "is_baseline": False,
                "is_recommended": True,
                "top": [{"reference": "DIG-001", "title": "Item number 1", "rank": 1}],
                "now": ["DIG-001"],
                "total_score": 790.0,
                "cost_by_year": [{"year": "2026/27", "cost": "90000.00"}],
                "only_in_now": [],
            },
            {
                "name": "Do nothing",
                "description": "Only the work already in progress.",
                "method": "Weighted sum",
                "weights": [],
                "is_baseline": True,
                "top": [],
                "now": [],
                "total_score": 0,
                "cost_by_year": [{"year": "2026/27", "cost": "0.00"}],
                "only_in_now": [],
            },
            {
                "name": "Residents first",
                "description": "Favours citizen impact over cost.",
                "method": "Weighted sum",
                "weights": [{"criterion": "Citizen impact", "weight": 50}],
                "is_baseline": False,
                "top": [{"reference": "DIG-001", "title": "Item number 1", "rank": 1}],
                "now": ["DIG-001", "DIG-009"],
                "total_score": 812.5,
                "cost_by_year": [{"year": "2026/27", "cost": "110000.00"}],
                "only_in_now": ["DIG-009"],
            },
        ]
    return head


def document(
    snap: dict[str, Any], *, public: bool, note: str = "Approve the order."
) -> PlanDocument:
    entries = snap["entries"]
    head = {key: value for key, value in snap.items() if key != "entries"}
    return build_plan_document(
        council="Fallback Council",
        plan=PlanFields(
            title="Digital priorities 2026/27",
            committee="Cabinet",
            meeting_date=date(2027, 3, 4),
            note=note,
            slug="digital-priorities",
        ),
        head=head,
        entries=lambda: iter(entries),
        public=public,
    )
