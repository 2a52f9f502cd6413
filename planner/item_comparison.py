"""Why is X above Y? Two ranked items side by side, with the weights that would swap them.

The pure part (``flip_points``, ``flip_sentence``, ``no_flip_sentence``) takes plain data; the
loading part (``compare_items``) reads the latest live run, the two entries and the two
items' scores: a handful of queries whatever the backlog size. See /work/shared/PLANNING.md,
"The exact flip weight".

The flip points and the probability use the items' scores as they are now; the scores shown
and the ranks are the run's. When a score has changed since the run, the page says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from councils.models import Council
from planner import rank_ranges, ranking, robustness, scoring
from planner.models import BacklogItem, ItemScore, RankedEntry, RankingRun

# The rank ranges' own fall-back for an item with no Confidence score, so the figures agree.
NO_NOISE_CONFIDENCE = rank_ranges.NO_NOISE_CONFIDENCE


class CannotCompare(Exception):
    """The two references cannot be compared; ``field`` is the form field ("a" or "b") to
    put the message on, and ``status`` the HTTP status the page answers with."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


# --- Pure: flip points and their sentences --------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlipPoint:
    """Where one criterion's weight would swap the pair: ``weight`` is None when no weight
    in 0-100 does (or when ``unscored``: an item has no score for it)."""

    criterion_id: int
    current: float
    weight: Fraction | float | None
    unscored: bool = False

    @property
    def rises(self) -> bool:
        return self.weight is not None and self.weight > Fraction(repr(self.current))

    @property
    def nearness(self) -> float:
        """How far the weight must move from where it is: the nearest flip comes first."""
        if self.weight is None:
            return float("inf")
        return abs(float(self.weight) - self.current)


def flip_points(
    criteria: Sequence[scoring.CriterionInput],
    method: str,
    upper: Sequence[int | None],
    lower: Sequence[int | None],
) -> list[FlipPoint]:
    """For each criterion in turn, the weight at which ``lower`` would overtake ``upper`` with
    every other weight unchanged. Values are in ``criteria`` order; None is "not scored".

    Weighted sum: exact (robustness.flip_weight, a Fraction). RICE and WSJF: a numeric search
    (robustness.flip_weight_search). A criterion one of the two has no score for is left out
    (``unscored``): raising its weight would unrank that item, not swap the pair.
    """
    a, b = filled(criteria, upper), filled(criteria, lower)
    points = []
    for index, criterion in enumerate(criteria):
        if upper[index] is None or lower[index] is None:
            points.append(FlipPoint(criterion.id, criterion.weight, None, unscored=True))
            continue
        if method == scoring.WEIGHTED_SUM:
            weight: Fraction | float | None = robustness.flip_weight(criteria, a, b, index)
        else:
            weight = robustness.flip_weight_search(criteria, method, a, b, index)
        point = FlipPoint(criterion.id, criterion.weight, weight)
        if weight is not None and (
            weight == Fraction(repr(criterion.weight))  # already level: a tie, not a flip
            or (weight == 0 and not point.rises)  # a weight cannot fall below 0 ...
            or (weight == 100 and point.rises)  # ... nor rise above 100: only a tie there
        ):
            point = FlipPoint(criterion.id, criterion.weight, None)
        points.append(point)
    return points


def filled(criteria: Sequence[scoring.CriterionInput], values: Sequence[int | None]) -> list[int]:
    """A missing score counts as the scale's lowest point, as scoring does for a criterion
    weighted 0 (a ranked item has a score for every weighted one)."""
    return [c.scale_min if v is None else v for c, v in zip(criteria, values, strict=True)]


def percent(value: Fraction | float, places: int = 1) -> str:
    """A weight as a percentage: whole numbers plainly, others to ``places`` decimals."""
    rounded = round(float(value), places)
    return f"{rounded:.0f}%" if rounded == int(rounded) else f"{rounded:.{places}f}%"


def signed(points: float | Decimal) -> str:
    """A difference in points with its sign, "+1.25" or "−0.50" (a true minus sign)."""
    text = f"{float(points):+.2f}"
    return "0.00" if float(text) == 0 else text.replace("-", "\u2212")


def share(probability: float) -> str:
    """A probability as a whole percentage, never rounding a near-certainty to 100% or 0%."""
    if 0 < probability < 0.005:
        return "under 1%"
    if 0.995 <= probability < 1:
        return "over 99%"
    return f"{probability:.0%}"


