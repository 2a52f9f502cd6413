from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from councils.admin import CouncilAdmin
from councils.models import Council
from planner.defaults import ensure_council_defaults
from planner.models import (
    BacklogItem,
    Criterion,
    ExportRecord,
    PublishedPlan,
    RankingRun,
    Theme,
    WeightingProfile,
)


# `councils` never imports `planner`, so the planner extends the council admin here:
# a council created by a superuser starts with the default themes and criteria.
class PlannerCouncilAdmin(CouncilAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            ensure_council_defaults(obj)


admin.site.unregister(Council)
admin.site.register(Council, PlannerCouncilAdmin)


@admin.register(Theme)
class ThemeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "council", "position", "retired"]
    list_filter = ["council", "retired"]


class BacklogItemAdminForm(forms.ModelForm):
    """Refuses links to another council's theme (the model's clean()) or items."""

    class Meta:
        model = BacklogItem
        fields = "__all__"  # noqa: DJ007  # Django admin's own form: every editable field

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        depends_on = cleaned.get("depends_on")
        council = cleaned.get("council")
        if depends_on is not None and council is not None:
            self.instance.council = council
            try:
                self.instance.validate_dependencies(depends_on)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(BacklogItem)
class BacklogItemAdmin(SimpleHistoryAdmin):
    form = BacklogItemAdminForm
    list_display = ["reference", "title", "council", "theme", "status", "archived"]
    list_filter = ["council", "status", "archived"]
    search_fields = ["reference", "title"]
    raw_id_fields = ["depends_on"]


@admin.register(Criterion)
class CriterionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "council", "direction", "active"]
    list_filter = ["council"]


@admin.register(WeightingProfile)
class WeightingProfileAdmin(SimpleHistoryAdmin):
    list_display = ["name", "council", "method", "is_active"]
    list_filter = ["council"]


@admin.register(RankingRun)
class RankingRunAdmin(admin.ModelAdmin):
    list_display = ["council", "generation", "status", "requested_at", "finished_at"]
    list_filter = ["council", "status"]


@admin.register(PublishedPlan)
class PublishedPlanAdmin(admin.ModelAdmin):
    list_display = ["title", "council", "committee", "meeting_date"]
    list_filter = ["council"]


@admin.register(ExportRecord)
class ExportRecordAdmin(admin.ModelAdmin):
    list_display = ["filename", "council", "user", "kind", "created_at"]
    list_filter = ["council", "kind"]
