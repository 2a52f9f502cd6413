"""Score and rank backlog items against a council's criteria.

Pure functions: plain data in, plain data out, no Django. Three methods are offered (weighted
sum, RICE and WSJF); each maps an item's scores onto 0-100 using only that item's scores and the
criteria's FIXED scales, never the other items, so adding an item cannot move anyone else.

Every method is computed exactly, as a ratio of Python integers, and rounded half up to 2
decimal places (as PostgreSQL's ``round(numeric, 2)`` does). Floats would let two mathematically
equal scores, or the same weights written as 10/20 and 1/2, round either side of a .xx5 boundary
and so break ties and rank order. Weights are read as the decimals they print as (0.1 is one
tenth), so only the ratios between weights matter. The exact work is small integer arithmetic
on per-criterion lookup tables built once per ranking.
"""

from __future__ import annotations

import gc
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from operator import getitem, itemgetter

WEIGHTED_SUM = "weighted_sum"
RICE = "rice"
WSJF = "wsjf"
METHODS = (WEIGHTED_SUM, RICE, WSJF)

BENEFIT = "benefit"
COST = "cost"

# Default criterion keys that play a named role in RICE.
REACH_KEY = "citizen_impact"
CONFIDENCE_KEY = "confidence"

_LEVELS = (
    "Levels put each criterion on its fixed scale: level = (score − lowest + 1) ÷ (number of "
    "points on the scale), so a 1–5 scale gives 0.2, 0.4, 0.6, 0.8, 1. "
)

METHOD_FORMULAS: dict[str, str] = {
    WEIGHTED_SUM: (
        "Score = 100 × Σ(weight × normalised score) ÷ Σ weights. "
        "Normalised score = (score − lowest) ÷ (highest − lowest) on the criterion's fixed scale, "
        "so 0 at the lowest point and 1 at the highest; for a cost criterion it is 1 minus that. "
        "A criterion's contribution is 100 × weight × normalised score ÷ Σ weights points, "
        "and the contributions add up to the score."
    ),
    RICE: (
        "Score = 100 × Reach × Impact × Confidence × (smallest possible Effort ÷ Effort). "
        + _LEVELS
        + "Reach is the Citizen impact level and Confidence the Confidence level. "
        "Impact is the weighted mean level of the other benefit criteria. "
        "Effort is the weighted mean level of the cost criteria. "
        "A factor with no criterion, or only criteria weighted 0, counts as 1. "
        "Weights set the balance inside Impact and Effort; a weight of 0 leaves a criterion out. "
        "Each criterion's contribution is its share of the score, in proportion to how far it "
        "lifts the item above the lowest possible score, measured on a log scale."
    ),
    WSJF: (
        "Score = 100 × Cost of delay × (smallest possible Job size ÷ Job size). "
        + _LEVELS
        + "Cost of delay is the weighted mean level of the benefit criteria. "
        "Job size is the weighted mean level of the cost criteria. "
        "A factor with no criterion, or only criteria weighted 0, counts as 1. "
        "Each criterion's contribution is its share of the score, in proportion to how far it "
        "lifts the item above the lowest possible score, measured on a log scale."
    ),
}

# Contributions are rounded to 4 dp: tidy to store and far finer than the 2 dp shown. They
# explain a score rather than order items, so plain float rounding will do.
_CONTRIBUTION_SCALE = 10_000


@dataclass(frozen=True, slots=True)
class CriterionInput:
    id: int
    key: str
    direction: str  # BENEFIT or COST
    weight: float  # any finite number >= 0; only ratios between weights matter
    scale_min: int = 1
    scale_max: int = 5


@dataclass(frozen=True, slots=True)
class ItemInput:
    id: int
    created: float  # epoch seconds: earlier wins a tie
    scores: Mapping[int, int]  # criterion id -> value on that criterion's scale


