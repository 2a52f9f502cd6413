"""CSV exports: file format, columns, injection, streaming queries, filenames and audit."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from planner.csv_export import COLUMNS_AFTER_CRITERIA, COLUMNS_BEFORE_CRITERIA
from planner.models import BacklogItem, ExportRecord, ItemScore, RankedEntry, Status
from tests.factories import BacklogItemFactory, done_run_for, score_all

pytestmark = pytest.mark.django_db


def _download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response
    assert response.streaming
    return b"".join(response.streaming_content)


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _criteria_names(council) -> list[str]:
    return list(council.criteria.filter(active=True).values_list("name", flat=True))


@pytest.fixture
def ranked(council):
    first = BacklogItemFactory(council=council, title="Online council tax", effort_days=5)
    second = BacklogItemFactory(
        council=council,
        title='=HYPERLINK("http://evil")',
        owner="@owner",
        problem="-2 residents",
        one_off_cost=Decimal("1500.00"),
    )
    score_all(first, 4)
    score_all(second, 2)
    second.depends_on.add(first)
    run = done_run_for(council, [first, second], scores=[80, 40])
    store_plan(
        run,
        {
            first: ("now", 0, 0, ""),
            second: ("next", 1, 2, f"Waits for {first.reference}."),
        },
    )
    return run, first, second


def store_plan(run, places) -> None:
    """Give a factory-made run a stored delivery plan starting in Q1 2027/28: `places` maps
    an item to (horizon, start quarter, end quarter, why), as planning.plan_run stores them."""
    run.plan = {"start": "2027-04-01", "first_month": 4, "quarters": [], "years": []}
    run.save(update_fields=["plan"])
    for item, (horizon, start, end, why) in places.items():
        RankedEntry.objects.filter(run=run, item=item).update(
            horizon=horizon,
            start_quarter=start,
            end_quarter=end,
            schedule_details={"text": why} if why else {},
        )


def test_ranking_export_starts_with_a_bom_and_uses_crlf_line_ends(viewer_client, council, ranked):
    data = _download(viewer_client, reverse("ranking_export", args=[council.slug]))
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.split(b"\r\n")
    assert len(lines) == 4 and lines[-1] == b""  # header, two rows, final CRLF
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_ranking_export_header_is_in_the_documented_order(viewer_client, council, ranked):
    data = _download(viewer_client, reverse("ranking_export", args=[council.slug]))
    expected = [
        "Rank",
        "Reference",
        "Title",
        "Theme",
        "Status",
        "Score",
        *_criteria_names(council),
        "Effort (team-days)",
        "One-off cost (£)",
        "Recurring cost (£)",
        "Horizon",
        "Quarters",
        "Why",
        "Depends on",
        "Owner",
        "Delivery stage",
        "Problem statement",
        "Rank range",
        "Stability",
        # The committee fields (issue 12).
        "Wards",
        "Directorate",
        "Key decision",
        "Exempt paragraph",
        "EqIA",
        "DPIA",
        "One-off funding",
        "Recurring funding",
        "Funding source",
        "Risk",
        "Risk description",
        "Cashable savings (£ a year)",
        "Non-cashable benefits",
    ]
    assert _rows(data)[0] == expected
    assert expected == [
        *COLUMNS_BEFORE_CRITERIA,
        *_criteria_names(council),
        *COLUMNS_AFTER_CRITERIA,
    ]


def test_ranking_export_rows_follow_the_ranking_with_scores_and_dependencies(
    viewer_client, council, ranked
):
    run, first, second = ranked
    rows = _rows(_download(viewer_client, reverse("ranking_export", args=[council.slug])))
    head = rows[0]
    top, below = (dict(zip(head, row, strict=True)) for row in rows[1:])
    assert (top["Rank"], top["Reference"], top["Score"]) == ("1", first.reference, "80.00")
    assert top["Citizen impact"] == "4"
    assert top["Effort (team-days)"] == "5.0"
    assert top["Status"] == "New"
    assert below["Depends on"] == first.reference
    assert below["One-off cost (£)"] == "1500.00"
    # The delivery plan's columns are the run's stored entry, as the worker wrote it.
    assert (top["Horizon"], top["Quarters"], top["Why"]) == ("Now", "Q1 2027/28", "")
    assert (below["Horizon"], below["Quarters"]) == ("Next", "Q2 2027/28 to Q3 2027/28")
    assert below["Why"] == f"Waits for {first.reference}."


def test_formula_like_text_is_prefixed_with_a_quote(viewer_client, council, ranked):
    rows = _rows(_download(viewer_client, reverse("ranking_export", args=[council.slug])))
    row = dict(zip(rows[0], rows[2], strict=True))
    assert row["Title"] == '\'=HYPERLINK("http://evil")'
    assert row["Owner"] == "'@owner"
    assert row["Problem statement"] == "'-2 residents"


def test_numbers_in_numeric_columns_are_not_prefixed(viewer_client, council):
    item = BacklogItemFactory(council=council, effort_days=Decimal("0.5"))
    done_run_for(council, [item], scores=[-2])
    rows = _rows(_download(viewer_client, reverse("ranking_export", args=[council.slug])))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Score"] == "-2.00"  # a number: no quote prefix
    assert row["Effort (team-days)"] == "0.5"


def test_criterion_names_in_the_header_are_neutralised(viewer_client, council, ranked):
    council.criteria.filter(key="savings").update(name="=SUM(A1)")
    rows = _rows(_download(viewer_client, reverse("ranking_export", args=[council.slug])))
    assert "'=SUM(A1)" in rows[0]


def test_filename_names_council_kind_and_date(viewer_client, council, ranked):
    response = viewer_client.get(reverse("ranking_export", args=[council.slug]))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f'filename="{council.slug}-ranking-' in disposition
    assert f"filename*=UTF-8''{council.slug}-ranking-" in disposition
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_ranking_export_without_a_finished_ranking_is_not_found(viewer_client, council):
    response = viewer_client.get(reverse("ranking_export", args=[council.slug]))
    assert response.status_code == 404


def test_each_export_is_recorded_with_who_what_and_when(viewer_client, council, ranked):
    viewer_client.get(reverse("ranking_export", args=[council.slug]))
    record = ExportRecord.objects.get(council=council)
    assert record.user == viewer_client.user
    assert record.kind == "ranking"
    assert record.filename.startswith(f"{council.slug}-ranking-")
    assert record.created_at is not None


def test_backlog_export_applies_the_backlog_filters(viewer_client, council):
    BacklogItemFactory(council=council, title="Ready one", status=Status.READY)
    BacklogItemFactory(council=council, title="Parked one", status=Status.PARKED)
    url = reverse("backlog_export", args=[council.slug]) + "?status=ready"
    rows = _rows(_download(viewer_client, url))
    assert [row[2] for row in rows[1:]] == ["Ready one"]
    assert ExportRecord.objects.get().filename.startswith(f"{council.slug}-backlog-")


def test_backlog_export_ignores_an_invalid_filter(viewer_client, council):
    BacklogItemFactory(council=council, title="Only one")
    # (A NUL byte anywhere in a council URL is a 404: tests/test_hostile_url_values.py.)
    url = reverse("backlog_export", args=[council.slug]) + "?status=nonsense&sort=bogus"
    rows = _rows(_download(viewer_client, url))
    assert [row[2] for row in rows[1:]] == ["Only one"]


def test_backlog_export_leaves_rank_blank_for_unranked_items(viewer_client, council):
    BacklogItemFactory(council=council)
    rows = _rows(_download(viewer_client, reverse("backlog_export", args=[council.slug])))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Rank"] == "" and row["Score"] == "" and row["Horizon"] == ""


def test_backlog_export_excludes_archived_items(viewer_client, council):
    BacklogItemFactory(council=council, title="Gone", archived=True)
    rows = _rows(_download(viewer_client, reverse("backlog_export", args=[council.slug])))
    assert rows[1:] == []


def test_export_of_an_empty_backlog_is_just_the_header(viewer_client, council):
    rows = _rows(_download(viewer_client, reverse("backlog_export", args=[council.slug])))
    assert len(rows) == 1


def _make_items(council, count: int) -> None:
    theme = council.themes.first()
    start = BacklogItem.objects.filter(council=council).count()
    items = BacklogItem.objects.bulk_create(
        BacklogItem(
            council=council,
            number=start + n,
            reference=BacklogItem.format_reference(start + n),
            title=f"Item {start + n}",
            theme=theme,
        )
        for n in range(1, count + 1)
    )
    criteria = list(council.criteria.filter(active=True))
    ItemScore.objects.bulk_create(
        ItemScore(item=item, criterion=criterion, value=3)
        for item in items
        for criterion in criteria
    )
    for before, after in zip(items, items[1:], strict=False):
        after.depends_on.add(before)


@pytest.mark.parametrize("count", [3, 30])
def test_backlog_export_query_count_does_not_grow_with_rows(
    viewer_client, council, count, django_assert_max_num_queries
):
    _make_items(council, count)
    url = reverse("backlog_export", args=[council.slug])
    with django_assert_max_num_queries(16):
        response = viewer_client.get(url)
        rows = _rows(b"".join(response.streaming_content))
    assert len(rows) == count + 1


@pytest.mark.parametrize("count", [3, 30])
def test_ranking_export_query_count_does_not_grow_with_rows(
    viewer_client, council, count, django_assert_max_num_queries
):
    _make_items(council, count)
    done_run_for(council, list(council.items.all()))
    url = reverse("ranking_export", args=[council.slug])
    with django_assert_max_num_queries(16):
        response = viewer_client.get(url)
        rows = _rows(b"".join(response.streaming_content))
    assert len(rows) == count + 1


def test_method_file_lists_method_weights_profile_and_date(viewer_client, council, ranked):
    run, _, _ = ranked
    run.profile_name = "Balanced"
    run.weights_snapshot = {str(c.pk): 10 for c in council.criteria.filter(active=True)}
    run.save()
    data = _download(viewer_client, reverse("method_export", args=[council.slug]))
    assert data.startswith(b"\xef\xbb\xbf")
    fields = dict(_rows(data)[1:])
    assert fields["Method"] == "Weighted sum"
    assert fields["Weighting profile"] == "Balanced"
    assert fields["Ranking date"]
    assert fields["Weight: Citizen impact (benefit)"] == "10"
    assert ExportRecord.objects.get().kind == "method"


def test_method_file_without_a_ranking_is_not_found(viewer_client, council):
    assert viewer_client.get(reverse("method_export", args=[council.slug])).status_code == 404


def test_exports_are_listed_for_admins(admin_client_for_council, viewer_client, council, ranked):
    viewer_client.get(reverse("ranking_export", args=[council.slug]))
    response = admin_client_for_council.get(reverse("exports", args=[council.slug]))
    assert response.status_code == 200
    assert viewer_client.user.username in response.content.decode()
    assert "Current ranking" in response.content.decode()


def test_exports_list_is_refused_to_editors(editor_client, council):
    assert editor_client.get(reverse("exports", args=[council.slug])).status_code == 403


def test_non_member_cannot_export(outsider_client, council, ranked):
    response = outsider_client.get(reverse("ranking_export", args=[council.slug]))
    assert response.status_code == 404
    assert not ExportRecord.objects.exists()


@pytest.mark.parametrize("count", [2, 20])
def test_exports_list_query_count_is_constant(
    admin_client_for_council, council, count, django_assert_max_num_queries
):
    user = admin_client_for_council.user
    ExportRecord.objects.bulk_create(
        ExportRecord(council=council, user=user, kind="backlog", filename=f"f{n}.csv")
        for n in range(count)
    )
    with django_assert_max_num_queries(8):
        response = admin_client_for_council.get(reverse("exports", args=[council.slug]))
    assert response.content.decode().count("f1") >= 1


def test_content_disposition_has_an_ascii_name_and_the_exact_utf8_name():
    from planner.csv_export import content_disposition

    header = content_disposition('ynys-môn-"plan"-2027-01-01.csv')
    assert header.startswith('attachment; filename="ynys-mon--plan--2027-01-01.csv"; ')
    assert header.endswith("filename*=UTF-8''ynys-m%C3%B4n-%22plan%22-2027-01-01.csv")
