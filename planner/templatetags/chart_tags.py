"""Template tags for the SVG charts' repeated marks.

A value-versus-effort matrix for a large council plots thousands of markers; rendering each
through the template engine costs more than the rest of the page, so the markers are joined
here in one string. Escaping only the text fields keeps it several times faster than
`format_html_join`, which escapes every number too.
"""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from planner.charts import Matrix

register = template.Library()


@register.simple_tag
def matrix_markers(matrix: Matrix) -> SafeString:
    # Only the item's reference and title come from users; they are escaped. The rest are
    # numbers and the chart module's own quadrant keys.
    return mark_safe(  # noqa: S308
        "".join(
            f'<use href="#marker-{point.shape}" x="{point.x:g}" y="{point.y:g}"'
            f' class="app-marker app-marker--{point.quadrant}"><title>{escape(point.reference)}'
            f" {escape(point.title)}: value {point.value:g}, effort {point.effort:g} team-days"
            f" ({point.quadrant_label})</title></use>"
            for point in matrix.points
        )
    )
