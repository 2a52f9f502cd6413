"""The planning domain: themes, backlog items, criteria, scores, weightings and rankings."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from councils.models import Council
from planner.scoring import format_rank

SCALE_MIN = 1
SCALE_MAX = 5
MAX_EFFORT_DAYS = 10_000
MAX_COST_POUNDS = 1_000_000_000


class Status(models.TextChoices):
    NEW = "new", "New"
    TRIAGE = "triage", "Triage"
    READY = "ready", "Ready"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    PARKED = "parked", "Parked"


class Stage(models.TextChoices):
    DISCOVERY = "discovery", "Discovery"
    ALPHA = "alpha", "Alpha"
    BETA = "beta", "Beta"
    LIVE = "live", "Live"


class Direction(models.TextChoices):
    BENEFIT = "benefit", "Benefit (higher is better)"
    COST = "cost", "Cost (higher is worse)"


class ScheduleMode(models.TextChoices):
    RANK_ORDER = "rank_order", "Rank order (transparent)"
    BEST_VALUE = "best_value", "Best value within limits (optimised)"


class ExemptParagraph(models.IntegerChoices):
    """Schedule 12A to the Local Government Act 1972, Part 1: why information is exempt."""

    INDIVIDUAL = 1, "Paragraph 1: information relating to any individual"
    IDENTITY = 2, "Paragraph 2: information likely to reveal the identity of an individual"
    FINANCIAL = 3, "Paragraph 3: financial or business affairs of any particular person"
    LABOUR_RELATIONS = 4, "Paragraph 4: consultations or negotiations on labour relations"
    LEGAL_PRIVILEGE = 5, "Paragraph 5: legal professional privilege"
    NOTICES_AND_ORDERS = 6, "Paragraph 6: a notice, order or direction the council proposes"
    CRIME = 7, "Paragraph 7: prevention, investigation or prosecution of crime"


class AssessmentStatus(models.TextChoices):
    """Where an equality (EqIA) or data protection (DPIA) impact assessment stands."""

    NOT_NEEDED = "not_needed", "Not needed"
    SCREENING = "screening", "Screening"
    IN_PROGRESS = "in_progress", "Full assessment in progress"
    COMPLETE = "complete", "Complete"


class Funding(models.TextChoices):
    CAPITAL = "capital", "Capital"
    REVENUE = "revenue", "Revenue"


class RiskRating(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


class Method(models.TextChoices):
    WEIGHTED_SUM = "weighted_sum", "Weighted sum"
    RICE = "rice", "RICE"
    WSJF = "wsjf", "WSJF"


class Theme(models.Model):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(max_length=80)
    position = models.PositiveIntegerField(default=0)
    retired = models.BooleanField(default=False)
    # Optimistic locking: an edit form carries the version it was rendered with.
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["council", "name"], name="unique_theme_name")
        ]

    def __str__(self) -> str:
        return self.name


class BacklogItem(models.Model):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveIntegerField(editable=False)
    reference = models.CharField(max_length=20, editable=False)
    title = models.CharField(max_length=200)
    problem = models.TextField("problem statement", max_length=5000, blank=True)
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="items")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    owner = models.CharField(max_length=120, blank=True)
    effort_days = models.DecimalField(
        "effort (team-days)",
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_EFFORT_DAYS)],
    )
    # Work under way has usually spent part of its estimate: the plan commits only what is left.
    remaining_days = models.DecimalField(
        "remaining effort (team-days)",
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_EFFORT_DAYS)],
    )
    one_off_cost = models.DecimalField(
        "one-off cost (£)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_COST_POUNDS)],
    )
    recurring_cost = models.DecimalField(
        "recurring cost (£ a year)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_COST_POUNDS)],
    )
    stage = models.CharField(
        "delivery stage", max_length=20, choices=Stage.choices, default=Stage.DISCOVERY
    )
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, related_name="dependents", blank=True
    )
    # Committee fields: all optional, carried into exports, plans and imports. Database
    # defaults too, so rows written without them (COPY in bench/, raw inserts) stay valid.
    wards = models.ManyToManyField(
        "councils.Ward", related_name="items", blank=True, verbose_name="wards affected"
    )
    all_wards = models.BooleanField("affects all wards", default=False, db_default=False)
    directorate = models.ForeignKey(
        "councils.Directorate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
        verbose_name="directorate or service area",
    )
    key_decision = models.BooleanField(default=False, db_default=False)
    # None: not exempt. Public outputs leave out an exempt item's problem and costs.
    exempt_paragraph = models.PositiveSmallIntegerField(
        "exempt information", choices=ExemptParagraph.choices, null=True, blank=True
    )
    eqia_status = models.CharField(
        "equality impact assessment",
        max_length=20,
        choices=AssessmentStatus.choices,
        blank=True,
        db_default="",
    )
    dpia_status = models.CharField(
        "data protection impact assessment",
        max_length=20,
        choices=AssessmentStatus.choices,
        blank=True,
        db_default="",
    )
    one_off_funding = models.CharField(
        "one-off cost funded from",
        max_length=10,
        choices=Funding.choices,
        blank=True,
        db_default="",
    )
    recurring_funding = models.CharField(
        "recurring cost funded from",
        max_length=10,
        choices=Funding.choices,
        blank=True,
        db_default="",
    )
    funding_source = models.CharField(max_length=200, blank=True, db_default="")
    risk_rating = models.CharField(
        "risk", max_length=10, choices=RiskRating.choices, blank=True, db_default=""
    )
    risk_description = models.CharField(max_length=200, blank=True, db_default="")
    cashable_savings = models.DecimalField(
        "cashable savings (£ a year)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_COST_POUNDS)],
    )
    non_cashable_benefits = models.TextField(max_length=1000, blank=True, db_default="")
    # Optimistic locking: a form carries the version it was rendered with.
    version = models.PositiveIntegerField(default=1)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[depends_on, wards])

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["council", "number"], name="unique_item_number"),
            models.UniqueConstraint(fields=["council", "reference"], name="unique_item_reference"),
        ]
        indexes = [
            models.Index(fields=["council", "archived", "status"]),
            models.Index(fields=["council", "theme"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_exempt(self) -> bool:
        return self.exempt_paragraph is not None

    def clean(self) -> None:
        """An item's theme belongs to the item's council. Django admin lists every council's
        themes, so this is where a cross-council link is refused."""
        super().clean()
        linked = self.theme_id is not None and self.council_id is not None
        if linked and self.theme.council_id != self.council_id:
            raise ValidationError(
                {"theme": "Choose a theme of the item's own council."}, code="other_council"
            )

    def validate_dependencies(self, items: Any) -> None:
        """The items this one would depend on all belong to its council. Not part of clean():
        a model's clean() runs before its many-to-many links are saved, so the form that
        sets them (BacklogItemAdmin's) calls this with the chosen items."""
        others = sorted(item.reference for item in items if item.council_id != self.council_id)
        if others:
            raise ValidationError(
                {
                    "depends_on": "An item can only depend on items of its own council, "
                    f"not {', '.join(others)}."
                },
                code="other_council",
            )

    @staticmethod
    def format_reference(number: int) -> str:
        return f"DIG-{number:03d}"


class Criterion(models.Model):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    help_text = models.CharField(max_length=300, blank=True)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.BENEFIT
    )
    # Anchored scale: what each level 1..5 means, so two people score alike.
    level_1 = models.CharField(max_length=160)
    level_2 = models.CharField(max_length=160)
    level_3 = models.CharField(max_length=160)
    level_4 = models.CharField(max_length=160)
    level_5 = models.CharField(max_length=160)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    # Effort is estimated once, in team-days; this criterion's level is derived from the
    # estimate by the council's bands and is never scored by hand.
    derived_from_estimate = models.BooleanField(default=False)
    # Optimistic locking: an edit form carries the version it was rendered with.
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(fields=["council", "key"], name="unique_criterion_key"),
            models.UniqueConstraint(fields=["council", "name"], name="unique_criterion_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def levels(self) -> list[tuple[int, str]]:
        return [
            (1, self.level_1),
            (2, self.level_2),
            (3, self.level_3),
            (4, self.level_4),
            (5, self.level_5),
        ]

    @property
    def is_cost(self) -> bool:
        return self.direction == Direction.COST


class ItemScore(models.Model):
    item = models.ForeignKey(BacklogItem, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    value = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(SCALE_MIN), MaxValueValidator(SCALE_MAX)]
    )
    rationale = models.CharField(max_length=1000, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    set_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "criterion"], name="one_score_per_criterion"),
            models.CheckConstraint(
                condition=Q(value__gte=SCALE_MIN) & Q(value__lte=SCALE_MAX),
                name="score_inside_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.criterion_id}={self.value}"


class WeightingProfile(models.Model):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="profiles")
    name = models.CharField(max_length=80)
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.WEIGHTED_SUM)
    # {"<criterion id>": weight 0..100}; JSON keeps one history row per save of the set.
    weights = models.JSONField(default=dict)
    schedule_mode = models.CharField(
        "how to build the plan",
        max_length=20,
        choices=ScheduleMode.choices,
        default=ScheduleMode.RANK_ORDER,
    )
    # Best value counts score delivered sooner as worth more, by this much a quarter.
    value_discount_percent = models.DecimalField(
        "discount per quarter (%)",
        max_digits=4,
        decimal_places=1,
        default=5,
        validators=[MinValueValidator(0), MaxValueValidator(50)],
    )
    # Rank ranges vary each weight by up to this much either way (SMAA-2).
    weight_band_percent = models.PositiveSmallIntegerField(
        "weight band (±%)", default=25, validators=[MaxValueValidator(100)]
    )
    is_active = models.BooleanField(default=False)
    # A saved weighting option (what-if): ranked on the worker for comparison, never live.
    is_option = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: the editor carries the version it was rendered with.
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["council", "name"], name="unique_profile_name"),
            models.UniqueConstraint(
                fields=["council"], condition=Q(is_active=True), name="one_active_profile"
            ),
            models.CheckConstraint(
                condition=~(Q(is_active=True) & Q(is_option=True)), name="an_option_is_never_live"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def weight_for(self, criterion: Criterion) -> float:
        return float(self.weights.get(str(criterion.pk), 0))


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class RankingRun(models.Model):
    """An immutable result of scoring and ranking one council's backlog."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="runs")
    generation = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    profile = models.ForeignKey(
        WeightingProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    # Snapshots, so the run explains itself after the profile or criteria change.
    profile_name = models.CharField(max_length=80, blank=True)
    method = models.CharField(max_length=20, choices=Method.choices, blank=True)
    weights_snapshot = models.JSONField(default=dict)
    criteria_snapshot = models.JSONField(default=list)
    needs_scoring = models.JSONField(default=list)
    needs_estimate = models.JSONField(default=list)
    schedule_mode = models.CharField(max_length=20, choices=ScheduleMode.choices, blank=True)
    # The delivery plan's totals: quarters with capacity used, money per financial year
    # against budget, the solver's status, and how best value differs from rank order.
    plan = models.JSONField(default=dict)
    item_count = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # When the run was last handed to the broker: an overdue run is re-sent at most once per
    # RANKING_RESEND_AFTER_SECONDS, however many edits and sweeps ask for it.
    last_sent_at = models.DateTimeField(null=True, blank=True)
    # The Celery task id of the delivery that claimed the run. Only that delivery (its own
    # retry, or its redelivery after a lost worker) may claim a running run again; any other
    # delivery of a running or finished run is a no-op and never counts as an attempt.
    claimed_by = models.CharField(max_length=64, blank=True)
    # Set for a weighting option's run: compared on the options page, never the live ranking.
    option = models.ForeignKey(
        WeightingProfile,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="option_runs",
    )
    # How the rank ranges were sampled ({"samples", "band", "seed"}); empty until they are.
    robustness = models.JSONField(default=dict)

    class Meta:
        ordering = ["-generation"]
        constraints = [
            models.UniqueConstraint(fields=["council", "generation"], name="unique_generation")
        ]
        indexes = [models.Index(fields=["council", "status", "-generation"])]

    def __str__(self) -> str:
        return f"{self.council_id} run {self.generation} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status in {RunStatus.QUEUED, RunStatus.RUNNING}

    def scored_criteria(self) -> list[dict[str, Any]]:
        """The criteria the run scored with, as {id, key, name, direction, weight}, from the
        run's own snapshot. Runs from before criteria snapshots existed fall back to today's
        active criteria with the run's weights (one query)."""
        recorded = [c for c in self.criteria_snapshot or [] if isinstance(c, dict) and "id" in c]
        weights = self.weights_snapshot or {}
        if recorded:
            return [
                {
                    "id": c["id"],
                    "key": c.get("key", ""),
                    "name": c.get("name", ""),
                    "direction": c.get("direction", ""),
                    "weight": c.get("weight", weights.get(str(c["id"]), 0)),
                }
                for c in recorded
            ]
        weights = weights or (self.profile.weights if self.profile else {})
        return [
            {
                "id": c.pk,
                "key": c.key,
                "name": c.name,
                "direction": c.direction,
                "weight": weights.get(str(c.pk), 0),
            }
            for c in Criterion.objects.filter(council_id=self.council_id, active=True)
        ]

    @property
    def is_delayed(self) -> bool:
        """Queued but not picked up: the broker was unreachable when it was sent (the
        enqueue records that in `error`), or no worker has taken it for a while."""
        if self.status != RunStatus.QUEUED:
            return False
        if self.error:
            return True
        after = settings.RANKING_DELAYED_AFTER_SECONDS
        age = timezone.now() - self.requested_at if self.requested_at else None
        return age is not None and age.total_seconds() > after


class RankedEntry(models.Model):
    # No single-column indexes on run or item: every query on entries filters by run, and
    # the unique (run, item) and (run, position) indexes serve those; a run writes 10,000
    # entries in one COPY, and each index more is work on every row. The cost: deleting an
    # item (admin only; items are archived, not deleted) finds its entries by a table scan.
    run = models.ForeignKey(
        RankingRun, on_delete=models.CASCADE, related_name="entries", db_index=False
    )
    item = models.ForeignKey(
        BacklogItem, on_delete=models.CASCADE, related_name="ranked_entries", db_index=False
    )
    score = models.DecimalField(max_digits=5, decimal_places=2)
    rank = models.PositiveIntegerField()
    position = models.PositiveIntegerField()
    tied = models.BooleanField(default=False)
    # {"<criterion id>": points}: weight x normalised score, so a rank can be explained.
    contributions = models.JSONField(default=dict)
    # The entry's place in the run's delivery plan: quarter indexes into run.plan["quarters"].
    start_quarter = models.PositiveSmallIntegerField(null=True, blank=True)
    end_quarter = models.PositiveSmallIntegerField(null=True, blank=True)
    horizon = models.CharField(max_length=12, blank=True)
    schedule_reason = models.CharField(max_length=30, blank=True)
    schedule_details = models.JSONField(default=dict)
    # Rank ranges (SMAA-2): null until the run's robustness step has filled them in.
    rank_median = models.PositiveIntegerField(null=True, blank=True)
    rank_low = models.PositiveIntegerField(null=True, blank=True)  # 5th percentile
    rank_high = models.PositiveIntegerField(null=True, blank=True)  # 95th percentile
    p_top10 = models.FloatField(null=True, blank=True)
    p_now = models.FloatField(null=True, blank=True)
    # db_default: the run's COPY of entries leaves the column out until ranges are computed.
    stability = models.CharField(max_length=16, blank=True, db_default="")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "item"], name="one_entry_per_item"),
            models.UniqueConstraint(fields=["run", "position"], name="unique_position"),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.item_id} ({self.score})"

    @property
    def rank_label(self) -> str:
        return format_rank(self.rank, self.tied)


