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
