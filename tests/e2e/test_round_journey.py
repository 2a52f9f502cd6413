"""Scoring together: the lead starts a round from the backlog, the lead, the CIO and the
clerk score it blind in three browsers, the lead watches who has finished, closes it,
discusses the most disputed item, agrees a score with a note and applies the agreed scores.
Also the safety nets around archiving, in the browser. axe-core is clean on every page."""

from __future__ import annotations

import re

import pytest

from planner.models import BacklogItem, ItemScore, RoundStatus, ScoringRound
from tests.e2e.conftest import axe_violations, save_screenshot, sign_in

pytestmark = pytest.mark.e2e

ROUND = "Budget workshop"


@pytest.fixture
def contexts(browser, live_server, demo):
    """Three people at once, each in their own browser context (own cookies)."""
    opened = []

    def open_as(username: str):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True
        )
        opened.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, username)
        return page

    yield open_as
    for context in opened:
        context.close()


def assert_accessible(page) -> None:
    assert axe_violations(page) == []


def score_everything(page, value_for) -> None:
    """Choose a level in every select on the participant's page, then save and finish."""
    selects = page.locator("select.app-round-select")
    for index in range(selects.count()):
        select = selects.nth(index)
        select.select_option(str(value_for(index)))
    page.get_by_role("button", name="Save and finish").click()
    page.get_by_text("Your scores are saved").wait_for()


def start_round_from_the_backlog(lead) -> tuple[str, list[str]]:
    """The lead ticks three ready items, presses "Score in a round" and starts it for the
    lead, the CIO and the clerk. Returns the round's address and the references."""
    lead.goto("/c/northmoor/backlog/?status=ready")
    references = [
        lead.locator("#backlog-table tbody tr td:nth-child(2) a").nth(n).inner_text().strip()
        for n in range(3)
    ]
    for reference in references:
        lead.locator(f"#select-{reference}").check()
    lead.get_by_role("button", name=re.compile("Score in a round")).click()
    lead.wait_for_url(re.compile(r"/rounds/new/\?items="))
    for reference in references:
        assert lead.locator(f"#item-{reference}").is_checked()
    lead.fill("#id_name", ROUND)
    for name in ("lead", "cio", "clerk"):
        lead.get_by_label(name, exact=True).check()
    assert_accessible(lead)
    save_screenshot(lead, "round-start")
    lead.get_by_role("button", name="Start the round").click()
    lead.wait_for_url(re.compile(r"/rounds/\d+/$"))
    lead.get_by_text("0 of 3 finished").wait_for()
    assert_accessible(lead)
    return lead.url, references


def agree_the_disputed_cell_and_apply(lead) -> None:
    """The meeting discusses the disputed cell and agrees 4, not the median 3: without a
    note that is refused, with one the agreed scores are applied."""
    agreed = lead.locator("table.app-round-results").first.locator("select.app-agreed__value")
    assert agreed.first.input_value() == "3"
    agreed.first.select_option("4")
    lead.get_by_role("button", name="Apply agreed scores").click()
    lead.locator(".govuk-error-summary").get_by_text("rather than the median, 3").wait_for()
    assert_accessible(lead)
    save_screenshot(lead, "round-agree-error")
    lead.locator("table.app-round-results").first.locator("input.app-agreed__note").first.fill(
        "Statutory duty from April"
    )
    lead.get_by_role("button", name="Apply agreed scores").click()
    lead.get_by_text("Agreed scores applied:").wait_for()
    save_screenshot(lead, "round-applied")


