"""Create the demo councils, users and backlogs. Running it twice changes nothing."""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from councils.models import (
    Council,
    CouncilType,
    Directorate,
    FinancialYearBudget,
    Membership,
    Nation,
    Role,
    Ward,
)
from planner import options, ranking, robustness
from planner.defaults import ensure_council_defaults
from planner.demo_catalogue import CATALOGUE, OWNERS
from planner.effort import effort_level
from planner.estimates import sync_effort_scores
from planner.models import (
    AssessmentStatus,
    BacklogItem,
    ExemptParagraph,
    Funding,
    ItemScore,
    RiskRating,
    Stage,
    Status,
)
from planner.planning import plan_quarters

DEMO_COUNCILS = [
    {
        "slug": "northmoor",
        "name": "Northmoor County Council",
        "nation": Nation.ENGLAND,
        "council_type": CouncilType.COUNTY,
        "capacity_days_per_quarter": 180,
    },
    {
        "slug": "riverside",
        "name": "London Borough of Riverside",
        "nation": Nation.ENGLAND,
        "council_type": CouncilType.LONDON_BOROUGH,
        "capacity_days_per_quarter": 140,
    },
    {
        "slug": "gwynedd",
        "name": "Cyngor Gwynedd",
        "nation": Nation.WALES,
        "council_type": CouncilType.UNITARY,
        "capacity_days_per_quarter": 90,
    },
]

# Each demo council's wards and directorates (the committee pack names them).
DEMO_WARDS_AND_DIRECTORATES = {
    "northmoor": (
        ["Abbeyfield", "Castle Hill", "Moorside", "Northgate", "Riverside Vale"],
        ["Adults and Health", "Children and Families", "Place and Economy", "Resources"],
    ),
    "riverside": (
        ["Bankside", "Docklands", "Old Market", "St Mary's", "Wharf End"],
        ["Housing", "Neighbourhoods", "People", "Corporate Services"],
    ),
    "gwynedd": (
        ["Bangor Dewi", "Caernarfon Peblig", "Dolgellau", "Pwllheli", "Tywyn"],
        ["Adran Addysg", "Adran Oedolion", "Adran Amgylchedd", "Adran Cyllid"],
    ),
}

# username, role in every demo council, description
DEMO_USERS = [
    ("lead", Role.EDITOR, "digital lead (editor)"),
    ("cio", Role.APPROVER, "CIO (approver)"),
    ("admin", Role.ADMIN, "head of digital (admin)"),
    ("clerk", Role.VIEWER, "committee clerk (viewer)"),
]
SOLO_USER = ("solo", "gwynedd", Role.EDITOR, "editor in Cyngor Gwynedd only")

STATUS_WEIGHTS = [
    (Status.NEW, 12),
    (Status.TRIAGE, 14),
    (Status.READY, 46),
    (Status.DONE, 12),
    (Status.PARKED, 10),
]
# A few items of each backlog are set by number, so every demo roadmap shows the same things:
# work under way (with part of it done), items still without an estimate, and one item longer
# than a quarter.
IN_PROGRESS_NUMBERS = (3, 11, 19)
UNESTIMATED_NUMBERS = (7, 23)
LONG_ITEM_NUMBER = 5
# Budgets per financial year, for a council of 180 team-days a quarter; smaller councils scale.
ONE_OFF_BUDGETS = (300_000, 420_000, 450_000)
RECURRING_BUDGETS = (60_000, 90_000, 110_000)