class Horizon(models.TextChoices):
    """Now is the plan's first quarter, Next the two after it, Later the rest of the horizon."""

    NOW = "now", "Now"
    NEXT = "next", "Next"
    LATER = "later", "Later"
    UNSCHEDULED = "unscheduled", "Not scheduled within the plan"


class HorizonOverride(models.Model):
    """An approver's decision to pin one item to a quarter of the plan, with the reason."""

    item = models.OneToOneField(
        BacklogItem, on_delete=models.CASCADE, related_name="horizon_override"
    )
    quarter = models.DateField("pinned quarter (its first day)")
    reason = models.CharField(max_length=500)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    set_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: the pin form carries the version it was rendered with (0: no pin).
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.item_id} → {self.quarter}"


class PublishedPlan(models.Model):
    """A ranking and roadmap frozen for a committee. Its snapshot never changes."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="plans")
    run = models.ForeignKey(RankingRun, on_delete=models.PROTECT, related_name="plans")
    title = models.CharField(max_length=160)
    slug = models.SlugField(max_length=80)
    committee = models.CharField(max_length=120)
    meeting_date = models.DateField()
    note = models.TextField(max_length=2000, blank=True)
    # Everything the plan page shows, as of publication: entries, roadmap, weights, method.
    snapshot = models.JSONField(default=dict)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    published_at = models.DateTimeField(auto_now_add=True)
    # The publish form's one-time key: a second POST of the same form (a double click, two
    # tabs, a retry) finds this plan instead of publishing "plan-2". None from the seed.
    idempotency_key = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-meeting_date", "-published_at"]
        constraints = [
            models.UniqueConstraint(fields=["council", "slug"], name="unique_plan_slug"),
            models.UniqueConstraint(
                fields=["council", "idempotency_key"], name="unique_plan_idempotency_key"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ExportRecord(models.Model):
    """Who exported what, when: committees ask where a paper's figures came from."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="exports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    kind = models.CharField(max_length=20)
    description = models.CharField(max_length=300, blank=True)
    filename = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