@dataclass(frozen=True, slots=True)
class RankedItem:
    """One ranked item.

    ``contributions`` maps every active criterion id to the points it earned, rounded to 4 dp.
    They add up to the unrounded score, so their sum is within 0.005 + n × 0.00005 of ``score``.
    Weighted sum: 100 × wᵢ × nᵢ ÷ Σw, the same for every item with that value. RICE and WSJF:
    see ``METHOD_FORMULAS``; a criterion weighted 0 earns 0.
    """

    item_id: int
    score: float  # 0..100, rounded half up to 2 dp
    rank: int  # competition rank on the rounded score: 1, 2, 2, 4
    position: int  # 1..n, unique
    tied: bool  # another item shares this rank
    contributions: dict[int, float]


@dataclass(frozen=True, slots=True)
class RankingResult:
    ranked: list[RankedItem]  # ordered by position
    needs_scoring: list[int]  # item ids missing a weighted criterion's score, by (created, id)


@dataclass(frozen=True, slots=True)
class _Factor:
    """One factor of a method's formula: a weighted mean over some criteria."""

    label: str
    divides: bool  # a cost factor (Effort, Job size): the score falls as it grows
    criterion_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    """Everything worked out once per ranking, so the per-item work is lookups and int sums.

    Each factor's value for an item is an integer ``total``: the sum of its criteria's parts.
    The score is 100 × numerator ÷ denominator, where the numerator is the constant
    ``numerator`` times the totals of the benefit factors, and the denominator is the constant
    ``denominator`` times the totals of the cost factors. The constants put each factor on
    0..1 against its best possible total, which is what makes 100 the maximum.
    """

    additive: bool  # weighted sum: one factor, and contributions straight from tables
    ids: tuple[int, ...]
    # Criteria weighted 0 play no part in any method, so an item missing their score is still
    # ranked: a new criterion collects scores at weight 0 without unranking anything. A
    # missing one reads as this stand-in (its scale's lowest value), which earns 0 points.
    optional: dict[int, int]
    # Per criterion: value -> exact integer part of its factor's total. Every value on the
    # scale has an entry, so a failed lookup means "outside the scale".
    tables: tuple[dict[int, int], ...]
    # Per criterion: index into ``factors``, or len(factors) when it plays no part.
    factor_of: tuple[int, ...]
    factors: tuple[_Factor, ...]
    divides: tuple[bool, ...]  # per factor
    numerator: int
    denominator: int
    # Weighted sum: per criterion, value -> contribution in points, rounded.
    contribution_tables: tuple[dict[int, float], ...]
    # RICE/WSJF, for the log-lift contributions: per criterion, value -> distance of its part
    # from its worst value; per factor, the total when every member is at its worst; and the
    # weight shares that split a score when nothing lifts it.
    lift_tables: tuple[dict[int, int], ...]
    worst_totals: tuple[int, ...]
    floor_shares: tuple[float, ...]


def format_rank(rank: int, tied: bool) -> str:
    """Show a rank as committee papers do: "=3" when shared, else "3"."""
    return f"={rank}" if tied else str(rank)


def score_item(
    scores: Mapping[int, int], criteria: Sequence[CriterionInput], method: str
) -> tuple[float, dict[int, float]]:
    """Score one item: (score 0..100 rounded to 2 dp, contributions by criterion id).

    Gives exactly what rank_items gives that item. Raises ValueError when the item lacks a score
    for an active criterion (rank_items lists such items as needing scoring instead), or when a
    value is outside its scale.
    """
    plan = _compile(criteria, method)
    values = _values(plan, scores)
    if values is None:
        raise ValueError("item needs scoring: a criterion weighted above 0 has no score")
    cents, contributions = _evaluate(plan, values)
    return cents / 100, contributions


def rank_items(
    items: Iterable[ItemInput], criteria: Sequence[CriterionInput], method: str = WEIGHTED_SUM
) -> RankingResult:
    """Score every fully scored item and rank them.

    Order: rounded score descending, then earlier ``created``, then lower id. ``rank`` is the
    competition rank of the rounded score, so items shown with equal scores share a rank.
    Items missing the score of any criterion weighted above 0 are never ranked (not even as
    zero): their ids come back in ``needs_scoring``. A criterion weighted 0 is not needed, and
    earns 0 points whether scored or not. Scores for criteria not in ``criteria`` are ignored.
    """
    plan = _compile(criteria, method)
    with _collector_paused():
        return _rank(plan, items)


