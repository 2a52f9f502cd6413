"""Rank ranges (SMAA-2), tornado swings and "why is X above Y?" for a ranking.

Pure functions over numpy arrays: no Django. See /work/shared/PLANNING.md, "Rank ranges".

Each sample draws every weight as w · U(1 − band, 1 + band) (renormalised by the scoring,
which divides by the weights' total) and every score as x + U(−σ, σ), clipped to the
criterion's scale, where σ comes from the item's Confidence score (see ``score_spread``).
Every item is then scored with the council's own method (weighted
sum, RICE or WSJF, the formulas of planner/scoring.py, in floating point) and ranked, ties going
to the plain ranking's order. Samples are processed in chunks so that a chunk's scores are the
only float matrix held; the ranks are kept as the smallest integer type that fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from planner.scoring import BENEFIT, WEIGHTED_SUM, CriterionInput, method_layout

DEFAULT_SAMPLES = 2_000
DEFAULT_BAND = 0.25
DEFAULT_CHUNK = 100
# The chance of landing in Now walks every item of every sample it uses: a subsample keeps it
# cheap (PLANNING.md allows it, and the method text says so).
NOW_SAMPLES = 200
# Team-days: loads are fractions of an estimate, so compare with a little slack.
_ROOM_TOLERANCE = 1e-9
TOP = 10
# The 5th-95th percentile interval of an item's rank.
LOW_QUANTILE = 0.05
HIGH_QUANTILE = 0.95

# Stability labels by the width of the interval (high - low), in one place.
SETTLED = "settled"
FAIRLY_SETTLED = "fairly settled"
CONTESTED = "contested"
STABILITY_THRESHOLDS: tuple[tuple[int, str], ...] = ((2, SETTLED), (6, FAIRLY_SETTLED))

# Score noise by Confidence score on its 1-5 scale: 5 → none, 3 → ±0.5, 1 → ±1. The three
# fixed points lie on one straight line, σ = (5 − c) ÷ 4, so 4 → ±0.25 and 2 → ±0.75.
_FULL_SPREAD = 1.0

Floats = npt.NDArray[np.float64]
# Sampled scores, in single precision (see _draw).
Samples = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]


def stability(width: int) -> str:
    """The label for an interval of this width (high rank - low rank)."""
    for limit, label in STABILITY_THRESHOLDS:
        if width <= limit:
            return label
    return CONTESTED


def score_spread(confidence: npt.ArrayLike, scale_min: int = 1, scale_max: int = 5) -> Floats:
    """σ per item from its Confidence score, linear from ±1 at the bottom to 0 at the top."""
    level = (np.asarray(confidence, dtype=np.float64) - scale_min) / (scale_max - scale_min)
    spread: Floats = _FULL_SPREAD * (1.0 - np.clip(level, 0.0, 1.0))
    return spread


@dataclass(frozen=True, slots=True)
class RankRange:
    median: int
    low: int  # 5th percentile rank (1 = top)
    high: int  # 95th percentile rank
    p_top10: float
    p_now: float | None  # None when no capacity was given
    stability: str

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"


class Scorer:
    """The council's method, vectorised: scores for many weight vectors and score matrices."""

    def __init__(self, criteria: Sequence[CriterionInput], method: str) -> None:
        self.criteria = tuple(criteria)
        self.method = method
        self.low = np.array([c.scale_min for c in self.criteria], dtype=np.float64)
        self.high = np.array([c.scale_max for c in self.criteria], dtype=np.float64)
        self.weights = np.array([c.weight for c in self.criteria], dtype=np.float64)
        index = {c.id: i for i, c in enumerate(self.criteria)}
        self.factors = [
            (divides, np.array([index[i] for i in ids], dtype=np.intp))
            for _label, divides, ids in method_layout(self.criteria, method)
        ]
        cost = np.array([c.direction != BENEFIT for c in self.criteria])
        if method == WEIGHTED_SUM:
            self._ws_cost = cost
        else:
            steps = self.high - self.low + 1
            self._best_level = 1.0 / steps  # a cost criterion at its lowest point
            self._steps = steps

    def score(self, values: Floats | Samples, weights: Floats) -> Floats:
        """Scores 0-100: values (samples × items × criteria), weights (samples × criteria)."""
        if self.method == WEIGHTED_SUM:
            # The normalised score is linear in the value, (x − low) ÷ range, or (high − x) ÷
            # range for a cost: so the score is one batched matrix product plus a constant,
            # in the values' own precision (single for samples), never a normalised copy.
            active = self.factors[0][1] if self.factors else np.array([], dtype=np.intp)
            mask = np.zeros(len(self.criteria))
            mask[active] = 1.0
            w = weights * mask
            total = w.sum(axis=-1, keepdims=True)
            span = self.high - self.low
            slope = np.where(self._ws_cost, -1.0, 1.0) / span
            offset = np.where(self._ws_cost, self.high, -self.low) / span
            # Scaling by 100 ÷ Σw comes last: weights and slopes such as 25 and 1/4 multiply
            # exactly, so items the exact scoring ties still tie here (same sum, same scale).
            factor: Floats = (w * slope).astype(values.dtype)
            constant: Floats = (w * offset).sum(axis=-1, keepdims=True).astype(values.dtype)
            result: Floats = np.matmul(values, factor[:, :, None])[:, :, 0]
            result += constant
            result *= (100.0 / total).astype(values.dtype)
            return result
        score = np.full(values.shape[:2], 100.0)
        for divides, members in self.factors:
            w = weights[:, members]
            total = w.sum(axis=1, keepdims=True)
            factor = self._factor(values, w, members) / total
            if divides:
                best = (w * self._best_level[members]).sum(axis=1, keepdims=True) / total
                score *= best / factor
            else:
                score *= factor
        return score

    def _factor(self, values: Floats | Samples, w: Floats, members: npt.NDArray[np.intp]) -> Floats:
        """Σ weight × level over a factor's members, per sample and item.

        A level is (x − low + 1) ÷ steps. When the members share one scale (the product's
        1-5), the weighted sum of x − low + 1 is one batched matrix product that multiplies
        exactly (whole scores, whole weights), divided by steps once: items the exact scoring
        ties still tie. Otherwise the levels are worked out in full."""
        steps = self._steps[members]
        if np.all(steps == steps[0]):
            full = np.zeros((w.shape[0], len(self.criteria)))
            full[:, members] = w
            shift = ((1.0 - self.low) * full).sum(axis=1)
            total = np.matmul(values, full.astype(values.dtype)[:, :, None])[:, :, 0]
            total += shift.astype(values.dtype)[:, None]
            result: Floats = total / steps[0]
            return result
        level = (values[:, :, members] - self.low[members] + 1.0) / steps
        mixed: Floats = np.einsum("sic,sc->si", level, w)
        return mixed


