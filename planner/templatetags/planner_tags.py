from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()

# (url name, label). Pages appear in the menu once their route exists.
COUNCIL_NAV = [
    ("dashboard", "Dashboard"),
    ("backlog", "Backlog"),
    ("roadmap", "Roadmap"),
    ("plans", "Published plans"),
    ("weightings", "Weightings"),
    ("import", "Import"),
]


@register.inclusion_tag("includes/council_nav.html")
def council_nav(council, current: str = "") -> dict:
    links = []
    for name, label in COUNCIL_NAV:
        try:
            href = reverse(name, args=[council.slug])
        except NoReverseMatch:
            continue
        links.append({"href": href, "label": label, "current": name == current})
    return {"links": links}


@register.filter
def rank_label(rank: int | None, tied: bool = False) -> str:
    if rank is None:
        return ""
    return f"={rank}" if tied else str(rank)