class Command(BaseCommand):
    help = "Create three demo councils with users and backlogs (idempotent). DEBUG only."

    def add_arguments(self, parser):
        parser.add_argument("--councils", type=int, default=0, help="bulk councils to add")
        parser.add_argument("--items", type=int, default=0, help="items per bulk council")

    def handle(self, *args, councils: int, items: int, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it creates known passwords.")
        password = os.environ.get("DEMO_PASSWORD", "demo")
        if councils or items:
            if councils < 1 or items < 1:
                raise CommandError("Give both --councils M and --items N (each at least 1).")
            for number in range(1, councils + 1):
                seed_bulk_council(slug=f"bench-{number}", items=items)
            self.stdout.write(f"Bulk data: {councils} council(s) with {items} items each.")
            return
        seed_demo(password=password)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at /login/ as:"))
        for username, _, description in DEMO_USERS:
            self.stdout.write(f"  {username:<6} / {password}   {description}, all three councils")
        self.stdout.write(f"  {SOLO_USER[0]:<6} / {password}   {SOLO_USER[3]}")


@transaction.atomic
def seed_demo(*, password: str) -> None:
    User = get_user_model()
    users = {}
    for username, _, _ in [*DEMO_USERS, SOLO_USER[:1] + (None, None)]:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.save()
        users[username] = user
    for spec in DEMO_COUNCILS:
        council, _ = Council.objects.get_or_create(slug=spec["slug"], defaults=spec)
        ensure_council_defaults(council)
        seed_demo_wards_and_directorates(council)
        for username, role, _ in DEMO_USERS:
            Membership.objects.get_or_create(
                user=users[username], council=council, defaults={"role": role}
            )
        if not council.budgets.exists():
            seed_demo_budgets(council)
        if not council.items.exists():
            seed_demo_items(council)
            seed_demo_committee_fields(council)
        if not council.runs.exists():
            ranking.run_now(council=council)  # computed here: a demo needs no worker
        if not council.plans.exists():
            seed_demo_plans(council, publisher=users["admin"])
        if not council.rounds.exists():
            seed_demo_round(council, users=users)
        if not council.profiles.filter(is_option=True).exists():
            seed_demo_contested(council)
            seed_demo_option(council)
    solo_council = Council.objects.get(slug=SOLO_USER[1])
    Membership.objects.get_or_create(
        user=users[SOLO_USER[0]], council=solo_council, defaults={"role": SOLO_USER[2]}
    )


def seed_demo_wards_and_directorates(council: Council) -> None:
    wards, directorates = DEMO_WARDS_AND_DIRECTORATES.get(council.slug, ([], []))
    for name in wards:
        Ward.objects.get_or_create(council=council, name=name)
    for name in directorates:
        Directorate.objects.get_or_create(council=council, name=name)


# Used only when a council has no wards or directorates of its own in the catalogue.
FALLBACK_WARDS = ("Central", "East", "North", "South", "West")
FALLBACK_DIRECTORATES = ("Adults and Health", "Children's Services", "Place", "Resources")
RISKS = {
    RiskRating.RED: ["Supplier contract ends before the new service is ready"],
    RiskRating.AMBER: [
        "Depends on data cleansing in the line-of-business system",
        "Staff time for testing competes with the busy season",
    ],
    RiskRating.GREEN: ["Proven product already used by neighbouring councils"],
}
FUNDING_SOURCES = [
    "Digital transformation reserve",
    "Service revenue budget",
    "Capital programme",
    "Government grant",
]
BENEFITS = [
    "Fewer calls to the contact centre",
    "Residents get a decision sooner",
    "Less rekeying between systems",
    "",
]
KEY_DECISION_POUNDS = 50_000


def seed_demo_committee_fields(council: Council) -> None:
    """Committee fields on the demo items, so every output has something to show: wards
    (some items affect all of them), directorates, key decisions above the threshold,
    impact assessments, funding, risks, savings, and exactly one exempt item (paragraph 3,
    the biggest one-off spend: a supplier's commercial terms)."""
    rng = random.Random(f"{council.slug}-committee")
    if not council.wards.exists():
        Ward.objects.bulk_create(Ward(council=council, name=name) for name in FALLBACK_WARDS)
    if not council.directorates.exists():
        Directorate.objects.bulk_create(
            Directorate(council=council, name=name) for name in FALLBACK_DIRECTORATES
        )
    wards = list(council.wards.all())
    directorates = list(council.directorates.all())
    items = list(council.items.order_by("number"))
    assessments = list(AssessmentStatus.values)
    ward_links: list[Any] = []
    for item in items:
        item.directorate = rng.choice(directorates) if rng.random() < 0.9 else None
        roll = rng.random()
        item.all_wards = roll < 0.3
        if 0.3 <= roll < 0.85:
            ward_links.extend(
                BacklogItem.wards.through(backlogitem_id=item.pk, ward_id=ward.pk)
                for ward in rng.sample(wards, k=min(len(wards), rng.choice([1, 1, 2, 3])))
            )
        spend = (item.one_off_cost or 0) + 3 * (item.recurring_cost or 0)
        item.key_decision = spend >= KEY_DECISION_POUNDS
        item.eqia_status = rng.choice(["", *assessments])
        item.dpia_status = rng.choice(["", *assessments])
        if item.one_off_cost:
            item.one_off_funding = rng.choice([Funding.CAPITAL, Funding.REVENUE])
        if item.recurring_cost:
            item.recurring_funding = Funding.REVENUE
        item.funding_source = rng.choice(FUNDING_SOURCES) if item.one_off_cost else ""
        rating = rng.choice(list(RISKS))
        item.risk_rating = rating
        item.risk_description = rng.choice(RISKS[rating])
        if rng.random() < 0.4:
            item.cashable_savings = Decimal(rng.choice([5_000, 12_000, 25_000, 40_000]))
        item.non_cashable_benefits = rng.choice(BENEFITS)
    # The exempt item is ranked (ready and scored), so every output has one to mark.
    criteria_count = council.criteria.filter(active=True).count()
    scored = set(
        council.items.filter(status=Status.READY)
        .annotate(scored=Count("scores"))
        .filter(scored__gte=criteria_count)
        .values_list("pk", flat=True)
    )
    candidates = [item for item in items if item.pk in scored] or items
    if candidates:
        exempt = max(candidates, key=lambda item: (item.one_off_cost or 0, -item.number))
        exempt.exempt_paragraph = ExemptParagraph.FINANCIAL
    BacklogItem.objects.bulk_update(
        items,
        [
            "directorate",
            "all_wards",
            "key_decision",
            "exempt_paragraph",
            "eqia_status",
            "dpia_status",
            "one_off_funding",
            "recurring_funding",
            "funding_source",
            "risk_rating",
            "risk_description",
            "cashable_savings",
            "non_cashable_benefits",
        ],
    )
    BacklogItem.wards.through.objects.bulk_create(ward_links)


def _create_item(council: Council, number: int, **fields: Any) -> BacklogItem:
    """An item with its number and the reference made from it (seeding, so no services)."""
    return BacklogItem.objects.create(
        council=council, number=number, reference=BacklogItem.format_reference(number), **fields
    )


def seed_demo_budgets(council: Council) -> None:
    """One-off and recurring budgets for this financial year and the next two."""
    scale = council.capacity_days_per_quarter / 180
    this_year = plan_quarters(council)[0].year
    for offset, (one_off, recurring) in enumerate(
        zip(ONE_OFF_BUDGETS, RECURRING_BUDGETS, strict=True)
    ):
        FinancialYearBudget.objects.create(
            council=council,
            year=this_year + offset,
            one_off=Decimal(round(one_off * scale, -4)),
            recurring=Decimal(round(recurring * scale, -3)),
        )


def _demo_effort(number: int, rng: random.Random, capacity: int) -> Decimal | None:
    if number in UNESTIMATED_NUMBERS:
        return None
    if number == LONG_ITEM_NUMBER:
        return Decimal(round(capacity * 1.6))  # runs over two quarters
    return Decimal(rng.choice([5, 10, 15, 20, 20, 30, 40, 60, 90]))


def seed_demo_items(council: Council) -> None:
    """A believable, varied backlog: every theme, most items scored, a few dependencies."""
    rng = random.Random(council.slug)
    themes = {theme.name: theme for theme in council.themes.all()}
    criteria = list(council.criteria.filter(active=True, derived_from_estimate=False))
    picks = [
        (themes[theme_name], title, problem)
        for theme_name, entries in CATALOGUE.items()
        for title, problem in entries
        if rng.random() < 0.93
    ]
    rng.shuffle(picks)
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    now = timezone.now()
    created = []
    for number, (theme, title, problem) in enumerate(picks, start=1):
        status = rng.choices(statuses, weights)[0]
        effort = _demo_effort(number, rng, council.capacity_days_per_quarter)
        remaining = None
        if number in IN_PROGRESS_NUMBERS:
            status = Status.IN_PROGRESS
            remaining = (effort * Decimal("0.4")).quantize(Decimal("1")) if effort else None
        elif number in (*UNESTIMATED_NUMBERS, LONG_ITEM_NUMBER):
            status = Status.READY
        item = _create_item(
            council,
            number,
            title=title,
            problem=problem,
            theme=theme,
            status=status,
            owner=rng.choice(OWNERS),
            effort_days=effort,
            remaining_days=remaining,
            # External spend grows with the work: licences, a supplier's days, hardware.
            one_off_cost=Decimal(round(float(effort or 20) * rng.choice([0, 300, 600, 1_200]), -2)),
            recurring_cost=Decimal(rng.choice([0, 0, 0, 2_500, 5_000, 10_000])),
            stage=rng.choice(list(Stage.values)),
        )
        # Spread creation over the last year so "earlier-created first" tie-breaks mean something.
        BacklogItem.objects.filter(pk=item.pk).update(
            created_at=now - timedelta(days=365 - number * 3)
        )
        created.append(item)
        # Most items are scored; a few are waiting for the next triage meeting.
        always_scored = (*UNESTIMATED_NUMBERS, *IN_PROGRESS_NUMBERS, LONG_ITEM_NUMBER)
        if rng.random() < 0.88 or number in always_scored:
            # The long item is worth doing, so the plan shows work spanning quarters.
            low = 4 if number == LONG_ITEM_NUMBER else 1
            ItemScore.objects.bulk_create(
                ItemScore(item=item, criterion=criterion, value=rng.randint(low, 5))
                for criterion in criteria
            )
    for index, item in enumerate(created[5:], start=5):
        # Work already under way has what it needed; only waiting work depends on others.
        if rng.random() < 0.15 and item.status != Status.IN_PROGRESS:
            item.depends_on.add(created[rng.randrange(0, index)])
    sync_effort_scores(council=council)


def seed_bulk_council(*, slug: str, items: int) -> Council:
    """A large, fully scored council for benchmarks; bulk inserts, no history rows."""
    council, created = Council.objects.get_or_create(
        slug=slug,
        defaults={
            "name": f"Benchmark Council {slug}",
            "council_type": CouncilType.UNITARY,
            "capacity_days_per_quarter": 400,
        },
    )
    ensure_council_defaults(council)
    if council.items.exists():
        return council
    rng = random.Random(slug)
    themes = list(council.themes.all())
    criteria = list(council.criteria.filter(active=True))
    statuses = [status for status, _ in STATUS_WEIGHTS]
    bands = council.effort_bands
    batch = 2_000
    for start in range(1, items + 1, batch):
        numbers = range(start, min(start + batch, items + 1))
        new_items = BacklogItem.objects.bulk_create(
            BacklogItem(
                council=council,
                number=number,
                reference=BacklogItem.format_reference(number),
                title=f"Benchmark challenge {number}",
                problem="Generated for benchmarks.",
                theme=themes[number % len(themes)],
                status=statuses[number % len(statuses)],
                effort_days=Decimal(rng.randint(1, 60)),
            )
            for number in numbers
        )
        _insert_scores(
            (
                item.pk,
                criterion.pk,
                effort_level(item.effort_days or 0, bands)
                if criterion.derived_from_estimate
                else rng.randint(1, 5),
            )
            for item in new_items
            for criterion in criteria
        )
    return council


# The demo round's participants, and how far each one's view leans from the middle score.
ROUND_PARTICIPANTS = {"lead": 0, "cio": 1, "clerk": -1}


def seed_demo_round(council: Council, *, users: dict[str, Any]) -> None:
    """One closed scoring round on four ready items, scored by the lead, the CIO and the
    clerk, with real disagreement on the first item, so the results page has something to
    discuss. The agreed scores stay unapplied: a demo can agree and apply them."""
    from planner import rounds

    rng = random.Random(f"{council.slug}-round")
    chosen = list(council.items.filter(archived=False, status=Status.READY).order_by("number")[:4])
    scoring_round = rounds.start_round(
        council=council,
        user=users["lead"],
        name="Digital board scoring, autumn",
        items=chosen,
        participants=[users[name] for name in ROUND_PARTICIPANTS],
        anonymised=False,
    )
    criteria = rounds.round_criteria(scoring_round)
    middles = {
        (item.pk, criterion.pk): rng.randint(2, 4) for item in chosen for criterion in criteria
    }
    # Two of the first item's criteria split the room (the CIO two above, the clerk two
    # below); elsewhere people differ by one at most.
    disputed = {(chosen[0].pk, criterion.pk) for criterion in criteria[:2]}
    for name, lean in ROUND_PARTICIPANTS.items():
        values: dict[tuple[int, int], int | None] = {
            cell: max(1, min(5, middle + (2 * lean if cell in disputed else rng.choice([0, 0, 1]))))
            for cell, middle in middles.items()
        }
        participant = rounds.participant_for(scoring_round, user_id=users[name].pk)
        assert participant is not None
        rounds.save_own_scores(participant=participant, values=values, finished=True)
    rounds.close_round(scoring_round=scoring_round, user=users["lead"])


def _insert_scores(rows: Iterable[tuple[int, int, int]]) -> None:
    """(item id, criterion id, value) rows as new scores. COPY on PostgreSQL: bulk_create
    spent 0.3 s on a 300-item council's 2,100 scores, too slow to seed 380 councils for the
    load benchmark in under a minute."""
    if connection.vendor != "postgresql":
        ItemScore.objects.bulk_create(
            ItemScore(item_id=item_id, criterion_id=criterion_id, value=value)
            for item_id, criterion_id, value in rows
        )
        return
    now = timezone.now()
    columns = "(item_id, criterion_id, value, rationale, set_at, version)"
    copy_sql = f"COPY {ItemScore._meta.db_table} {columns} FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        for item_id, criterion_id, value in rows:
            copy.write_row((item_id, criterion_id, value, "", now, 1))


def seed_demo_plans(council: Council, *, publisher) -> None:
    """Two published plans a few weeks apart, with realistic changes in between (some items
    re-scored, two added, one archived, one finished), so comparing them shows movement."""
    from planner.plans import publish_plan

    rng = random.Random(f"{council.slug}-plans")
    today = timezone.localdate()
    if not council.runs.filter(status="done").exists():
        ranking.run_now(council=council)
    publish_plan(
        council=council,
        title="Digital priorities: autumn review",
        committee="Digital Board",
        meeting_date=today - timedelta(weeks=5),
        note="Agreed as the working order for the next two quarters.",
        published_by=publisher,
    )
    criteria = list(council.criteria.filter(active=True, derived_from_estimate=False))
    scored = list(council.items.filter(archived=False, scores__isnull=False).distinct())
    for item in rng.sample(scored, k=min(8, len(scored))):
        for criterion in rng.sample(criteria, k=2):
            ItemScore.objects.filter(item=item, criterion=criterion).update(value=rng.randint(1, 5))
    next_number = (council.items.order_by("-number").values_list("number", flat=True).first()) or 0
    themes = list(council.themes.filter(retired=False))
    for offset, (title, problem) in enumerate(
        [
            (
                "Replace the paper blue badge renewal form",
                "Renewals arrive by post and take six weeks to key in.",
            ),
            (
                "Shared identity checks with the NHS app",
                "Residents prove who they are again for every council service.",
            ),
        ],
        start=1,
    ):
        number = next_number + offset
        item = _create_item(
            council,
            number,
            title=title,
            problem=problem,
            theme=rng.choice(themes),
            status=Status.READY,
            owner=rng.choice(OWNERS),
            effort_days=Decimal(rng.choice([10, 20, 30])),
            stage=Stage.DISCOVERY,
        )
        ItemScore.objects.bulk_create(
            ItemScore(item=item, criterion=criterion, value=rng.randint(3, 5))
            for criterion in criteria
        )
        sync_effort_scores(council=council, item_ids=[item.pk])
    ranked = list(council.runs.filter(status="done").order_by("-generation")[0].entries.all())
    if len(ranked) > 3:
        BacklogItem.objects.filter(pk=ranked[-1].item_id).update(archived=True)
        BacklogItem.objects.filter(pk=ranked[1].item_id).update(status=Status.DONE)
    ranking.run_now(council=council)
    publish_plan(
        council=council,
        title="Digital priorities: winter update",
        committee="Cabinet",
        meeting_date=today + timedelta(weeks=1),
        note="Updated after re-scoring with service leads.",
        published_by=publisher,
    )


# The demo's saved weighting option: the active weights, with Savings counting most.
DEMO_OPTION_NAME = "Option B: savings first"
DEMO_OPTION_SAVINGS_WEIGHT = 60
# Top-10 positions (0-based) whose Confidence the demo lowers, in turn, until one is contested.
CONTESTED_CANDIDATES = (6, 7, 5, 8, 4, 9)


def top_ten_stability(council: Council) -> list[str]:
    """The stability labels of the live ranking's top 10, from rank ranges computed here with
    the default sampling (the council's id seeds it), as the worker computes them."""
    data = ranking.load_input(council_id=council.pk)
    result = ranking.rank(data)
    scores = {item.id: item.scores for item in data.items}
    confidence = next((c.id for c in data.criteria if c.key == "confidence"), None)
    ranked = [entry.item_id for entry in result.ranked]
    middle = 3  # a criterion weighted 0 may be unscored: the middle level moves nothing
    values = [[scores[pk].get(c.id, middle) for c in data.criteria] for pk in ranked]
    sureness = [scores[pk].get(confidence, middle) if confidence else 5 for pk in ranked]
    ranges = robustness.rank_ranges(data.criteria, data.method, values, sureness, seed=council.pk)
    return [found.stability for found in ranges[: robustness.TOP]]


def seed_demo_contested(council: Council) -> None:
    """At least one "contested" item in the top 10: a committee should see what an uncertain
    rank looks like. Lower the Confidence of a top-10 item whose score sits close to its
    neighbours until the rank ranges call one contested (usually the first try)."""
    for position in CONTESTED_CANDIDATES:
        if robustness.CONTESTED in top_ten_stability(council):
            return
        run = ranking.latest_done_run(council)
        entries = list(run.entries.order_by("position")[: robustness.TOP]) if run else []
        if position >= len(entries):
            continue
        ItemScore.objects.filter(
            item_id=entries[position].item_id, criterion__key="confidence"
        ).update(value=1)
        ranking.run_now(council=council)


def seed_demo_option(council: Council) -> None:
    """A saved option per council, ranked here (a demo needs no worker)."""
    active = council.profiles.get(is_active=True)
    savings = council.criteria.filter(key="savings").values_list("pk", flat=True).first()
    weights = {key: float(value) for key, value in active.weights.items()}
    if savings is not None:
        weights[str(savings)] = DEMO_OPTION_SAVINGS_WEIGHT
    option = options.save_option(
        council=council, name=DEMO_OPTION_NAME, method=active.method, weights=weights
    )
    # Compute the run save_option queued now; its message, sent on commit, then finds it done.
    ranking.execute_run(run_id=option.option_runs.get().pk)