def _rank(plan: _Plan, items: Iterable[ItemInput]) -> RankingResult:
    ids = plan.ids
    read = itemgetter(*ids) if len(ids) > 1 else _single_getter(ids[0])
    evaluate = partial(_evaluate, plan) if plan.additive else _memoised(plan)
    # Parallel lists rather than a tuple per item: fewer objects for the garbage collector to
    # track, and the sorts below can use cheap C-level keys.
    item_ids: list[int] = []
    created: list[float] = []
    cents_of: list[int] = []
    contributions_of: list[dict[int, float]] = []
    unscored: list[tuple[float, int]] = []
    optional = plan.optional
    for item in items:
        scores = item.scores
        if optional:
            scores = {**optional, **scores}
        try:
            cents, contributions = evaluate(read(scores))
        except KeyError:
            # Unscored, or outside its scale: _values tells which, raising for the latter.
            if _values(plan, scores) is not None:
                raise
            unscored.append((item.created, item.id))
            continue
        item_ids.append(item.id)
        created.append(item.created)
        cents_of.append(cents)
        contributions_of.append(contributions)

    distinct = {*item_ids, *(item_id for _created, item_id in unscored)}
    if len(distinct) != len(item_ids) + len(unscored):
        raise ValueError("item ids must be unique")

    # Stable sorts, last key first: score descending, then earlier created, then lower id.
    order = sorted(range(len(item_ids)), key=item_ids.__getitem__)
    order.sort(key=created.__getitem__)
    order.sort(key=cents_of.__getitem__, reverse=True)
    unscored.sort()

    sharing = Counter(cents_of)
    ranked: list[RankedItem] = []
    rank = 0
    previous = -1
    for position, index in enumerate(order, 1):
        cents = cents_of[index]
        if cents != previous:
            rank = position
            previous = cents
        ranked.append(
            RankedItem(
                item_ids[index],
                cents / 100,
                rank,
                position,
                sharing[cents] > 1,
                contributions_of[index],
            )
        )
    return RankingResult(ranked=ranked, needs_scoring=[item_id for _created, item_id in unscored])


def method_factors(criteria: Sequence[CriterionInput], method: str) -> dict[str, tuple[int, ...]]:
    """Which criteria make up each factor of a method, e.g. {"Reach": (3,), "Effort": (8,)}.

    Factors that count as 1 (no criterion, or all weighted 0) are left out. For the weightings
    page, so a council can see how its criteria feed RICE or WSJF.
    """
    plan = _compile(criteria, method)
    return {factor.label: factor.criterion_ids for factor in plan.factors}


def method_layout(
    criteria: Sequence[CriterionInput], method: str
) -> list[tuple[str, bool, tuple[int, ...]]]:
    """Each factor of a method as (label, divides, criterion ids), in formula order.

    ``divides`` marks a cost factor (Effort, Job size). For robustness.py, which re-scores
    items with sampled weights and must follow the same formula.
    """
    plan = _compile(criteria, method)
    return [(factor.label, factor.divides, factor.criterion_ids) for factor in plan.factors]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector, if it is running, for the duration.

    A ranking allocates one result object per item and none of them can form a cycle, yet at
    100k items the allocations alone trigger repeated full collections over everything the
    process holds: 20-30% of the run time. The pause changes nothing else.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _memoised(plan: _Plan) -> Callable[[tuple[int, ...]], tuple[int, dict[int, float]]]:
    """_evaluate for RICE/WSJF, worked out once per distinct pattern of scores.

    Their contributions take logs, so reuse pays even on random data; the weighted sum's
    lookups are cheaper than the cache.
    """
    seen: dict[tuple[int, ...], tuple[int, dict[int, float]]] = {}

    def evaluate(values: tuple[int, ...]) -> tuple[int, dict[int, float]]:
        known = seen.get(values)
        if known is None:
            known = seen[values] = _evaluate(plan, values)
            return known
        return known[0], known[1].copy()  # every item gets its own dict

    return evaluate


