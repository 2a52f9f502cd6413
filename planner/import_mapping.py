"""Matching the columns of a council's own spreadsheet to what the import reads.

Targets come from csv_import's column definitions (so a column added there appears here)
plus one per scored criterion. `suggest` is pure: a heading matches a target by exact name,
then by a few words councils use ("Ref", "Challenge", "Service area"), then by the target's
name without its unit ("Effort" for "Effort (team-days)"). A council's earlier choices are
remembered per heading and win over suggestions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction

from councils.models import Council
from planner import csv_export as columns
from planner import csv_import
from planner.models import Criterion, ImportMapping

IGNORE = csv_import.IGNORE

# Words councils use for our columns, normalised (see `normalise`). A synonym whose column
# csv_import does not define (yet) is simply never suggested.
SYNONYMS: dict[str, str] = {
    "ref": columns.REFERENCE,
    "ref no": columns.REFERENCE,
    "id": columns.REFERENCE,
    "item reference": columns.REFERENCE,
    "challenge": columns.TITLE,
    "name": columns.TITLE,
    "project": columns.TITLE,
    "project name": columns.TITLE,
    "idea": columns.TITLE,
    "item": columns.TITLE,
    "category": columns.THEME,
    "priority area": columns.THEME,
    "workstream": columns.THEME,
    "problem": columns.PROBLEM,
    "description": columns.PROBLEM,
    "details": columns.PROBLEM,
    "summary": columns.PROBLEM,
    "lead": columns.OWNER,
    "lead officer": columns.OWNER,
    "responsible officer": columns.OWNER,
    "sponsor": columns.OWNER,
    "state": columns.STATUS,
    "stage": columns.STAGE,
    "phase": columns.STAGE,
    "effort": columns.EFFORT,
    "days": columns.EFFORT,
    "team days": columns.EFFORT,
    "cost": columns.ONE_OFF_COST,
    "one off cost": columns.ONE_OFF_COST,
    "capital cost": columns.ONE_OFF_COST,
    "annual cost": columns.RECURRING_COST,
    "running cost": columns.RECURRING_COST,
    "ongoing cost": columns.RECURRING_COST,
    "dependencies": columns.DEPENDS_ON,
    "depends on": columns.DEPENDS_ON,
    "service area": "Directorate",
    "service": "Directorate",
    "department": "Directorate",
    "ward": "Wards",
    "wards affected": "Wards",
}


@dataclass(frozen=True)
class Target:
    key: str  # a csv_import column name, or "criterion:<id>"
    label: str


def normalise(heading: str) -> str:
    """Lower case, no units in brackets, no punctuation: "One-off cost (£)" -> "one off cost"."""
    text = re.sub(r"\([^)]*\)", " ", heading.casefold())
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def targets(criteria: Iterable[Criterion]) -> list[Target]:
    """Every column the import can write, in the export's order, then the criteria's scores."""
    found = [Target(column, column) for column in csv_import.ITEM_COLUMNS]
    found += [
        Target(f"{csv_import.CRITERION_TARGET}{c.pk}", f"{columns.SCORE_PREFIX}{c.name}")
        for c in criteria
        if not c.derived_from_estimate
    ]
    return found


def suggest(heading: str, options: list[Target]) -> str:
    """The likeliest target for a heading, or IGNORE."""
    folded = heading.strip().casefold()
    if not folded:
        return IGNORE
    by_label = {target.label.casefold(): target.key for target in options}
    # A criterion column as exported is its bare name unless that name is a fixed column's.
    by_label.update(
        {
            target.label.removeprefix(columns.SCORE_PREFIX).casefold(): target.key
            for target in options
            if target.key.startswith(csv_import.CRITERION_TARGET)
            and target.label.removeprefix(columns.SCORE_PREFIX).casefold() not in by_label
        }
    )
    if folded in by_label:
        return by_label[folded]
    key = normalise(heading)
    synonym = SYNONYMS.get(key)
    if synonym and synonym.casefold() in by_label:
        return by_label[synonym.casefold()]
    by_words = {normalise(target.label): target.key for target in options}
    return by_words.get(key, IGNORE)


def initial_mapping(
    header: list[str], options: list[Target], remembered: Mapping[str, str]
) -> list[str]:
    """A target per column: the council's earlier choice for that heading, else a suggestion.
    Each target is suggested once (the first column that matches it keeps it)."""
    valid = {target.key for target in options}
    chosen: list[str] = []
    for heading in header:
        key = heading.strip().casefold()
        target = remembered[key] if key in remembered else suggest(heading, options)
        if target not in valid or (target != IGNORE and target in chosen):
            target = IGNORE
        chosen.append(target)
    return chosen


def matches_itself(header: list[str], options: list[Target]) -> bool:
    """True when every heading is one of our own export's (a round trip): no matching step
    is needed. Read-only export columns (Rank, Score...) count as our own."""
    own = {target.label.casefold() for target in options} | {
        column.casefold() for column in csv_import.READ_ONLY
    }
    own |= {
        target.label.removeprefix(columns.SCORE_PREFIX).casefold()
        for target in options
        if target.key.startswith(csv_import.CRITERION_TARGET)
    }
    return all(heading.strip().casefold() in own for heading in header if heading.strip())


def remembered(council: Council, header: list[str]) -> dict[str, str]:
    keys = {heading.strip().casefold()[:200] for heading in header if heading.strip()}
    return dict(council.import_mappings.filter(heading__in=keys).values_list("heading", "target"))


def remember(council: Council, header: list[str], mapping: list[str]) -> None:
    """Keep this council's choice for each heading for next time."""
    choices = {
        heading.strip().casefold()[:200]: target
        for heading, target in zip(header, mapping, strict=True)
        if heading.strip()
    }
    with transaction.atomic():
        ImportMapping.objects.bulk_create(
            [ImportMapping(council=council, heading=h, target=t) for h, t in choices.items()],
            update_conflicts=True,
            unique_fields=["council", "heading"],
            update_fields=["target", "updated_at"],
        )
