"""Committee fields on an item (issue 12): the item form and page, the backlog filters, the
CSV export (both paths) and import, plan snapshots, and the public version of a plan."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from councils.models import Directorate, Ward
from planner import committee, csv_export, csv_import, plans, ranking
from planner.models import (
    AssessmentStatus,
    BacklogItem,
    ExemptParagraph,
    Funding,
    RiskRating,
)
from tests.factories import BacklogItemFactory, done_run_for, score_all
from tests.planner.test_item_pages import edit_data, form_data, item_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists(council):
    """Three wards and two directorates of the council."""
    wards = [Ward.objects.create(council=council, name=n) for n in ("Abbey", "Castle", "Docks")]
    directorates = [
        Directorate.objects.create(council=council, name=n) for n in ("Place", "Resources")
    ]
    return wards, directorates


def committee_data(wards, directorate, /, **overrides) -> dict:
    data = {
        "wards": [ward.pk for ward in wards],
        "directorate": directorate.pk,
        "key_decision": "yes",
        "exempt_paragraph": "3",
        "eqia_status": "screening",
        "dpia_status": "complete",
        "one_off_funding": "capital",
        "recurring_funding": "revenue",
        "funding_source": "Transformation reserve",
        "risk_rating": "amber",
        "risk_description": "Supplier capacity is tight",
        "cashable_savings": "12500.50",
        "non_cashable_benefits": "Fewer calls",
    }
    data.update(overrides)
    return data


# --- The item form ------------------------------------------------------------------------


def test_an_editor_adds_an_item_with_committee_information(editor_client, council, lists):
    wards, directorates = lists
    data = form_data(council, **committee_data(wards[:2], directorates[1]))
    response = editor_client.post(reverse("item_new", args=[council.slug]), data)
    assert response.status_code == 302
    item = council.items.get()
    assert set(item.wards.all()) == set(wards[:2])
    assert not item.all_wards
    assert item.directorate == directorates[1]
    assert item.key_decision is True
    assert item.exempt_paragraph == ExemptParagraph.FINANCIAL
    assert (item.eqia_status, item.dpia_status) == ("screening", "complete")
    assert (item.one_off_funding, item.recurring_funding) == (Funding.CAPITAL, Funding.REVENUE)
    assert (item.risk_rating, item.risk_description) == ("amber", "Supplier capacity is tight")
    assert item.cashable_savings == Decimal("12500.50")
    assert item.non_cashable_benefits == "Fewer calls"

    body = editor_client.get(item_url("item_detail", item)).content.decode()
    assert "Exempt: paragraph 3 (financial or business affairs)" in body
    assert "Committee information" in body
    assert "Abbey, Castle" in body
    assert "Screening" in body and "£12,500.50 a year" in body


def test_the_form_offers_only_the_councils_own_lists(editor_client, council, lists, other_council):
    Ward.objects.create(council=other_council, name="Elsewhere ward")
    body = editor_client.get(reverse("item_new", args=[council.slug])).content.decode()
    assert "Abbey" in body and "Elsewhere ward" not in body
    assert "Paragraph 3: financial or business affairs" in body
    assert "Not exempt" in body
    assert 'data-behaviour="exclusive"' in body


def test_committee_fields_are_all_optional(editor_client, council, lists):
    response = editor_client.post(reverse("item_new", args=[council.slug]), form_data(council))
    assert response.status_code == 302
    item = council.items.get()
    assert not item.wards.exists() and item.directorate is None
    assert (item.key_decision, item.exempt_paragraph, item.eqia_status) == (False, None, "")


@pytest.mark.parametrize("field", ["wards", "directorate"])
def test_another_councils_ward_or_directorate_is_refused_and_nothing_saved(
    editor_client, council, lists, other_council, field
):
    wards, directorates = lists
    foreign_ward = Ward.objects.create(council=other_council, name="Elsewhere ward")
    foreign_directorate = Directorate.objects.create(council=other_council, name="Theirs")
    overrides = (
        {"wards": [wards[0].pk, foreign_ward.pk]}
        if field == "wards"
        else {"directorate": foreign_directorate.pk}
    )
    data = form_data(council, **committee_data(wards, directorates[0], **overrides))
    response = editor_client.post(reverse("item_new", args=[council.slug]), data)
    assert response.status_code == 400
    body = response.content.decode()
    expected = "Choose wards from this council" if field == "wards" else "Choose a directorate"
    assert expected in body
    assert not BacklogItem.objects.filter(council=council).exists()


def test_all_wards_and_named_wards_together_is_an_error(editor_client, council, lists):
    wards, directorates = lists
    # Without JavaScript nothing unticks the others: the server refuses both.
    data = form_data(council, **committee_data([], directorates[0]))
    data["wards"] = [wards[0].pk, "all"]
    response = editor_client.post(reverse("item_new", args=[council.slug]), data)
    assert response.status_code == 400
    assert "not both" in response.content.decode()
    assert not council.items.exists()


@pytest.mark.parametrize("posted", [{"all_wards": "on"}, {"wards": ["all"]}])
def test_all_wards_alone_is_saved(editor_client, council, lists, posted):
    wards, directorates = lists
    # With JavaScript "All wards" is one of the wards' checkboxes (GOV.UK's exclusive one).
    data = form_data(council, **committee_data([], directorates[0], **posted))
    assert editor_client.post(reverse("item_new", args=[council.slug]), data).status_code == 302
    item = council.items.get()
    assert item.all_wards and not item.wards.exists()
    body = editor_client.get(item_url("item_detail", item)).content.decode()
    assert "All wards" in body


def test_editing_committee_fields_is_in_the_history(editor_client, council, lists):
    wards, directorates = lists
    item = BacklogItemFactory(council=council)
    data = edit_data(item, **committee_data(wards[2:], directorates[0], exempt_paragraph=""))
    assert editor_client.post(item_url("item_edit", item), data).status_code == 302
    item.refresh_from_db()
    assert list(item.wards.all()) == [wards[2]]
    assert item.version == 2
    body = editor_client.get(item_url("item_detail", item)).content.decode()
    assert "Directorate or service area" in body
    assert "Full assessment in progress" not in body  # screening, not in progress
    # The history names the directorate, not its id.
    assert "Place" in body
    assert item.history.count() >= 2


def test_a_stale_edit_of_committee_fields_gets_409_and_keeps_theirs(editor_client, council, lists):
    wards, directorates = lists
    item = BacklogItemFactory(council=council)
    seen_version = item.version
    # Someone else saves first: all wards, and a directorate.
    first = edit_data(item, **committee_data([], directorates[0], all_wards="on"))
    assert editor_client.post(item_url("item_edit", item), first).status_code == 302
    mine = edit_data(item, **committee_data(wards[:1], directorates[1]))
    mine["version"] = seen_version
    response = editor_client.post(item_url("item_edit", item), mine)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else saved" in body
    item.refresh_from_db()
    assert item.all_wards and item.directorate == directorates[0]
    assert not item.wards.exists()


def test_a_viewer_cannot_post_committee_fields(viewer_client, council, lists):
    wards, directorates = lists
    item = BacklogItemFactory(council=council)
    data = edit_data(item, **committee_data(wards, directorates[0]))
    assert viewer_client.post(item_url("item_edit", item), data).status_code == 403
    assert not item.wards.exists()


def test_an_outsider_gets_404_for_the_item_form(outsider_client, council):
    item = BacklogItemFactory(council=council)
    assert outsider_client.get(item_url("item_edit", item)).status_code == 404


# --- Backlog filters ----------------------------------------------------------------------


@pytest.fixture
def filtered(council, lists):
    wards, directorates = lists
    in_abbey = BacklogItemFactory(council=council, title="In Abbey", directorate=directorates[0])
    in_abbey.wards.set([wards[0]])
    BacklogItemFactory(council=council, title="Everywhere", all_wards=True, key_decision=True)
    in_castle = BacklogItemFactory(
        council=council,
        title="In Castle",
        exempt_paragraph=3,
        eqia_status=AssessmentStatus.COMPLETE,
        risk_rating=RiskRating.RED,
    )
    in_castle.wards.set([wards[1]])
    # In two wards: listed once.
    both = BacklogItemFactory(council=council, title="Abbey and Docks")
    both.wards.set([wards[0], wards[2]])
    return wards, directorates


def _titles(client, council, **query) -> list[str]:
    response = client.get(reverse("backlog", args=[council.slug]), query)
    assert response.status_code == 200
    return sorted(row.item.title for row in response.context["rows"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"ward": "Abbey"}, ["Abbey and Docks", "Everywhere", "In Abbey"]),
        ({"ward": "Castle"}, ["Everywhere", "In Castle"]),
        ({"directorate": "Place"}, ["In Abbey"]),
        ({"key_decision": "yes"}, ["Everywhere"]),
        ({"key_decision": "no"}, ["Abbey and Docks", "In Abbey", "In Castle"]),
        ({"exempt": "yes"}, ["In Castle"]),
        ({"exempt": "no"}, ["Abbey and Docks", "Everywhere", "In Abbey"]),
        ({"eqia": "complete"}, ["In Castle"]),
        ({"eqia": "none"}, ["Abbey and Docks", "Everywhere", "In Abbey"]),
        ({"risk": "red"}, ["In Castle"]),
        ({"risk": "none"}, ["Abbey and Docks", "Everywhere", "In Abbey"]),
    ],
)
def test_backlog_committee_filters(viewer_client, council, filtered, query, expected):
    wards, directorates = filtered
    by_name = {**{w.name: w.pk for w in wards}, **{d.name: d.pk for d in directorates}}
    query = {key: by_name.get(value, value) for key, value in query.items()}
    assert _titles(viewer_client, council, **query) == expected


def test_another_councils_ward_is_not_a_filter(viewer_client, council, filtered, other_council):
    foreign = Ward.objects.create(council=other_council, name="Elsewhere")
    response = viewer_client.get(reverse("backlog", args=[council.slug]), {"ward": foreign.pk})
    # Dropped and reported, never applied: every live item is listed.
    assert len(response.context["rows"]) == 4
    assert response.context["filter_form"].errors


def test_backlog_export_keeps_the_committee_filters(viewer_client, council, filtered):
    wards, _ = filtered
    response = viewer_client.get(
        reverse("backlog_export", args=[council.slug]), {"ward": wards[1].pk}
    )
    rows = _csv_rows(response)
    assert sorted(row["Title"] for row in rows) == ["Everywhere", "In Castle"]


# --- CSV export and import ----------------------------------------------------------------


def _csv_rows(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


TRICKY_NAMES = ["=Abbey", 'Castle "Upper", East', "Ynys Môn ŵ"]


@pytest.fixture
def exported(council):
    wards = [Ward.objects.create(council=council, name=n) for n in TRICKY_NAMES]
    directorate = Directorate.objects.create(council=council, name="+Resources, and more")
    full = BacklogItemFactory(
        council=council,
        title="Full",
        directorate=directorate,
        key_decision=True,
        exempt_paragraph=3,
        eqia_status=AssessmentStatus.IN_PROGRESS,
        dpia_status=AssessmentStatus.NOT_NEEDED,
        one_off_funding=Funding.CAPITAL,
        recurring_funding=Funding.REVENUE,
        funding_source="-reserve",
        risk_rating=RiskRating.AMBER,
        risk_description='Said "maybe"\nthen no',
        cashable_savings=Decimal("1000.50"),
        non_cashable_benefits="@better",
    )
    full.wards.set(wards)
    BacklogItemFactory(council=council, title="Everywhere", all_wards=True)
    BacklogItemFactory(council=council, title="Blank")
    for item in council.items.all():
        score_all(item)
    return council


def test_backlog_export_has_the_committee_columns(viewer_client, exported):
    rows = {row["Title"]: row for row in _csv_rows(
        viewer_client.get(reverse("backlog_export", args=[exported.slug]))
    )}  # fmt: skip
    full = rows["Full"]
    # Ward names in the C collation's order, neutralised, one cell.
    assert full["Wards"] == '\'=Abbey; Castle "Upper", East; Ynys Môn ŵ'
    assert full["Directorate"] == "'+Resources, and more"
    assert (full["Key decision"], full["Exempt paragraph"]) == ("Yes", "3")
    assert (full["EqIA"], full["DPIA"]) == ("Full assessment in progress", "Not needed")
    assert (full["One-off funding"], full["Recurring funding"]) == ("Capital", "Revenue")
    assert full["Funding source"] == "'-reserve"
    assert (full["Risk"], full["Risk description"]) == ("Amber", 'Said "maybe"\nthen no')
    assert full["Cashable savings (£ a year)"] == "1000.50"
    assert full["Non-cashable benefits"] == "'@better"
    assert rows["Everywhere"]["Wards"] == "All wards"
    blank = rows["Blank"]
    assert [blank[h] for h in committee.COMMITTEE_HEADERS] == [
        "", "", "No", "", "", "", "", "", "", "", "", "", "",
    ]  # fmt: skip


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's")
@pytest.mark.parametrize("what", ["backlog", "ranking"])
def test_committee_columns_are_the_same_bytes_both_ways(exported, monkeypatch, what):
    items = list(exported.items.all())
    run = done_run_for(exported, items)

    def make():
        if what == "ranking":
            return csv_export.export_ranking(council=exported, user=None, run=run)
        from planner import backlog

        return csv_export.export_backlog(
            council=exported, user=None, items=backlog.filter_items(exported, {})
        )

    fast = b"".join(make().chunks)
    monkeypatch.setattr(
        csv_export,
        "_copy_chunks",
        lambda head, values, namer: csv_export.csv_chunks(
            head, csv_export._item_rows(csv_export._stream(values), namer)
        ),
    )
    slow = b"".join(make().chunks)
    assert b"All wards" in fast and "Ynys Môn ŵ".encode() in fast
    assert fast == slow


def test_export_round_trips_committee_fields_into_another_council(
    viewer_client, exported, other_council
):
    for name in TRICKY_NAMES:
        Ward.objects.create(council=other_council, name=name)
    Directorate.objects.create(council=other_council, name="+Resources, and more")
    text = b"".join(
        viewer_client.get(reverse("backlog_export", args=[exported.slug])).streaming_content
    ).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    keep = [i for i, name in enumerate(rows[0]) if name not in {"Reference", "Depends on"}]
    out = io.StringIO(newline="")
    csv.writer(out).writerows([[row[i] for i in keep] for row in rows])
    result = csv_import.apply(council=other_council, user=None, text=out.getvalue())
    assert result.created == 3

    def committee_state(council):
        return sorted(
            (
                item.title,
                item.all_wards,
                tuple(sorted(w.name for w in item.wards.all())),
                item.directorate.name if item.directorate else None,
                *(getattr(item, c.field) for c in committee.COMMITTEE_COLUMNS[2:]),
            )
            for item in council.items.prefetch_related("wards").select_related("directorate")
        )

    assert committee_state(other_council) == committee_state(exported)
    # And importing the same export again over the same items changes nothing.
    again = csv_import.apply(council=exported, user=None, text=text)
    assert (again.created, again.updated) == (0, 0)


def _import_text(header: list[str], *rows: list[str]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([header, *rows])
    return out.getvalue()


HEADER = ["Title", "Theme", *committee.COMMITTEE_HEADERS]


def _row(theme, **cells) -> list[str]:
    values = dict.fromkeys(committee.COMMITTEE_HEADERS, "")
    values.update(cells)
    return ["A title", theme, *values.values()]


def test_import_reads_every_committee_column(council, lists):
    wards, directorates = lists
    theme = council.themes.first().name
    text = _import_text(
        HEADER,
        _row(
            theme,
            **{
                "Wards": "abbey;  Docks",
                "Directorate": "resources",
                "Key decision": "Yes",
                "Exempt paragraph": "5",
                "EqIA": "Complete",
                "DPIA": "screening",
                "One-off funding": "Revenue",
                "Recurring funding": "capital",
                "Funding source": "Grant",
                "Risk": "Green",
                "Risk description": "Low",
                "Cashable savings (£ a year)": "£2,500",
                "Non-cashable benefits": "Happier staff",
            },
        ),
        _row(theme, Wards="All wards"),
    )
    preview = csv_import.validate(council=council, text=text)
    assert preview.ok, preview.errors
    # The preview shows what will be written, in the words the item page uses.
    read = dict(csv_import.values_read(preview.rows[0], {}))
    assert read["Wards"] == "Abbey; Docks" and read["Directorate"] == "Resources"
    assert read["Key decision"] == "Yes" and read["EqIA"] == "Complete"
    assert read["Exempt paragraph"].startswith("Exempt: paragraph 5")
    assert read["One-off funding"] == "Revenue" and read["Risk"] == "Green"
    assert dict(csv_import.values_read(preview.rows[1], {}))["Wards"] == "All wards"
    csv_import.apply(council=council, user=None, text=text)
    first, second = council.items.order_by("number")
    assert sorted(w.name for w in first.wards.all()) == ["Abbey", "Docks"]
    assert first.directorate == directorates[1]
    assert (first.key_decision, first.exempt_paragraph) == (True, 5)
    assert (first.eqia_status, first.dpia_status) == ("complete", "screening")
    assert (first.one_off_funding, first.recurring_funding) == ("revenue", "capital")
    assert (first.risk_rating, first.cashable_savings) == ("green", Decimal("2500.00"))
    assert second.all_wards and not second.wards.exists()


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"Wards": "Abbey; Nowhere; Atlantis"}, "Wards", "“Nowhere”, “Atlantis” are not wards"),
        ({"Wards": "Nowhere"}, "Wards", "“Nowhere” is not a ward"),
        ({"Directorate": "Finance"}, "Directorate", "“Finance” is not a directorate"),
        ({"Key decision": "maybe"}, "Key decision", "must be Yes or No"),
        ({"Exempt paragraph": "8"}, "Exempt paragraph", "from 1 to 7"),
        ({"EqIA": "Done"}, "EqIA", "must be one of"),
        ({"Risk": "Purple"}, "Risk", "must be one of"),
        ({"Cashable savings (£ a year)": "-5"}, "Cashable savings (£ a year)", "negative"),
        ({"Risk description": "x" * 201}, "Risk description", "200 characters or fewer"),
    ],
)
def test_import_refuses_bad_committee_cells_and_creates_nothing(
    council, lists, cells, column, message
):
    text = _import_text(HEADER, _row(council.themes.first().name, **cells))
    preview = csv_import.validate(council=council, text=text)
    assert not preview.ok
    assert [(e.row, e.column) for e in preview.errors] == [(2, column)]
    assert message in preview.errors[0].message
    with pytest.raises(csv_import.ImportInvalid):
        csv_import.apply(council=council, user=None, text=text)
    assert not council.items.exists()
    assert council.wards.count() == 3  # never created silently


def test_reimport_changing_only_wards_updates_the_item(council, lists):
    wards, _ = lists
    item = BacklogItemFactory(council=council, title="Ward move")
    item.wards.set([wards[0]])
    text = _import_text(
        ["Reference", "Title", "Theme", "Wards"],
        [item.reference, item.title, item.theme.name, "Castle"],
    )
    preview = csv_import.validate(council=council, text=text)
    assert preview.rows[0].changes == ["Wards"]
    result = csv_import.apply(council=council, user=None, text=text)
    assert result.updated == 1
    assert list(item.wards.all()) == [wards[1]]


# --- Plan snapshots and the public version -------------------------------------------------

CONTRACT_KEYS = {
    "wards",
    "all_wards",
    "directorate",
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
}


@pytest.fixture
def published(council, lists):
    wards, directorates = lists
    exempt = BacklogItemFactory(
        council=council,
        title="Secret deal",
        problem="The supplier's price is 12% below the framework.",
        one_off_cost=Decimal("98765.00"),
        recurring_cost=Decimal("4321.00"),
        exempt_paragraph=3,
        directorate=directorates[0],
        key_decision=True,
        eqia_status=AssessmentStatus.SCREENING,
        risk_rating=RiskRating.RED,
        cashable_savings=Decimal("5000.00"),
    )
    exempt.wards.set([wards[1], wards[0]])
    public = BacklogItemFactory(
        council=council, title="Open item", problem="Everyone may read this.", all_wards=True
    )
    for item in (exempt, public):
        score_all(item)
    ranking.run_now(council=council)
    plan = plans.publish_plan(
        council=council, title="Cabinet plan", committee="Cabinet", meeting_date=date(2027, 3, 1)
    )
    return plan, exempt, public


def test_snapshot_entries_carry_the_committee_keys_as_the_contract_says(published):
    plan, exempt, public = published
    entries = {entry["reference"]: entry for entry in plan.snapshot["entries"]}
    frozen = entries[exempt.reference]
    assert set(frozen) >= CONTRACT_KEYS
    assert frozen["wards"] == ["Abbey", "Castle"]
    assert frozen["all_wards"] is False
    assert frozen["directorate"] == "Place"
    assert (frozen["key_decision"], frozen["exempt_paragraph"]) == (True, 3)
    assert (frozen["eqia_status"], frozen["dpia_status"]) == ("screening", "")
    assert (frozen["risk_rating"], frozen["cashable_savings"]) == ("red", "5000.00")
    assert frozen["problem"] == exempt.problem  # the snapshot keeps everything
    other = entries[public.reference]
    assert (other["wards"], other["all_wards"], other["exempt_paragraph"]) == ([], True, None)
    assert other["directorate"] == "" and other["cashable_savings"] is None


def test_plan_page_marks_exempt_items_and_says_which_version(
    viewer_client, approver_client, council, published
):
    plan, exempt, _ = published
    url = reverse("plan_detail", args=[council.slug, plan.slug])
    viewer_page = viewer_client.get(url)
    body = viewer_page.content.decode()
    assert "Exempt: paragraph 3" in body
    assert "This is the public version" in body
    shown = {e["reference"]: e for e in viewer_page.context["plan_page"].ranking}
    assert shown[exempt.reference]["problem"] == ""
    assert shown[exempt.reference]["one_off_cost"] is None
    approver_page = approver_client.get(url)
    assert "This is the public version" not in approver_page.content.decode()
    full = {e["reference"]: e for e in approver_page.context["plan_page"].ranking}
    assert full[exempt.reference]["problem"] == exempt.problem
    assert full[exempt.reference]["one_off_cost"] == "98765"


def test_plan_csv_is_public_for_viewers_and_full_for_approvers(
    viewer_client, approver_client, council, published
):
    plan, exempt, public = published
    url = reverse("plan_export", args=[council.slug, plan.slug])
    viewer_raw = b"".join(viewer_client.get(url).streaming_content).decode("utf-8-sig")
    assert exempt.problem not in viewer_raw
    assert "98765" not in viewer_raw and "4321" not in viewer_raw
    viewer_rows = {
        row["Reference"]: row for row in csv.DictReader(io.StringIO(viewer_raw, newline=""))
    }
    withheld = viewer_rows[exempt.reference]
    assert withheld["Problem statement"] == (
        "Withheld: exempt information, paragraph 3 (financial or business affairs)"
    )
    assert (withheld["One-off cost (£)"], withheld["Recurring cost (£)"]) == ("", "")
    assert withheld["Exempt paragraph"] == "3"
    assert withheld["Wards"] == "Abbey; Castle" and withheld["Key decision"] == "Yes"
    assert viewer_rows[public.reference]["Problem statement"] == "Everyone may read this."
    assert viewer_rows[public.reference]["Wards"] == "All wards"

    approver_rows = {row["Reference"]: row for row in _csv_rows(approver_client.get(url))}
    assert approver_rows[exempt.reference]["Problem statement"] == exempt.problem
    assert approver_rows[exempt.reference]["One-off cost (£)"] == "98765"


def test_an_older_plan_without_committee_keys_still_exports(viewer_client, council, published):
    plan, _, _ = published
    for entry in plan.snapshot["entries"]:
        for key in CONTRACT_KEYS:
            entry.pop(key)
    plan.save()
    rows = _csv_rows(viewer_client.get(reverse("plan_export", args=[council.slug, plan.slug])))
    assert all(row["Key decision"] == "" and row["Wards"] == "" for row in rows)
    page = viewer_client.get(reverse("plan_detail", args=[council.slug, plan.slug]))
    assert page.status_code == 200


def test_public_entry_leaves_a_public_item_alone():
    entry = {"problem": "Open", "one_off_cost": "5", "exempt_paragraph": None}
    assert committee.public_entry(entry) is entry
    exempt = committee.public_entry({**entry, "exempt_paragraph": 7})
    assert (exempt["problem"], exempt["one_off_cost"], exempt["withheld"]) == ("", None, True)
    assert committee.exempt_label(7) == "Exempt: paragraph 7 (crime prevention or prosecution)"
    assert committee.exempt_label(None) == ""


def test_plan_page_totals_leave_out_exempt_costs_for_viewers_only(
    viewer_client, approver_client, council, published
):
    """Otherwise the other items' costs could be subtracted from a year's total to reveal
    the exempt item's. Over budget is still judged on the whole plan."""
    plan, exempt, _ = published
    url = reverse("plan_detail", args=[council.slug, plan.slug])
    viewer_page = viewer_client.get(url)
    approver_page = approver_client.get(url)
    public = viewer_page.context["plan_page"].money_years
    full = approver_page.context["plan_page"].money_years
    assert sum(f.one_off - p.one_off for f, p in zip(full, public, strict=True)) == 98765
    assert {round(f.recurring - p.recurring, 2) for f, p in zip(full, public, strict=True)} <= {
        0,
        4321,
    }
    assert [p.totals for p in public] == [f.totals for f in full]
    assert "leaves the costs of exempt items out" in viewer_page.content.decode()
    assert "leaves the costs of exempt items out" not in approver_page.content.decode()


def test_public_entries_withhold_an_exempt_items_money_and_the_amount_in_its_reason():
    from planner import committee

    entry = {
        "exempt_paragraph": 3,
        "problem": "Secret",
        "one_off_cost": "98765",
        "recurring_cost": "4321",
        "cashable_savings": "5000.00",
        "one_off_funding": "capital",
        "recurring_funding": "revenue",
        "funding_source": "Reserve",
        "why": "over the 2026/27 one-off budget by £12,345; waits for DIG-002",
        "title": "Kept",
    }
    shown = committee.public_entry(entry)
    for key in committee.EXEMPT_WITHHELD_KEYS:
        assert not shown[key], key
    assert shown["why"] == "over the 2026/27 one-off budget; waits for DIG-002"
    assert shown["title"] == "Kept" and shown["withheld"] is True
    public = {**entry, "exempt_paragraph": None}
    assert committee.public_entry(public) is public  # a public item is shown whole
