"""The themes, criteria and weighting profile every new council starts with."""

from __future__ import annotations

from django.db import transaction

from councils.models import Council
from planner.effort import band_descriptions
from planner.models import Criterion, Direction, Method, Theme, WeightingProfile

DEFAULT_THEMES = [
    "Procurement",
    "Outsourcing and contracts",
    "Data sharing",
    "Leadership and culture",
    "Prioritisation and strategy",
    "Self-service and channel shift",
    "Service and process redesign",
    "Skills and shared capability",
    "Identity and access",
]

# key, name, direction, help text, anchored levels 1..5, default weight
DEFAULT_CRITERIA = [
    (
        "citizen_impact",
        "Citizen impact",
        Direction.BENEFIT,
        "How much residents' experience of the service improves, and for how many.",
        [
            "No noticeable change for residents",
            "Small improvement for a few residents",
            "Clear improvement for one service's users",
            "Clear improvement for several services or many residents",
            "Transforms a high-volume service for most residents",
        ],
        25,
    ),
    (
        "savings",
        "Savings",
        Direction.BENEFIT,
        "Cashable or efficiency savings within three years.",
        [
            "No savings expected",
            "Under £25k a year",
            "£25k to £100k a year",
            "£100k to £500k a year",
            "Over £500k a year",
        ],
        20,
    ),
    (
        "statutory_risk",
        "Statutory or risk reduction",
        Direction.BENEFIT,
        "Meets a legal duty, or reduces a risk on the corporate risk register.",
        [
            "No statutory or risk driver",
            "Reduces a minor operational risk",
            "Reduces a service risk on a risk register",
            "Reduces a corporate risk or audit finding",
            "Needed to meet a legal duty or deadline",
        ],
        15,
    ),
    (
        "strategic_fit",
        "Strategic fit",
        Direction.BENEFIT,
        "How directly it serves the council plan and digital strategy.",
        [
            "Not linked to the council plan",
            "Loosely linked to one priority",
            "Supports one council plan priority",
            "Directly delivers a council plan priority",
            "Named commitment in the council plan or digital strategy",
        ],
        15,
    ),
    (
        "readiness",
        "Readiness",
        Direction.BENEFIT,
        "Procurement route, skills and a sponsor are in place.",
        [
            "No sponsor, route or skills in place",
            "Sponsor identified; no route or skills yet",
            "Procurement route or skills in place, not both",
            "Route and skills in place; minor gaps",
            "Ready to start: sponsor, route, skills and budget agreed",
        ],
        10,
    ),
    (
        "effort",
        "Effort",
        Direction.COST,
        "Derived from the item's estimate in team-days; never scored by hand.",
        band_descriptions(),
        10,
    ),
    (
        "confidence",
        "Confidence",
        Direction.BENEFIT,
        "How sure we are about the impact and effort estimates.",
        [
            "A hunch: no evidence",
            "Anecdote from staff or residents",
            "Some data or user research",
            "Good data and user research",
            "Proven elsewhere, with our own data to back it",
        ],
        5,
    ),
]

# The default criterion whose level comes from the estimate in team-days.
EFFORT_KEY = "effort"


@transaction.atomic
def ensure_council_defaults(council: Council) -> None:
    """Seed the default themes, criteria and active weighting profile. Safe to repeat."""
    for position, name in enumerate(DEFAULT_THEMES, start=1):
        Theme.objects.get_or_create(council=council, name=name, defaults={"position": position})
    weights: dict[str, float] = {}
    for position, (key, name, direction, help_text, levels, weight) in enumerate(
        DEFAULT_CRITERIA, start=1
    ):
        criterion, _ = Criterion.objects.get_or_create(
            council=council,
            key=key,
            defaults={
                "name": name,
                "direction": direction,
                "help_text": help_text,
                "position": position,
                "derived_from_estimate": key == EFFORT_KEY,
                **{f"level_{level}": text for level, text in enumerate(levels, start=1)},
            },
        )
        weights[str(criterion.pk)] = weight
    if not council.profiles.exists():
        WeightingProfile.objects.create(
            council=council,
            name="Balanced",
            method=Method.WEIGHTED_SUM,
            weights=weights,
            is_active=True,
        )
