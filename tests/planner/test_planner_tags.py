from __future__ import annotations

from django.template import Context, Template


def render(source: str) -> str:
    return Template("{% load planner_tags %}" + source).render(Context())


def test_table_head_gives_one_column_header_per_label_and_aligns_numbers_right():
    html = render('{% table_head "Rank" "Challenge" "Score" numeric="Rank,Score" %}')
    assert html == (
        '<thead class="govuk-table__head"><tr class="govuk-table__row">'
        '<th scope="col" class="govuk-table__header app-numeric">Rank</th>'
        '<th scope="col" class="govuk-table__header">Challenge</th>'
        '<th scope="col" class="govuk-table__header app-numeric">Score</th>'
        "</tr></thead>"
    )


def test_page_title_renders_the_pages_title_block_again_without_the_council():
    """The print header (base.html) names the council, then the page's own title."""
    from django.template import engines

    engine = engines["django"].engine
    base = engine.from_string(
        "{% load planner_tags %}<title>{% block title %}{% endblock %}</title>"
        "<p>{% page_title council %}</p>"
    )
    page = engine.from_string(
        "{% extends base %}{% block title %}{% if error %}Error: {% endif %}Roadmap – {{ council }}"
        "{% endblock %}"
    )
    html = page.render(Context({"base": base, "council": "Northmoor", "error": True}))
    assert html == "<title>Error: Roadmap – Northmoor</title><p>Error: Roadmap</p>"
    # Escaped once, like the <title>, and the escaped council name still comes off.
    html = page.render(Context({"base": base, "council": "Bath & <Wells>"}))
    assert html == ("<title>Roadmap – Bath &amp; &lt;Wells&gt;</title><p>Roadmap</p>")


def test_page_title_is_empty_without_a_title_block():
    assert render("{% page_title 'Northmoor' %}") == ""


def test_every_page_carries_a_print_header_with_the_council_and_title(viewer_client, council):
    from django.urls import reverse

    page = viewer_client.get(reverse("roadmap", args=[council.slug])).text
    header = page[page.index('class="app-print-header"') :]
    header = header[: header.index("</p>")]
    assert council.name in header
    assert '<span class="app-print-header__title">Roadmap</span>' in header