def _ranks(scores: Floats) -> Ints:
    """0-based ranks per row, highest score first, ties to the lower index (plain rank order)."""
    return _order_and_ranks(scores)[1]


def _order_and_ranks(scores: Floats) -> tuple[Ints, Ints]:
    """Per row: the item indices best first, and each item's 0-based rank."""
    order = _descending_order(scores)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(scores.shape[1])[None, :], axis=1)
    return order, ranks


def _descending_order(scores: Floats) -> Ints:
    """np.argsort(-scores, axis=1, kind="stable"), in about half the time at 5,000 items.

    Each score (in single precision: ample to rank a 0-100 score) becomes an integer that
    sorts as the float does (the IEEE bit trick), shifted left to make room for the item's
    index: the keys are then distinct, so an ordinary sort of plain integers, with no
    indirection, orders by score and breaks ties by position, as the stable sort did."""
    count = scores.shape[1]
    bits = max(count - 1, 1).bit_length()
    negated = np.negative(scores, dtype=np.float32)
    negated += np.float32(0.0)  # −0.0 becomes +0.0: one key for a zero score
    raw = negated.view(np.uint32).astype(np.int64)
    key = np.where(raw >= 0x8000_0000, 0xFFFF_FFFF - raw, raw | 0x8000_0000)
    key <<= bits
    key |= np.arange(count, dtype=np.int64)
    key.sort(axis=1)
    key &= (1 << bits) - 1
    return key