def _single_getter(criterion_id: int) -> Callable[[Mapping[int, int]], tuple[int]]:
    # itemgetter with one key returns a bare value, not a 1-tuple.
    def read(scores: Mapping[int, int]) -> tuple[int]:
        return (scores[criterion_id],)

    return read


def _values(plan: _Plan, scores: Mapping[int, int]) -> tuple[int, ...] | None:
    """Each active criterion's value in plan order; None when one is unscored.

    Raises ValueError for a value outside its criterion's scale, even if another is unscored:
    bad data should be loud, not hidden behind "needs scoring".
    """
    values: list[int] = []
    missing = False
    for criterion_id, table in zip(plan.ids, plan.tables, strict=True):
        value = scores.get(criterion_id, plan.optional.get(criterion_id))
        if value is None:
            missing = True
            continue
        if value not in table:
            raise ValueError(f"score {value!r} is outside the scale of criterion {criterion_id}")
        values.append(value)
    return None if missing else tuple(values)


def _evaluate(plan: _Plan, values: tuple[int, ...]) -> tuple[int, dict[int, float]]:
    """(score in hundredths, contributions) for one item's values, in plan order.

    The score is 100 × numerator ÷ denominator exactly, rounded half up to hundredths.
    Raises KeyError for a value outside its scale (callers turn that into a ValueError).
    """
    if plan.additive:
        denominator = plan.denominator
        total = sum(map(getitem, plan.tables, values))
        cents = (20000 * total + denominator) // (2 * denominator)
        contributions = dict(
            zip(plan.ids, map(getitem, plan.contribution_tables, values), strict=True)
        )
        return cents, contributions
    totals = [0] * (len(plan.factors) + 1)  # the last slot collects criteria that play no part
    for factor_index, part in zip(plan.factor_of, map(getitem, plan.tables, values), strict=True):
        totals[factor_index] += part
    numerator = plan.numerator
    denominator = plan.denominator
    for total, divides in zip(totals, plan.divides, strict=False):
        if divides:
            denominator *= total
        else:
            numerator *= total
    cents = (20000 * numerator + denominator) // (2 * denominator)
    return cents, _lift_contributions(plan, values, totals, 100 * numerator / denominator)


def _lift_contributions(
    plan: _Plan, values: tuple[int, ...], totals: list[int], score: float
) -> dict[int, float]:
    """Share a RICE/WSJF score among criteria by how much each lifts it above its floor.

    A product is a sum in log space: ln(score ÷ floor score) = Σ ln(factor ÷ factor at worst).
    Each factor takes that share of the (unrounded) score, and splits it among its criteria in
    proportion to each one's weighted distance from its worst value. An item at the floor on
    everything has no lift to share by, so its small floor score is split by weight.
    """
    worst_totals = plan.worst_totals
    lifts = [abs(math.log(t / w)) for t, w in zip(totals, worst_totals, strict=False)]
    total_lift = math.fsum(lifts)
    scale = _CONTRIBUTION_SCALE
    if total_lift == 0:
        return {
            criterion_id: int(score * share * scale + 0.5) / scale
            for criterion_id, share in zip(plan.ids, plan.floor_shares, strict=True)
        }
    points = [score * lift / total_lift for lift in lifts]
    points.append(0.0)  # the "plays no part" slot
    # A zero span means every member sits at its worst, so every distance is 0 too.
    spans = [abs(t - w) or 1 for t, w in zip(totals, worst_totals, strict=False)]
    spans.append(1)
    # distance / span stays int ÷ int, so huge exact totals cannot overflow a float.
    return {
        criterion_id: int(points[factor] * (distance / spans[factor]) * scale + 0.5) / scale
        for criterion_id, factor, distance in zip(
            plan.ids, plan.factor_of, map(getitem, plan.lift_tables, values), strict=True
        )
    }


def _exact_weight(weight: float) -> Fraction:
    try:
        # A float is read as the decimal it prints as, so 0.1 and 0.7 are exactly 1 : 7, just
        # as a person typed them or JSON stored them.
        exact = Fraction(repr(weight)) if isinstance(weight, float) else Fraction(weight)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"weight {weight!r} is not a finite number") from None
    if exact < 0:
        raise ValueError(f"weight {weight!r} is below 0")
    return exact


