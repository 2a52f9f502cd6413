"""factory_boy factories. Councils come with their default themes, criteria and profile."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from councils.models import Council, CouncilType, Membership, Nation, Role
from planner.defaults import ensure_council_defaults
from planner.models import BacklogItem, ItemScore

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
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


class CouncilFactory(factory.django.DjangoModelFactory):
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


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    council = factory.SubFactory(CouncilFactory)
    role = Role.VIEWER


class BacklogItemFactory(factory.django.DjangoModelFactory):
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
    """Score an item on every active criterion of its council."""
    ItemScore.objects.bulk_create(
        ItemScore(item=item, criterion=criterion, value=value)
        for criterion in item.council.criteria.filter(active=True)
    )