def test_three_people_score_a_round_and_the_lead_applies_the_agreed_scores(contexts):
    lead = contexts("lead")
    round_url, references = start_round_from_the_backlog(lead)
    cio, clerk = contexts("cio"), contexts("clerk")
    # The first cell splits the room (1, 5, 3); every other cell is agreed at 3 or 4.
    clerk.goto(round_url + "score/")
    assert clerk.locator("select.app-round-select").count() == 3 * 6
    assert_accessible(clerk)
    save_screenshot(clerk, "round-score-clerk")
    score_everything(clerk, lambda n: 3)
    # The lead's progress list refreshes itself (htmx polling) as people finish.
    lead.get_by_text("1 of 3 finished").wait_for(timeout=12_000)
    cio.goto(round_url + "score/")
    # The CIO's page shows the CIO's own (empty) scores, never the clerk's.
    assert cio.locator("select.app-round-select option[selected]:not([value=''])").count() == 0
    score_everything(cio, lambda n: 5 if n == 0 else 4)
    lead.goto(round_url + "score/")
    score_everything(lead, lambda n: 1 if n == 0 else 4)
    lead.goto(round_url)
    lead.get_by_text("3 of 3 finished").wait_for()
    save_screenshot(lead, "round-progress")

    lead.get_by_role("button", name="Close the round and show the scores").click()
    lead.get_by_text("The round is closed").wait_for()
    first_table = lead.locator("table.app-round-results").first
    # Participants' pages list the items by reference: the first select was the first item's.
    disputed = min(references, key=lambda reference: int(reference.split("-")[1]))
    assert first_table.get_attribute("id") == f"results-{disputed}"
    assert "Disagree" in first_table.locator("tbody tr").first.inner_text()
    assert_accessible(lead)
    save_screenshot(lead, "round-results")

    agree_the_disputed_cell_and_apply(lead)

    scoring_round = ScoringRound.objects.get(name=ROUND)
    assert scoring_round.status == RoundStatus.APPLIED
    item = BacklogItem.objects.get(council__slug="northmoor", reference=disputed)
    first_criterion = scoring_round.criteria.order_by("position", "id").first()
    score = ItemScore.objects.get(item=item, criterion=first_criterion)
    assert (score.value, score.rationale) == (4, "Statutory duty from April")
    lead.goto(f"/c/northmoor/items/{disputed}/")
    assert lead.get_by_text(f"agreed in round {ROUND}").count() >= 1

    # The clerk, a viewer, now sees everyone's scores, but cannot close or apply.
    clerk.goto(round_url)
    assert clerk.locator("table.app-round-results").count() == 3
    assert clerk.get_by_role("button", name="Apply agreed scores").count() == 0
    assert_accessible(clerk)


def test_archiving_asks_in_place_and_the_backlog_restores_it(page):
    sign_in(page, "lead")
    page.goto("/c/northmoor/backlog/")
    reference = page.locator("#backlog-table tbody tr td:nth-child(2) a").first.inner_text().strip()
    page.goto(f"/c/northmoor/items/{reference}/")
    page.get_by_role("button", name=f"Archive {reference}").click()
    confirm = page.locator("#archive-confirm")
    confirm.wait_for()
    assert page.url.endswith(f"/items/{reference}/")  # the step opened in place
    assert_accessible(page)
    save_screenshot(page, "archive-confirm-in-place")
    confirm.get_by_role("button", name=f"Yes, archive {reference}").click()
    page.wait_for_url(re.compile(r"/backlog/$"))
    page.get_by_label("Only archived items (to restore them)").check()
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("button", name=f"Restore {reference}").click()
    page.get_by_text(f"{reference} restored to the backlog.").wait_for()
    assert_accessible(page)
    save_screenshot(page, "backlog-restored")
    assert not BacklogItem.objects.get(council__slug="northmoor", reference=reference).archived


def test_archiving_without_javascript_shows_a_warning_page(no_js_page):
    page = no_js_page
    sign_in(page, "lead")
    page.goto("/c/northmoor/items/DIG-002/")
    page.get_by_role("button", name="Archive DIG-002").click()
    page.wait_for_url(re.compile(r"/items/DIG-002/archive/$"))
    assert page.locator(".govuk-warning-text").count() == 1
    save_screenshot(page, "archive-warning-no-js")
    page.get_by_role("button", name="Yes, archive DIG-002").click()
    page.wait_for_url(re.compile(r"/backlog/$"))
    assert BacklogItem.objects.get(council__slug="northmoor", reference="DIG-002").archived


def test_the_item_page_refreshes_its_rank_after_a_score_without_a_reload(page):
    sign_in(page, "lead")
    page.goto("/c/northmoor/items/DIG-048/")
    panel = page.locator("#item-ranking")
    before = panel.locator("dl").inner_text()
    navigations: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: frame == page.main_frame and navigations.append(frame.url),
    )
    first_panel = page.locator(".app-score-panel").first
    checked = first_panel.locator("input[type=radio]:checked").get_attribute("value")
    first_panel.locator(f"input[type=radio][value='{'1' if checked != '1' else '5'}']").check()
    first_panel.get_by_role("button", name=re.compile("Save score")).click()
    page.wait_for_function(
        "before => document.querySelector('#item-ranking dl').innerText !== before", arg=before
    )
    assert navigations == []
    assert "Updating…" not in panel.inner_text()
    assert_accessible(page)
