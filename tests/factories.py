"""factory_boy factories. Councils come with their default themes, criteria and profile."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from councils.models import Council, CouncilType, Membership, Nation, Role
from planner.defaults import ensure_council_defaults
from planner.estimates import sync_effort_scores
from planner.models import BacklogItem, ItemScore, Method, RankedEntry, RankingRun, RunStatus

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CouncilFactory(factory.django.DjangoModelFactory[Council]):
    class Meta:
        model = Council
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Testshire Council {n}")
    slug = factory.Sequence(lambda n: f"testshire-{n}")
    nation = Nation.ENGLAND
    council_type = CouncilType.UNITARY
    capacity_days_per_quarter = 100

    @factory.post_generation
    def defaults(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            ensure_council_defaults(obj)


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    council = factory.SubFactory(CouncilFactory)
    role = Role.VIEWER


class BacklogItemFactory(factory.django.DjangoModelFactory[BacklogItem]):
    class Meta:
        model = BacklogItem

    council = factory.SubFactory(CouncilFactory)
    number = factory.Sequence(lambda n: n + 1)
    reference = factory.LazyAttribute(lambda item: BacklogItem.format_reference(item.number))
    title = factory.Sequence(lambda n: f"Challenge {n}")
    problem = "Residents cannot do this online."
    theme = factory.LazyAttribute(lambda item: item.council.themes.first())
    effort_days = 10


def score_all(item: BacklogItem, value: int = 3) -> None:
    """Score an item on every active hand-scored criterion of its council; Effort follows
    the item's estimate, as it does in the product."""
    ItemScore.objects.bulk_create(
        ItemScore(item=item, criterion=criterion, value=value)
        for criterion in item.council.criteria.filter(active=True, derived_from_estimate=False)
    )
    sync_effort_scores(council=item.council, item_ids=[item.pk])


class RankingRunFactory(factory.django.DjangoModelFactory[RankingRun]):
    """A finished ranking run (status done), for pages that read the latest ranking."""

    class Meta:
        model = RankingRun

    council = factory.SubFactory(CouncilFactory)
    generation = factory.Sequence(lambda n: n + 1)
    status = RunStatus.DONE
    progress = 100
    profile_name = "Balanced"
    method = Method.WEIGHTED_SUM
    finished_at = factory.LazyFunction(timezone.now)


class RankedEntryFactory(factory.django.DjangoModelFactory[RankedEntry]):
    class Meta:
        model = RankedEntry

    run = factory.SubFactory(RankingRunFactory)
    item = factory.SubFactory(BacklogItemFactory, council=factory.SelfAttribute("..run.council"))
    score = Decimal("50.00")
    position = factory.Sequence(lambda n: n + 1)
    rank = factory.LazyAttribute(lambda entry: entry.position)
    contributions = factory.LazyFunction(dict)


def done_run_for(council, items, *, scores=None, generation=None) -> RankingRun:
    """A done run ranking `items` in the order given (scores 90, 89, ... unless given), with
    each criterion's contribution stored as the engine would: weight-share × level."""
    latest = council.runs.order_by("-generation").values_list("generation", flat=True).first()
    run = RankingRunFactory.create(council=council, generation=generation or (latest or 0) + 1)
    criteria = list(council.criteria.filter(active=True))
    entries = []
    for position, item in enumerate(items, start=1):
        score = Decimal(scores[position - 1] if scores else max(90 - position + 1, 1))
        share = score / max(len(criteria), 1)
        entries.append(
            RankedEntry(
                run=run,
                item=item,
                score=score,
                rank=position,
                position=position,
                contributions={str(c.pk): float(round(share, 4)) for c in criteria},
            )
        )
    RankedEntry.objects.bulk_create(entries)
    run.item_count = len(entries)
    run.save(update_fields=["item_count"])
    return run
