"""Backlog import from CSV or .xlsx: upload, match the sheet's columns (unless they are our
own export's), preview every value and error, then apply all or nothing. Also the blank
templates to fill in."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from councils.access import CouncilAccess, council_for
from councils.models import Role
from planner import csv_import, import_mapping, import_templates
from planner.csv_export import content_disposition
from planner.csv_safety import CsvFileError
from planner.forms import ImportColumnsForm, ImportUploadForm
from planner.models import PendingImport
from planner.views.helpers import HtmxHttpRequest

# Rows (and row errors) shown per page of the preview: a 20,000-row file is 100 pages, not
# one 100 MB page (issue 14).
PREVIEW_PAGE_SIZE = 200


def _shown(what: str, start: int, shown: int, total: int) -> str:
    """'Showing rows 201 to 400 of 12,345' when a table has more than one page."""
    if total <= PREVIEW_PAGE_SIZE:
        return ""
    if not shown:
        return f"All {total:,} {what} are on earlier pages"
    return f"Showing {what} {start + 1:,} to {start + shown:,} of {total:,}"


def _page(
    request: HtmxHttpRequest,
    access: CouncilAccess,
    *,
    form: ImportUploadForm,
    pending: PendingImport | None = None,
    preview: csv_import.ImportPreview | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "access": access,
        "council": access.council,
        "nav": "import",
        "form": form,
        "pending": pending,
        "preview": preview,
        "max_rows": settings.IMPORT_MAX_ROWS,
    }
    if preview is not None:
        # One page number for both tables (rows to import, errors): the longer decides how
        # many pages there are, and page N shows each table's Nth slice of 200.
        longest = max(len(preview.rows), len(preview.errors))
        page = Paginator(range(longest), PREVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
        start = (page.number - 1) * PREVIEW_PAGE_SIZE
        end = start + PREVIEW_PAGE_SIZE
        rows, errors = preview.rows[start:end], preview.errors[start:end]
        context.update(
            page=page,
            # Each row with the values it will write, so the preview shows what was read.
            rows_shown=[
                (row, csv_import.values_read(row, preview.criterion_names)) for row in rows
            ],
            errors_shown=errors,
            first_shown=start + 1,
            rows_note=_shown("rows", start, len(rows), len(preview.rows)),
            errors_note=_shown("errors", start, len(errors), len(preview.errors)),
        )
    return render(request, "planner/import.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.EDITOR)
    council = access.council
    if request.method == "GET":
        return _page(request, access, form=ImportUploadForm())
    form = ImportUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            pending = csv_import.receive_upload(
                council=council, user=request.user, upload=form.cleaned_data["file"]
            )
        except CsvFileError as error:
            form.add_error("file", str(error))
        else:
            header = csv_import.file_header(pending.text)
            if import_mapping.matches_itself(header, _targets(access)):
                return redirect("import_preview", council.slug, pending.token)
            return redirect("import_columns", council.slug, pending.token)
    return _page(request, access, form=form, status=400)


def _targets(access: CouncilAccess) -> list[import_mapping.Target]:
    criteria = access.council.criteria.filter(active=True).order_by("position", "id")
    return import_mapping.targets(criteria)


@login_required
@require_http_methods(["GET", "POST"])
def import_columns(request: HtmxHttpRequest, slug: str, token: UUID) -> HttpResponse:
    """Match each column of the uploaded sheet to a field, or ignore it; choose the sheet."""
    access = council_for(request, slug, min_role=Role.EDITOR)
    council = access.council
    pending = _pending(access, request, token)
    sheet_error = ""
    if request.method == "POST" and "choose_sheet" in request.POST:
        try:
            csv_import.choose_sheet(pending=pending, sheet=request.POST.get("sheet", ""))
        except CsvFileError as error:
            sheet_error = str(error)
        else:
            return redirect("import_columns", council.slug, pending.token)
    header = csv_import.file_header(pending.text)
    options = _targets(access)
    initial = pending.mapping or import_mapping.initial_mapping(
        header, options, import_mapping.remembered(council, header)
    )
    if len(initial) != len(header):
        initial = [csv_import.IGNORE] * len(header)
    mapping_posted = request.method == "POST" and not sheet_error
    form = ImportColumnsForm(
        request.POST if mapping_posted else None,
        header=header,
        targets=[(target.key, target.label) for target in options],
        initial_mapping=initial,
    )
    if mapping_posted and form.is_valid():
        pending.mapping = form.mapping()
        pending.save(update_fields=["mapping"])
        import_mapping.remember(council, header, pending.mapping)
        return redirect("import_preview", council.slug, pending.token)
    context = {
        "access": access,
        "council": council,
        "nav": "import",
        "form": form,
        "pending": pending,
        "sheet_error": sheet_error,
        # Each column's select with the first row's cell, to help recognise the column.
        "columns": list(zip(form, _samples(pending.text, len(header)), strict=True)),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "planner/import_columns.html", context, status=status)


def _samples(text: str, width: int) -> list[str]:
    """The first data row's cell under each heading, to help the user recognise columns."""
    first = csv_import.first_row(text)
    return [(first[i] if i < len(first) else "")[:60] for i in range(width)]


@login_required
@require_safe
def import_template(request: HtmxHttpRequest, slug: str, kind: str) -> HttpResponse:
    """A blank template with every importable column and an example row (CSV or .xlsx)."""
    access = council_for(request, slug, min_role=Role.EDITOR)
    if kind not in import_templates.KINDS:
        raise Http404("No such template.")
    download = import_templates.build(council=access.council, user=request.user, kind=kind)
    response = HttpResponse(download.content, content_type=download.content_type)
    response["Content-Disposition"] = content_disposition(download.filename)
    return response


def _pending(access: CouncilAccess, request: HtmxHttpRequest, token: UUID) -> PendingImport:
    pending = csv_import.pending_for(council=access.council, user=request.user, token=token)
    if pending is None:
        raise Http404("This upload has expired or is not yours. Upload the file again.")
    return pending


@login_required
@require_safe
def import_preview(request: HtmxHttpRequest, slug: str, token: UUID) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.EDITOR)
    pending = _pending(access, request, token)
    preview = csv_import.validate(
        council=access.council,
        text=pending.text,
        encoding=pending.encoding,
        mapping=pending.mapping,
    )
    return _page(request, access, form=ImportUploadForm(), pending=pending, preview=preview)


@login_required
@require_POST
def import_apply(request: HtmxHttpRequest, slug: str, token: UUID) -> HttpResponse:
    access = council_for(request, slug, min_role=Role.EDITOR)
    pending = _pending(access, request, token)
    try:
        result = csv_import.apply_pending(
            council=access.council, user=request.user, pending=pending
        )
    except csv_import.ImportGone:
        # A concurrent apply of the same upload won (a double click, two tabs).
        raise Http404("This upload has already been imported or has expired.") from None
    except csv_import.ImportInvalid as invalid:
        # Something changed since the preview (or the file was never valid): show why.
        return _page(
            request,
            access,
            form=ImportUploadForm(),
            pending=pending,
            preview=invalid.preview,
            status=409,
        )
    messages.success(
        request,
        f"Import complete: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged.",
    )
    return redirect("backlog", access.council.slug)


urlpatterns = [
    path("import/", import_, name="import"),
    path("import/template.<str:kind>", import_template, name="import_template"),
    path("import/<uuid:token>/", import_preview, name="import_preview"),
    path("import/<uuid:token>/columns/", import_columns, name="import_columns"),
    path("import/<uuid:token>/apply/", import_apply, name="import_apply"),
]