def possessive(name: str) -> str:
    return f"{name}\u2019" if name.endswith("s") else f"{name}\u2019s"


def flip_sentence(upper: str, lower: str, name: str, point: FlipPoint) -> str:
    """Say "DIG-004 stays above DIG-031 unless Savings’ weight rises above 34% (now 20%)."."""
    if point.weight is None:
        raise ValueError("no flip to describe")
    move = "rises above" if point.rises else "falls below"
    flip, now = percent(point.weight), percent(point.current)
    if flip == now:  # so close that one decimal would print the same number twice
        flip, now = percent(point.weight, 2), percent(point.current, 2)
    weight = f"{possessive(name)} weight"
    return f"{upper} stays above {lower} unless {weight} {move} {flip} (now {now})."


def no_flip_sentence(upper: str, lower: str, names: Sequence[str]) -> str:
    """The criteria whose weight, alone, cannot swap the pair anywhere in 0-100%."""
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return (
        f"No weight from 0% to 100% for {listed} puts {lower} above {upper} "
        "(with the other weights as they are)."
    )


# --- Loading a comparison ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Side:
    item: BacklogItem
    entry: RankedEntry

    @property
    def has_range(self) -> bool:
        return self.entry.rank_low is not None and self.entry.rank_high is not None


@dataclass(frozen=True, slots=True)
class CriterionRow:
    name: str
    direction: str
    weight: float
    a_points: float
    b_points: float

    @property
    def difference(self) -> float:
        """Points A earns over B on this criterion (negative: B earns more)."""
        return self.a_points - self.b_points

    @property
    def difference_label(self) -> str:
        return signed(self.difference)


@dataclass(frozen=True, slots=True)
class ItemComparison:
    run: RankingRun
    a: Side
    b: Side
    rows: list[CriterionRow]
    flips: list[str]  # nearest flip first
    no_flip: str  # the criteria that cannot swap them, in one sentence ("" if none)
    unscored: list[str]  # criteria left out: one of the two has no score
    p_upper_stays: float  # the probability the higher-ranked stays above the other
    band_percent: int
    samples: int
    scores_changed: bool  # a score changed since the run: flips use today's scores

    @property
    def sides(self) -> tuple[Side, Side]:
        return (self.a, self.b)

    @property
    def samples_label(self) -> str:
        return f"{self.samples:,}"

    @property
    def p_label(self) -> str:
        return share(self.p_upper_stays)

    @property
    def score_difference_label(self) -> str:
        return signed(self.a.entry.score - self.b.entry.score)

    @property
    def upper(self) -> Side:
        return self.a if self.a.entry.position < self.b.entry.position else self.b

    @property
    def lower(self) -> Side:
        return self.b if self.upper is self.a else self.a

    @property
    def tied(self) -> bool:
        return self.a.entry.score == self.b.entry.score


def clean_reference(value: str) -> str:
    return value.strip().upper()


def compare_items(council: Council, ref_a: str, ref_b: str) -> ItemComparison:
    """The two items of ``council`` side by side in its latest live ranking. Raises
    CannotCompare for an unknown (404), archived, unranked or repeated reference."""
    ref_a, ref_b = clean_reference(ref_a), clean_reference(ref_b)
    if ref_a == ref_b:
        raise CannotCompare("b", "Choose two different items to compare")
    items = {
        item.reference: item
        for item in council.items.select_related("theme").filter(reference__in=[ref_a, ref_b])
    }
    for field, ref in (("a", ref_a), ("b", ref_b)):
        item = items.get(ref)
        if item is None:
            raise CannotCompare(field, f"There is no item {ref} in this backlog", status=404)
        if item.archived:
            raise CannotCompare(field, f"{ref} is archived, so it is not ranked")
    run = ranking.latest_done_run(council)
    if run is None:
        raise CannotCompare("a", "Nothing has been ranked yet, so there is nothing to compare")
    entries = {
        entry.item_id: entry
        for entry in RankedEntry.objects.filter(
            run=run, item_id__in=[items[ref_a].pk, items[ref_b].pk]
        )
    }
    for field, ref in (("a", ref_a), ("b", ref_b)):
        if items[ref].pk not in entries:
            raise CannotCompare(
                field,
                f"{ref} is not in the latest ranking: it needs scoring, is done, "
                "or was added since",
            )
    a = Side(items[ref_a], entries[items[ref_a].pk])
    b = Side(items[ref_b], entries[items[ref_b].pk])
    return _comparison(run, a, b)


