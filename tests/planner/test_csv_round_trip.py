"""Export a backlog, import it into an empty council with the same themes and criteria: the
items, scores and dependencies come back the same, text intact and neutralised again."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from councils.models import Directorate, Ward
from planner import csv_import
from planner.estimates import sync_effort_scores
from planner.models import AssessmentStatus, ItemScore, RiskRating, Stage, Status
from tests.factories import BacklogItemFactory, MembershipFactory, score_all

pytestmark = pytest.mark.django_db

TEXTS = [
    "Ynys Môn",
    "Cyngor Bwrdeistref Sirol Rhondda Cynon Taf: ŵ ŷ â ê",
    "Apply online 🚀 with emoji 🏴󠁧󠁢󠁷󠁬󠁳󠁿",
    "RTL override \u202eevil.exe\u202c and isolate \u2067abc\u2069",
    "=1+1",
    "-2",
    "@SUM(A1)",
    "£1,000 of savings",
]


def _export(client, council) -> bytes:
    response = client.get(reverse("backlog_export", args=[council.slug]))
    return b"".join(response.streaming_content)


def _snapshot(council) -> list[tuple]:
    items = []
    for item in council.items.order_by("number").prefetch_related("depends_on", "scores"):
        scores = sorted((s.criterion.key, s.value) for s in item.scores.select_related("criterion"))
        items.append(
            (
                item.reference,
                item.title,
                item.problem,
                item.theme.name,
                item.status,
                item.owner,
                item.effort_days,
                item.one_off_cost,
                item.recurring_cost,
                item.stage,
                tuple(scores),
                tuple(sorted(d.reference for d in item.depends_on.all())),
                # Committee fields, by name so that two councils compare.
                item.all_wards,
                tuple(sorted(ward.name for ward in item.wards.all())),
                item.directorate.name if item.directorate else None,
                item.key_decision,
                item.exempt_paragraph,
                item.eqia_status,
                item.risk_rating,
                item.risk_description,
                item.cashable_savings,
            )
        )
    return items


WARDS = ["Aberaeron", "Llanbadarn Fawr", "=Sum ward"]
DIRECTORATES = ["Place", "Cyllid, a Chorfforaethol"]


@pytest.fixture
def source(council, viewer_client, other_council):
    # Both councils have the same named lists: an import never creates wards.
    for each in (council, other_council):
        for name in WARDS:
            Ward.objects.create(council=each, name=name)
        for name in DIRECTORATES:
            Directorate.objects.create(council=each, name=name)
    wards = list(council.wards.all())
    directorates = list(council.directorates.all())
    items = []
    for n, text in enumerate(TEXTS):
        items.append(
            BacklogItemFactory(
                council=council,
                number=n + 1,  # DIG-001.., as the empty council will allocate them
                reference=f"DIG-{n + 1:03d}",
                title=text,
                problem=f'{text}\nSecond line, with a comma and "quotes".',
                owner=text[:120],
                status=[Status.NEW, Status.READY, Status.PARKED][n % 3],
                stage=[Stage.DISCOVERY, Stage.BETA][n % 2],
                effort_days=Decimal("2.5") * n if n else None,
                one_off_cost=Decimal("1250.50") if n % 2 else None,
                recurring_cost=Decimal("0.00"),
                all_wards=n == 1,
                directorate=directorates[n % 2] if n % 3 else None,
                key_decision=n % 2 == 0,
                exempt_paragraph=3 if n == 4 else None,
                eqia_status=[AssessmentStatus.COMPLETE, ""][n % 2],
                risk_rating=[RiskRating.RED, RiskRating.GREEN, ""][n % 3],
                risk_description=text[:200],
                cashable_savings=Decimal("750.25") if n % 4 == 0 else None,
            )
        )
        if n % 3 == 2:
            items[-1].wards.set(wards[: 1 + n % 3])
    for item in items[::2]:
        score_all(item, 1 + items.index(item) % 5)
    ItemScore.objects.filter(item=items[2]).first().delete()  # one unscored criterion
    items[1].depends_on.add(items[0])
    items[3].depends_on.add(items[0], items[2])
    # As the product does when items are created: Effort follows each estimate.
    sync_effort_scores(council=council)
    return council


def test_backlog_round_trips_into_an_empty_council(source, viewer_client, other_council):
    data = _export(viewer_client, source)
    text, encoding = data.decode("utf-8-sig"), "utf-8-sig"
    # First pass creates items; references are allocated in the same order, so a second
    # pass with the original references sets the dependencies between them.
    csv_import.apply(council=other_council, user=None, text=_without_references(text))
    csv_import.apply(council=other_council, user=None, text=text, encoding=encoding)
    assert _snapshot(other_council) == _snapshot(source)


def _without_references(text: str) -> str:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    head = rows[0]
    keep = [i for i, name in enumerate(head) if name not in {"Reference", "Depends on"}]
    out = io.StringIO(newline="")
    csv.writer(out).writerows([[row[i] for i in keep] for row in rows])
    return out.getvalue()


def test_reimporting_an_export_into_the_same_council_changes_nothing(source, viewer_client):
    before = _snapshot(source)
    text = _export(viewer_client, source).decode("utf-8-sig")
    result = csv_import.apply(council=source, user=None, text=text)
    assert (result.created, result.updated) == (0, 0)
    assert _snapshot(source) == before


def test_formula_payloads_are_neutralised_again_after_a_round_trip(
    source, viewer_client, other_council
):
    text = _export(viewer_client, source).decode("utf-8-sig")
    csv_import.apply(council=other_council, user=None, text=_without_references(text))
    assert other_council.items.filter(title="=1+1").exists()
    member = MembershipFactory(council=other_council, user=viewer_client.user)
    assert member
    again = _export(viewer_client, other_council).decode("utf-8-sig")
    titles = [row[2] for row in csv.reader(io.StringIO(again, newline=""))][1:]
    assert "'=1+1" in titles and "'-2" in titles and "'@SUM(A1)" in titles
    assert "=1+1" not in titles


def test_welsh_emoji_and_rtl_text_survive_intact(source, viewer_client, other_council):
    text = _export(viewer_client, source).decode("utf-8-sig")
    csv_import.apply(council=other_council, user=None, text=_without_references(text))
    titles = set(other_council.items.values_list("title", flat=True))
    assert set(TEXTS) <= titles