class PendingImport(models.Model):
    """An uploaded CSV held server-side between preview and apply, bound to its uploader."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="pending_imports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    filename = models.CharField(max_length=200)
    encoding = models.CharField(max_length=20)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename


class RoundStatus(models.TextChoices):
    OPEN = "open", "Open for scoring"
    CLOSED = "closed", "Closed: agreeing scores"
    APPLIED = "applied", "Agreed scores applied"


class ScoringRound(models.Model):
    """A group scoring session ("priority poker"): participants score the same items blind,
    then the facilitator agrees one score per cell. Kept with every individual score after
    closing, so later questions ("who thought this was a 5?") can be answered."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="rounds")
    name = models.CharField(max_length=120)
    items = models.ManyToManyField(BacklogItem, related_name="rounds")
    # The hand-scored criteria active when the round started: the round keeps its own scales.
    criteria = models.ManyToManyField(Criterion, related_name="rounds")
    # Anonymised rounds show "Participant 1, 2…" instead of names, to everyone.
    anonymised = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["council", "-created_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    @property
    def is_closed(self) -> bool:
        """Closed or applied: individual scores may now be shown."""
        return self.status != RoundStatus.OPEN


class RoundParticipant(models.Model):
    scoring_round = models.ForeignKey(
        ScoringRound, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # 1, 2, 3…: the anonymised label ("Participant 2") stays the same on every page.
    position = models.PositiveSmallIntegerField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["scoring_round", "user"], name="one_place_per_participant"
            ),
            models.UniqueConstraint(
                fields=["scoring_round", "position"], name="unique_participant_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scoring_round_id}/{self.user_id}"

    def label(self, anonymised: bool) -> str:
        return f"Participant {self.position}" if anonymised else self.user.get_username()


class RoundScore(models.Model):
    """One participant's blind score for one item on one criterion."""

    participant = models.ForeignKey(
        RoundParticipant, on_delete=models.CASCADE, related_name="scores"
    )
    item = models.ForeignKey(BacklogItem, on_delete=models.CASCADE, related_name="+")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    value = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(SCALE_MIN), MaxValueValidator(SCALE_MAX)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "item", "criterion"], name="one_round_score_per_cell"
            ),
            models.CheckConstraint(
                condition=Q(value__gte=SCALE_MIN) & Q(value__lte=SCALE_MAX),
                name="round_score_inside_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}:{self.item_id}/{self.criterion_id}={self.value}"


class AgreedScore(models.Model):
    """The facilitator's agreed score for one cell: the median unless changed, with a note."""

    scoring_round = models.ForeignKey(
        ScoringRound, on_delete=models.CASCADE, related_name="agreed_scores"
    )
    item = models.ForeignKey(BacklogItem, on_delete=models.CASCADE, related_name="+")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    value = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(SCALE_MIN), MaxValueValidator(SCALE_MAX)]
    )
    note = models.CharField(max_length=500, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scoring_round", "item", "criterion"], name="one_agreed_score_per_cell"
            ),
            models.CheckConstraint(
                condition=Q(value__gte=SCALE_MIN) & Q(value__lte=SCALE_MAX),
                name="agreed_score_inside_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scoring_round_id}:{self.item_id}/{self.criterion_id}={self.value}"