def _integer_weights(criteria: Sequence[CriterionInput]) -> list[int]:
    """The weights as the smallest integers in the same ratio.

    Proportional weights give identical integers, so they give bit-identical scores.
    """
    fractions = [_exact_weight(criterion.weight) for criterion in criteria]
    common = math.lcm(*(fraction.denominator for fraction in fractions)) if fractions else 1
    integers = [int(fraction * common) for fraction in fractions]
    divisor = math.gcd(*integers)
    if divisor == 0:
        raise ValueError("at least one criterion needs a weight above 0")
    return [integer // divisor for integer in integers]


def _validate(criteria: Sequence[CriterionInput]) -> None:
    seen: set[int] = set()
    for criterion in criteria:
        if criterion.id in seen:
            raise ValueError(f"criterion {criterion.id} is listed twice")
        seen.add(criterion.id)
        if criterion.direction not in (BENEFIT, COST):
            raise ValueError(f"criterion {criterion.id} has unknown direction")
        if criterion.scale_max <= criterion.scale_min:
            raise ValueError(f"criterion {criterion.id} needs scale_max above scale_min")


def _weighted_sum_factors(
    criteria: Sequence[CriterionInput], weights: list[int]
) -> list[tuple[str, bool, list[int]]]:
    """Weighted sum: score = 100 × Σ wᵢ·nᵢ ÷ Σ wᵢ.

    nᵢ = (v − minᵢ) ÷ (maxᵢ − minᵢ) on the criterion's fixed scale, or 1 − that for a cost
    criterion. Contribution of criterion i = 100 × wᵢ·nᵢ ÷ Σ w, so contributions add up to the
    score. Held as one factor; its tables are built by ``_compile``.
    """
    members = [index for index, weight in enumerate(weights) if weight]
    return [("Weighted sum", False, members)]


def _role(criteria: Sequence[CriterionInput], weights: list[int], key: str) -> int | None:
    """The criterion playing a named role: right key, a benefit, weighted above 0."""
    for index, criterion in enumerate(criteria):
        if criterion.key == key and criterion.direction == BENEFIT and weights[index]:
            return index
    return None


def _rice_factors(
    criteria: Sequence[CriterionInput], weights: list[int]
) -> list[tuple[str, bool, list[int]]]:
    """RICE: score = 100 × R × I × C × (E_min ÷ E).

    With level ℓᵢ = (v − minᵢ + 1) ÷ (maxᵢ − minᵢ + 1), which is 0.2..1 on a 1–5 scale:
    R (Reach) = ℓ of the "citizen_impact" criterion; C (Confidence) = ℓ of "confidence";
    I (Impact) = Σ wᵢℓᵢ ÷ Σ wᵢ over the other benefit criteria;
    E (Effort) = Σ wᵢℓᵢ ÷ Σ wᵢ over the cost criteria; E_min = E with every cost at its lowest.
    Each factor is at most 1 and R·I·C/E peaks at 1 ÷ E_min, so the score is at most 100 and
    depends on no other item. A keyed role is only used when that criterion is a benefit with
    weight above 0; otherwise it counts by direction (or not at all). A factor with no criteria
    is 1 (neutral): e.g. a council without "confidence" gets R × I × E_min/E.
    """
    reach = _role(criteria, weights, REACH_KEY)
    confidence = _role(criteria, weights, CONFIDENCE_KEY)
    impact = [
        index
        for index, criterion in enumerate(criteria)
        if criterion.direction == BENEFIT and weights[index] and index not in (reach, confidence)
    ]
    effort = _members(criteria, weights, COST)
    return [
        ("Reach", False, [] if reach is None else [reach]),
        ("Impact", False, impact),
        ("Confidence", False, [] if confidence is None else [confidence]),
        ("Effort", True, effort),
    ]


def _wsjf_factors(
    criteria: Sequence[CriterionInput], weights: list[int]
) -> list[tuple[str, bool, list[int]]]:
    """WSJF: score = 100 × CoD × (J_min ÷ J).

    With level ℓᵢ = (v − minᵢ + 1) ÷ (maxᵢ − minᵢ + 1):
    CoD (Cost of delay) = Σ wᵢℓᵢ ÷ Σ wᵢ over the benefit criteria (SAFe's sum of value, time
    criticality and risk reduction, with normalised weights);
    J (Job size) = Σ wᵢℓᵢ ÷ Σ wᵢ over the cost criteria; J_min = J with every cost at its lowest.
    CoD ≤ 1 and J ≥ J_min, so the score is at most 100. A factor with no criteria is 1.
    """
    return [
        ("Cost of delay", False, _members(criteria, weights, BENEFIT)),
        ("Job size", True, _members(criteria, weights, COST)),
    ]


def _members(criteria: Sequence[CriterionInput], weights: list[int], direction: str) -> list[int]:
    return [
        index
        for index, criterion in enumerate(criteria)
        if criterion.direction == direction and weights[index]
    ]


_FACTOR_BUILDERS = {
    WEIGHTED_SUM: _weighted_sum_factors,
    RICE: _rice_factors,
    WSJF: _wsjf_factors,
}


def _compile(criteria: Sequence[CriterionInput], method: str) -> _Plan:
    """Turn criteria and weights into integer lookup tables, once per ranking."""
    if method not in _FACTOR_BUILDERS:
        raise ValueError(f"unknown scoring method {method!r}")
    criteria = tuple(criteria)
    _validate(criteria)
    weights = _integer_weights(criteria)
    additive = method == WEIGHTED_SUM
    layout = [
        (label, divides, members)
        for label, divides, members in _FACTOR_BUILDERS[method](criteria, weights)
        if members  # an empty factor is neutral (1): leave it out of the product
    ]

    count = len(criteria)
    tables = [dict.fromkeys(range(c.scale_min, c.scale_max + 1), 0) for c in criteria]
    lift_tables = [dict(table) for table in tables]
    factor_of = [len(layout)] * count
    worst_totals: list[int] = []
    numerator = denominator = 1
    for factor_index, (_label, divides, members) in enumerate(layout):
        # Weighted sum counts steps up from the bottom of the scale (0..max-min); RICE and WSJF
        # count levels from 1, so a product or divisor never hits zero.
        first = 0 if additive else 1
        steps = {i: criteria[i].scale_max - criteria[i].scale_min + first for i in members}
        # Scaling each criterion to a common step count keeps every part an integer.
        common = math.lcm(*steps.values())
        best_total = worst_total = 0
        for i in members:
            criterion = criteria[i]
            table = tables[i]
            unit = weights[i] * (common // steps[i])
            for value in table:
                step = value - criterion.scale_min + first
                if additive and criterion.direction == COST:
                    step = steps[i] - step
                table[value] = unit * step
            factor_of[i] = factor_index
            low, high = min(table.values()), max(table.values())
            best, worst = (low, high) if divides else (high, low)
            lift_tables[i] = {value: abs(part - worst) for value, part in table.items()}
            best_total += best
            worst_total += worst
        # Benefit factor: total ÷ best total. Cost factor: best total ÷ total.
        if divides:
            numerator *= best_total
        else:
            denominator *= best_total
        worst_totals.append(worst_total)

    contribution_tables = (
        tuple(
            {value: round(100 * part / denominator, 4) for value, part in t.items()} for t in tables
        )
        if additive
        else ()
    )
    in_play = [weights[i] if factor_of[i] < len(layout) else 0 for i in range(count)]
    weight_total = sum(in_play) or 1
    return _Plan(
        additive=additive,
        ids=tuple(c.id for c in criteria),
        optional={
            c.id: c.scale_min for c, weight in zip(criteria, weights, strict=True) if not weight
        },
        tables=tuple(tables),
        factor_of=tuple(factor_of),
        factors=tuple(
            _Factor(label, divides, tuple(criteria[i].id for i in members))
            for label, divides, members in layout
        ),
        divides=tuple(divides for _label, divides, _members in layout),
        numerator=numerator,
        denominator=denominator,
        contribution_tables=contribution_tables,
        lift_tables=tuple(lift_tables),
        worst_totals=tuple(worst_totals),
        floor_shares=tuple(weight / weight_total for weight in in_play),
    )