def _draw(
    rng: np.random.Generator,
    count: int,
    scorer: Scorer,
    values: Floats,
    spread: Floats,
    band: float,
) -> tuple[Samples, Floats]:
    weights = scorer.weights * rng.uniform(1.0 - band, 1.0 + band, (count, len(scorer.weights)))
    # Not renormalised here: every method divides by the weights' total, so the scores are
    # the same, and whole weights at band 0 keep the products exact (ties stay ties).
    # Single precision throughout: it halves the cost of the largest arrays (the noise, the
    # sampled scores) and the scores need no more digits to be ranked. One buffer, in place.
    sampled = rng.random((count, *values.shape), dtype=np.float32)
    sampled *= 2.0
    sampled -= 1.0
    sampled *= spread.astype(np.float32)[None, :, None]
    sampled += values.astype(np.float32)[None, :, :]
    np.clip(sampled, scorer.low.astype(np.float32), scorer.high.astype(np.float32), out=sampled)
    return sampled, weights


def rank_ranges(
    criteria: Sequence[CriterionInput],
    method: str,
    values: npt.ArrayLike,
    confidence: npt.ArrayLike,
    *,
    band: float = DEFAULT_BAND,
    seed: int = 0,
    samples: int = DEFAULT_SAMPLES,
    chunk: int = DEFAULT_CHUNK,
    efforts: npt.ArrayLike | None = None,
    capacity: float | None = None,
    now_samples: int = NOW_SAMPLES,
) -> list[RankRange]:
    """Rank ranges for items given in plain rank order (row i has plain position i + 1).

    values: items × criteria scores, columns in ``criteria`` order. confidence: each item's
    Confidence score (1-5). With ``efforts`` (each item's load on the first quarter) and
    ``capacity`` (the room in it), p_now is the share of the first ``now_samples`` samples in
    which the item gets a place when items are taken in that sample's rank order, each one
    that still fits taking its room and one that does not being passed over, as the rank-order
    schedule does. That fill walks every item, so it runs on a subsample.
    """
    if not 0.0 <= band <= 1.0:
        raise ValueError("the weight band must be between 0 and 1")
    matrix = np.asarray(values, dtype=np.float64)
    count = matrix.shape[0]
    if count == 0:
        return []
    scorer = Scorer(criteria, method)
    spread = score_spread(confidence)
    effort = None if efforts is None else np.asarray(efforts, np.float64)
    limit = 0.0 if capacity is None else capacity
    if capacity is None:
        effort = None
    rng = np.random.default_rng(seed)
    dtype = np.int16 if count < np.iinfo(np.int16).max else np.int32
    ranks = np.empty((samples, count), dtype=dtype)
    top = np.zeros(count, dtype=np.int64)
    now = np.zeros(count, dtype=np.int64)
    for start in range(0, samples, chunk):
        size = min(chunk, samples - start)
        sampled, weights = _draw(rng, size, scorer, matrix, spread, band)
        order, chunk_ranks = _order_and_ranks(scorer.score(sampled, weights))
        del sampled
        ranks[start : start + size] = chunk_ranks
        top += (chunk_ranks < TOP).sum(axis=0)
        if effort is not None and start < now_samples:
            now += _first_quarter_fill(order[: now_samples - start], effort, limit)
    ranks.sort(axis=0)
    median = ranks[(samples - 1) // 2]
    low = ranks[_quantile_row(LOW_QUANTILE, samples)]
    high = ranks[_quantile_row(HIGH_QUANTILE, samples)]
    return [
        RankRange(
            median=int(median[i]) + 1,
            low=int(low[i]) + 1,
            high=int(high[i]) + 1,
            p_top10=float(top[i]) / samples,
            p_now=None if effort is None else float(now[i]) / min(samples, now_samples),
            stability=stability(int(high[i]) - int(low[i])),
        )
        for i in range(count)
    ]


def _first_quarter_fill(order: Ints, effort: Floats, room: float) -> Ints:
    """How many of these samples give each item a place in the first quarter: items taken in
    each sample's rank order (``order``: samples × positions → item), each taking its load
    while it fits in the room left, one that does not fit passed over. Vectorised across
    samples, one step per position."""
    samples, count = order.shape
    left = np.full(samples, float(room))
    placed = np.zeros(count, dtype=np.int64)
    for position in range(count):
        items = order[:, position]
        load = effort[items]
        fits = load <= left + _ROOM_TOLERANCE
        left -= np.where(fits, load, 0.0)
        np.add.at(placed, items[fits], 1)
    return placed


def _quantile_row(quantile: float, samples: int) -> int:
    # The inverted-CDF quantile: the smallest sorted sample with at least that share at or below.
    return max(0, min(samples - 1, int(np.ceil(quantile * samples)) - 1))


def plain_ranks(criteria: Sequence[CriterionInput], method: str, values: npt.ArrayLike) -> Ints:
    """1-based rank of each item with the criteria's own weights and no noise."""
    scorer = Scorer(criteria, method)
    matrix = np.asarray(values, dtype=np.float64)
    scores = scorer.score(matrix[None], scorer.weights[None])
    result: Ints = _ranks(scores)[0] + 1
    return result


@dataclass(frozen=True, slots=True)
class Swing:
    criterion_id: int
    rank_low_weight: int  # the item's rank with this weight at the low end of the band
    rank_high_weight: int  # ... and at the high end

    @property
    def swing(self) -> int:
        return abs(self.rank_high_weight - self.rank_low_weight)


def tornado(
    criteria: Sequence[CriterionInput],
    method: str,
    values: npt.ArrayLike,
    item: int,
    band: float = DEFAULT_BAND,
) -> list[Swing]:
    """The item's rank with each weight in turn at the ends of its band, widest swing first."""
    scorer = Scorer(criteria, method)
    matrix = np.asarray(values, dtype=np.float64)
    count = len(scorer.weights)
    factors = np.ones((2 * count, count))
    for j in range(count):
        factors[2 * j, j] = 1.0 - band
        factors[2 * j + 1, j] = 1.0 + band
    weights = scorer.weights * factors
    scores = scorer.score(np.broadcast_to(matrix, (2 * count, *matrix.shape)), weights)
    ranks = _ranks(scores)[:, item] + 1
    swings = [Swing(c.id, int(ranks[2 * j]), int(ranks[2 * j + 1])) for j, c in enumerate(criteria)]
    return sorted(swings, key=lambda s: (-s.swing, s.criterion_id))


@dataclass(frozen=True, slots=True)
class TornadoBar:
    criterion_id: int
    y: float
    x: float
    width: float
    low_rank: int
    high_rank: int


def tornado_bars(
    swings: Sequence[Swing], plain_rank: int, width: float = 400.0, bar_height: float = 20.0
) -> list[TornadoBar]:
    """SVG geometry: one bar per criterion spanning the ranks it reaches, rank 1 on the left."""
    ranks = [plain_rank] + [r for s in swings for r in (s.rank_low_weight, s.rank_high_weight)]
    lowest, highest = min(ranks), max(ranks)
    span = max(highest - lowest, 1)
    bars = []
    for row, swing in enumerate(swings):
        best = min(swing.rank_low_weight, swing.rank_high_weight, plain_rank)
        worst = max(swing.rank_low_weight, swing.rank_high_weight, plain_rank)
        x = width * (best - lowest) / span
        bars.append(
            TornadoBar(
                swing.criterion_id,
                row * bar_height * 1.5,
                x,
                max(width * (worst - best) / span, 2.0),
                swing.rank_low_weight,
                swing.rank_high_weight,
            )
        )
    return bars


def flip_weight(
    criteria: Sequence[CriterionInput], a: Sequence[int], b: Sequence[int], criterion: int
) -> Fraction | None:
    """Weighted sum: the weight of criterion ``criterion`` (index) at which A and B tie, exactly.

    Δ(u) = (S + u·g) ÷ (W + u), with g the criterion's normalised gap a − b, S the other
    criteria's weighted gaps and W their weights (PLANNING.md). None when no weight in 0-100
    makes them tie. Weights are read as the decimals they print as, as scoring.py does.
    """
    gaps = [_normal(c, x) - _normal(c, y) for c, x, y in zip(criteria, a, b, strict=True)]
    gap = gaps[criterion]
    if gap == 0:
        return None
    weights = [Fraction(repr(float(c.weight))) for c in criteria]
    rest = sum(
        (w * g for k, (w, g) in enumerate(zip(weights, gaps, strict=True)) if k != criterion),
        Fraction(0),
    )
    others = sum((w for k, w in enumerate(weights) if k != criterion), Fraction(0))
    flip = -rest / gap
    if not 0 <= flip <= 100 or others + flip == 0:
        return None
    return flip


def _normal(criterion: CriterionInput, value: int) -> Fraction:
    step = Fraction(value - criterion.scale_min, criterion.scale_max - criterion.scale_min)
    return step if criterion.direction == BENEFIT else 1 - step


def score_gap(
    criteria: Sequence[CriterionInput], method: str, a: Sequence[int], b: Sequence[int]
) -> float:
    """Score of A minus score of B with the criteria's own weights (floating point)."""
    scorer = Scorer(criteria, method)
    scores = scorer.score(np.array([[a, b]], dtype=np.float64), scorer.weights[None])
    return float(scores[0, 0] - scores[0, 1])


def flip_weight_search(
    criteria: Sequence[CriterionInput],
    method: str,
    a: Sequence[int],
    b: Sequence[int],
    criterion: int,
    steps: int = 1001,
) -> float | None:
    """RICE and WSJF: the weight (0-100) nearest the current one at which A and B tie.

    A grid over 0-100, then bisection on the first sign change either side of the current
    weight. None when the order never changes on the grid.
    """
    scorer = Scorer(criteria, method)
    grid = np.linspace(0.0, 100.0, steps)
    weights = np.broadcast_to(scorer.weights, (steps, len(scorer.weights))).copy()
    weights[:, criterion] = grid
    # A factor whose only criterion is weighted 0 divides by zero: skip those points.
    with np.errstate(divide="ignore", invalid="ignore"):
        pair = np.array([a, b], dtype=np.float64)
        scores = scorer.score(np.broadcast_to(pair, (steps, 2, len(a))), weights)
    gap = scores[:, 0] - scores[:, 1]
    sign = np.sign(np.nan_to_num(gap, nan=0.0))
    current = np.sign(score_gap(criteria, method, a, b))
    changes = np.nonzero((sign != current) & (sign != 0) & np.isfinite(gap))[0]
    if current == 0 or changes.size == 0:
        return None
    here = float(scorer.weights[criterion])
    target = changes[np.argmin(np.abs(grid[changes] - here))]
    inside = target - 1 if grid[target] > here else target + 1
    lo, hi = float(grid[inside]), float(grid[target])
    for _ in range(60):
        middle = (lo + hi) / 2
        w = scorer.weights.copy()
        w[criterion] = middle
        s = scorer.score(pair[None], w[None])[0]
        if np.sign(s[0] - s[1]) == current:
            lo = middle
        else:
            hi = middle
    return hi


def p_above(
    criteria: Sequence[CriterionInput],
    method: str,
    a: Sequence[int],
    b: Sequence[int],
    confidence: tuple[float, float],
    *,
    band: float = DEFAULT_BAND,
    seed: int = 0,
    samples: int = DEFAULT_SAMPLES,
) -> float:
    """Share of samples (same sampling as rank_ranges) in which A scores above B.

    A is taken to be the one ranked higher, so a tie counts for A, as in the plain ranking.
    """
    scorer = Scorer(criteria, method)
    rng = np.random.default_rng(seed)
    pair = np.array([a, b], dtype=np.float64)
    sampled, weights = _draw(rng, samples, scorer, pair, score_spread(confidence), band)
    scores = scorer.score(sampled, weights)
    return float(np.mean(scores[:, 0] >= scores[:, 1]))


@dataclass(frozen=True, slots=True)
class IntervalBar:
    """SVG geometry of one rank interval on a common scale (rank 1 on the left)."""

    x: float
    width: float
    marker: float  # the plain rank's position


def interval_bars(
    intervals: Sequence[tuple[int, int | None, int | None]], width: float = 120.0
) -> list[IntervalBar | None]:
    """One bar per (rank, low, high) on a scale from 1 to the largest rank shown; None where
    the interval is not known yet."""
    known = [high for _rank, low, high in intervals if low is not None and high is not None]
    ranks = [rank for rank, _low, _high in intervals]
    top = max([*known, *ranks, 2])
    step = width / (top - 1)
    return [
        None
        if low is None or high is None
        else IntervalBar((low - 1) * step, max((high - low) * step, 2.0), (rank - 1) * step)
        for rank, low, high in intervals
    ]
