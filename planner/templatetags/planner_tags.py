from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.template.loader_tags import BLOCK_CONTEXT_KEY
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from councils.access import CouncilAccess
from councils.models import Council, Role
from planner import committee, robustness
from planner.scoring import format_rank

register = template.Library()

# (url name, label, lowest role that may open the page). A page appears in the menu once
# its route exists and only for members allowed to use it, so nobody is offered a 403.
COUNCIL_NAV = [
    ("dashboard", "Dashboard", Role.VIEWER),
    ("backlog", "Backlog", Role.VIEWER),
    ("roadmap", "Roadmap", Role.VIEWER),
    ("plans", "Published plans", Role.VIEWER),
    ("weightings", "Weightings", Role.VIEWER),
    ("rounds", "Scoring rounds", Role.VIEWER),
    ("import", "Import", Role.EDITOR),
    ("themes", "Themes", Role.ADMIN),
    ("criteria", "Criteria", Role.ADMIN),
    ("council_settings", "Settings", Role.APPROVER),
]


@register.inclusion_tag("includes/council_nav.html")
def council_nav(
    council: Council, current: str = "", access: CouncilAccess | None = None
) -> dict[str, Any]:
    """The council's menu: the pages that `access` (the member's role) may open."""
    role = access.role if access is not None else Role.VIEWER
    links = []
    for name, label, min_role in COUNCIL_NAV:
        if role < min_role:
            continue
        try:
            href = reverse(name, args=[council.slug])
        except NoReverseMatch:
            continue
        links.append({"href": href, "label": label, "current": name == current})
    return {"links": links}


@register.filter
def rank_label(rank: int | None, tied: bool = False) -> str:
    """A shared rank as "=3", an unshared one as "3", and blank when unranked."""
    return "" if rank is None else format_rank(rank, tied)


# The tag colour of each stability label; the label's text always says it too.
STABILITY_TAGS = {
    robustness.SETTLED: "govuk-tag--green",
    robustness.FAIRLY_SETTLED: "govuk-tag--blue",
    robustness.CONTESTED: "govuk-tag--orange",
}


@register.inclusion_tag("planner/includes/rank_range.html")
def rank_range(
    low: int | None, high: int | None, stability: str | None, own_line: bool = True
) -> dict[str, Any]:
    """'Rank range 3–7' and the stability tag, on a line of its own under a rank in a table
    cell (own_line); nothing until the ranges are worked out."""
    return {
        "own_line": own_line,
        "low": low,
        "high": high,
        "stability": stability or "",
        "tag": STABILITY_TAGS.get(stability or "", ""),
    }


@register.filter
def select_options(field: BoundField, selected: Any = "") -> list:
    """A select's options as Django's own Select widget groups them and marks the selected one.

    Returns [(group label or None, [{"value", "label", "selected", ...}, ...], index), ...]:
    an option outside any <optgroup> comes in a group of its own labelled None. `selected`,
    when given (not blank), replaces the field's value: a page may suggest a choice that
    the form has no initial value for.
    """
    widget = field.field.widget
    value = field.value() if selected in ("", None) else selected
    return widget.optgroups(field.html_name, widget.format_value(value))


@register.simple_tag
def table_head(*labels: str, numeric: str = "") -> SafeString:
    """A GOV.UK table head, one column header per label. The columns named in `numeric`
    (comma-separated) hold numbers, so they align right."""
    right = {name.strip() for name in numeric.split(",")}
    cells = format_html_join(
        "",
        '<th scope="col" class="govuk-table__header{}">{}</th>',
        ((" app-numeric" if label in right else "", label) for label in labels),
    )
    return format_html(
        '<thead class="govuk-table__head"><tr class="govuk-table__row">{}</tr></thead>', cells
    )


@register.simple_tag(takes_context=True)
def page_title(context: template.Context, council_name: str = "") -> SafeString:
    """The page's `title` block rendered again, for the print-only header in base.html,
    without a trailing " – <council name>" (the header names the council itself). The block
    renders already escaped, as it does in <title>."""
    block_context = context.render_context.get(BLOCK_CONTEXT_KEY)
    block = block_context.get_block("title") if block_context is not None else None
    if block is None:
        return mark_safe("")
    with context.push():
        text = " ".join(block.nodelist.render(context).split())
    if council_name:
        text = text.removesuffix(f" – {conditional_escape(council_name)}")
    return mark_safe(text)  # noqa: S308 - the template's own autoescaped output


@register.filter
def exempt_label(paragraph: int | None) -> str:
    """ "Exempt: paragraph 3 (financial or business affairs)" for an exempt item, else ""."""
    return committee.exempt_label(paragraph)