def _comparison(run: RankingRun, a: Side, b: Side) -> ItemComparison:
    snapshot = run.scored_criteria()
    criteria = [
        scoring.CriterionInput(
            id=int(c["id"]),
            key=str(c["key"]),
            direction=str(c["direction"]),
            weight=float(c["weight"] or 0),
        )
        for c in snapshot
    ]
    names = {int(c["id"]): str(c["name"]) or f"criterion {c['id']}" for c in snapshot}
    method = run.method or scoring.WEIGHTED_SUM
    values, confidence = _scores(a.item.pk, b.item.pk, [c.id for c in criteria])
    rows = [
        CriterionRow(
            name=names[c.id],
            direction=c.direction,
            weight=c.weight,
            a_points=float(a.entry.contributions.get(str(c.id), 0)),
            b_points=float(b.entry.contributions.get(str(c.id), 0)),
        )
        for c in criteria
    ]
    upper, lower = (a, b) if a.entry.position < b.entry.position else (b, a)
    upper_values = [values[upper.item.pk].get(c.id) for c in criteria]
    lower_values = [values[lower.item.pk].get(c.id) for c in criteria]
    points = flip_points(criteria, method, upper_values, lower_values)
    up, low = upper.item.reference, lower.item.reference
    flips = [
        flip_sentence(up, low, names[p.criterion_id], p)
        for p in sorted(points, key=lambda p: p.nearness)
        if p.weight is not None
    ]
    band = rank_ranges.sampled_band_percent(run)
    samples = int((run.robustness or {}).get("samples") or robustness.DEFAULT_SAMPLES)
    p_stays = robustness.p_above(
        criteria,
        method,
        filled(criteria, upper_values),
        filled(criteria, lower_values),
        (
            confidence.get(upper.item.pk, NO_NOISE_CONFIDENCE),
            confidence.get(lower.item.pk, NO_NOISE_CONFIDENCE),
        ),
        band=band / 100,
        seed=run.pk,
        samples=samples,
    )
    return ItemComparison(
        run=run,
        a=a,
        b=b,
        rows=rows,
        flips=flips,
        no_flip=no_flip_sentence(
            up, low, [names[p.criterion_id] for p in points if p.weight is None and not p.unscored]
        ),
        unscored=[names[p.criterion_id] for p in points if p.unscored],
        p_upper_stays=p_stays,
        band_percent=band,
        samples=samples,
        scores_changed=any(
            _rescored(side.entry, values[side.item.pk], criteria, method) for side in (a, b)
        ),
    )


def _scores(
    a_id: int, b_id: int, criterion_ids: list[int]
) -> tuple[dict[int, dict[int, int]], dict[int, int]]:
    """Both items' scores on the run's criteria, and their Confidence scores: one query."""
    values: dict[int, dict[int, int]] = {a_id: {}, b_id: {}}
    confidence: dict[int, int] = {}
    rows = ItemScore.objects.filter(item_id__in=[a_id, b_id]).values_list(
        "item_id", "criterion_id", "value", "criterion__key"
    )
    for item_id, criterion_id, value, key in rows:
        if criterion_id in criterion_ids:
            values[item_id][criterion_id] = value
        if key == scoring.CONFIDENCE_KEY:
            confidence[item_id] = value
    return values, confidence


def _rescored(
    entry: RankedEntry,
    scores: dict[int, int],
    criteria: list[scoring.CriterionInput],
    method: str,
) -> bool:
    """Whether today's scores give a different score from the run's."""
    try:
        score, _contributions = scoring.score_item(scores, criteria, method)
    except ValueError:  # a weighted criterion has lost its score, or the scale changed
        return True
    return Decimal(str(score)) != entry.score


TOP_CHOICES = 20


def compare_choices(run: RankingRun | None, item: BacklogItem) -> list[tuple[str, str]]:
    """(reference, "rank. reference title") for the live ranking ``run``'s top 20, less
    ``item``: the item page's "Compare with…" list. One query."""
    if run is None:
        return []
    rows = (
        RankedEntry.objects.filter(run=run, position__lte=TOP_CHOICES + 1)
        .exclude(item_id=item.pk)
        .order_by("position")
        .values_list("item__reference", "item__title", "rank", "tied")
    )
    return [
        (reference, f"{scoring.format_rank(rank, tied)}. {reference} {title}")
        for reference, title, rank, tied in rows[:TOP_CHOICES]
    ]
