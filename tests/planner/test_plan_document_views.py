"""Downloading a plan's committee documents: formats, versions, roles, audit, tenants."""

from __future__ import annotations

import io
from datetime import date

import docx
import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from planner.models import ExportRecord, PublishedPlan
from tests.factories import BacklogItemFactory, done_run_for
from tests.planner.plan_snapshots import EXEMPT_PROBLEM, snapshot

pytestmark = pytest.mark.django_db
QUERIES_PER_DOWNLOAD = 8

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@pytest.fixture
def plan(council):
    run = done_run_for(council, [BacklogItemFactory(council=council)])
    return PublishedPlan.objects.create(
        council=council,
        run=run,
        title="Digital priorities 2026/27",
        slug="digital-priorities",
        committee="Cabinet",
        meeting_date=date(2027, 3, 4),
        note="Approve the order.",
        snapshot=snapshot(12),
    )


def _url(council, plan, extension, version=None):
    url = reverse("plan_document", args=[council.slug, plan.slug, extension])
    return f"{url}?version={version}" if version else url


def _text(extension: str, data: bytes) -> str:
    if extension == "docx":
        word = docx.Document(io.BytesIO(data))
        cells = [c.text for t in word.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in word.paragraphs] + cells)
    if extension == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data))
        return repr(
            [[c.value for c in row] for sheet in book.worksheets for row in sheet.iter_rows()]
        )
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace(
        "\n", " "
    )


@pytest.mark.parametrize("extension", ["docx", "xlsx", "pdf"])
def test_a_viewer_downloads_the_public_version(viewer_client, council, plan, extension):
    response = viewer_client.get(_url(council, plan, extension, "public"))
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES[extension]
    filename = (
        f"{council.slug}-digital-priorities-public-{timezone.localdate():%Y-%m-%d}.{extension}"
    )
    assert response["Content-Disposition"].startswith(f'attachment; filename="{filename}"')
    assert "no-store" in response["Cache-Control"]
    text = _text(extension, response.content)
    assert "Exempt: paragraph 3" in text
    assert "Acme Ltd" not in text
    record = ExportRecord.objects.get(council=council)
    assert record.filename == filename and record.kind == "plan"
    assert record.user == viewer_client.user
    assert record.description.startswith("Published plan (")


def test_the_public_version_is_the_default(viewer_client, council, plan):
    response = viewer_client.get(_url(council, plan, "xlsx"))
    assert response.status_code == 200
    assert "-public-" in response["Content-Disposition"]


@pytest.mark.parametrize("extension", ["docx", "xlsx", "pdf"])
def test_an_approver_downloads_the_full_version(approver_client, council, plan, extension):
    response = approver_client.get(_url(council, plan, extension, "full"))
    assert response.status_code == 200
    assert "-full-" in response["Content-Disposition"]
    assert "Acme Ltd" in _text(extension, response.content)
    assert EXEMPT_PROBLEM.split()[0] in _text(extension, response.content)


def test_an_admin_downloads_the_full_version(admin_client_for_council, council, plan):
    assert admin_client_for_council.get(_url(council, plan, "pdf", "full")).status_code == 200


@pytest.mark.parametrize("client_name", ["viewer_client", "editor_client"])
def test_below_approver_the_full_version_is_refused_and_not_recorded(
    request, council, plan, client_name
):
    client = request.getfixturevalue(client_name)
    assert client.get(_url(council, plan, "docx", "full")).status_code == 403
    assert not ExportRecord.objects.exists()


@pytest.mark.parametrize(
    ("extension", "version"), [("doc", "public"), ("csv", "public"), ("pdf", "secret")]
)
def test_an_unknown_format_or_version_is_404(viewer_client, council, plan, extension, version):
    assert viewer_client.get(_url(council, plan, extension, version)).status_code == 404
    assert not ExportRecord.objects.exists()


def test_an_unknown_plan_is_404(viewer_client, council):
    url = reverse("plan_document", args=[council.slug, "no-such-plan", "pdf"])
    assert viewer_client.get(url).status_code == 404


def test_another_council_s_plan_is_404(outsider_client, council, plan):
    assert outsider_client.get(_url(council, plan, "pdf", "public")).status_code == 404
    assert not ExportRecord.objects.exists()


def test_post_is_not_allowed(approver_client, council, plan):
    assert approver_client.post(_url(council, plan, "pdf")).status_code == 405


def test_the_plan_page_offers_public_links_to_viewers_and_full_ones_to_approvers(
    viewer_client, approver_client, council, plan
):
    page = reverse("plan_detail", args=[council.slug, plan.slug])
    viewer_html = viewer_client.get(page).content.decode()
    for extension in CONTENT_TYPES:
        assert _url(council, plan, extension, "public") in viewer_html
        assert _url(council, plan, extension, "full") not in viewer_html
    approver_html = approver_client.get(page).content.decode()
    for extension in CONTENT_TYPES:
        assert _url(council, plan, extension, "full") in approver_html


def test_a_plan_published_before_the_committee_fields_still_downloads(viewer_client, council, plan):
    plan.snapshot = snapshot(5, committee_fields=False, options=False)
    plan.save()
    for extension in CONTENT_TYPES:
        assert viewer_client.get(_url(council, plan, extension)).status_code == 200
    assert ExportRecord.objects.count() == 3


def test_a_document_from_a_published_plan_reads_the_real_snapshot(viewer_client, council):
    """Publishing for real, then downloading: the document holds the plan's items."""
    from planner import ranking
    from planner.plans import publish_plan
    from tests.factories import score_all

    item = BacklogItemFactory(council=council, title="Fix the bins app")
    score_all(item, 4)
    ranking.run_now(council=council)
    published = publish_plan(
        council=council, title="Spring plan", committee="Cabinet", meeting_date=date(2027, 4, 1)
    )
    response = viewer_client.get(_url(council, published, "xlsx"))
    assert "Fix the bins app" in _text("xlsx", response.content)


@pytest.mark.parametrize("count", [5, 60])
def test_a_download_takes_the_same_queries_for_any_plan_size(
    viewer_client, council, plan, count, django_assert_num_queries
):
    plan.snapshot = snapshot(count)
    plan.save()
    url = _url(council, plan, "xlsx")
    viewer_client.get(url)  # session and membership caches warm
    # Session, user, membership with council, plan, snapshot head, the entries once for
    # Now and Next and once for the annex (a chunk each), and the export record.
    with django_assert_num_queries(QUERIES_PER_DOWNLOAD):
        assert viewer_client.get(url).status_code == 200
