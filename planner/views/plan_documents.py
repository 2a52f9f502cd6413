"""A published plan as a committee document: Word, Excel or PDF, public or full (issue 12).

Any member may download the public version; the full version, with exempt items' problem
statements and costs, is for approvers and above, and anyone else asking for it gets 403
(the plan page only offers them the public links). Every download is recorded in the export
audit, as the CSVs are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views.decorators.http import require_safe

from councils.access import council_for
from planner import csv_export, render_docx, render_pdf, render_xlsx
from planner.plan_document import PlanDocument, plan_document
from planner.views.helpers import HtmxHttpRequest

PUBLIC, FULL = "public", "full"
VERSIONS = (PUBLIC, FULL)


class Renderer(NamedTuple):
    label: str
    content_type: str
    render: Callable[[PlanDocument], bytes]


RENDERERS = {
    "docx": Renderer("Word", render_docx.CONTENT_TYPE, render_docx.render),
    "xlsx": Renderer("Excel", render_xlsx.CONTENT_TYPE, render_xlsx.render),
    "pdf": Renderer("PDF", render_pdf.CONTENT_TYPE, render_pdf.render),
}


@login_required
@require_safe
def plan_document_download(
    request: HtmxHttpRequest, slug: str, plan_slug: str, extension: str
) -> HttpResponse:
    access = council_for(request, slug)
    council = access.council
    renderer = RENDERERS.get(extension)
    version = request.GET.get("version", PUBLIC)
    if renderer is None or version not in VERSIONS:
        raise Http404("There is no such download.")
    if version == FULL and not access.can_approve:
        raise PermissionDenied("The full version is for approvers and admins.")
    # The snapshot's entries stream from the database a chunk at a time (plan_document).
    plan = get_object_or_404(
        council.plans.defer("snapshot").select_related("council"), slug=plan_slug
    )
    data = renderer.render(plan_document(plan, public=version == PUBLIC))
    filename = csv_export.export_filename(council, f"{plan.slug}-{version}", extension)
    csv_export.record_export(
        council=council,
        user=request.user,
        kind="plan",
        description=f"Published plan ({renderer.label}, {version} version): {plan.title}",
        filename=filename,
    )
    response = HttpResponse(data, content_type=renderer.content_type)
    response["Content-Disposition"] = csv_export.content_disposition(filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path(
        "plans/<slug:plan_slug>/document.<slug:extension>",
        plan_document_download,
        name="plan_document",
    ),
]
