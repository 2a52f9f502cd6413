from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from councils.models import Council, Directorate, Invitation, Membership, Ward


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "nation", "council_type", "capacity_days_per_quarter"]
    list_filter = ["nation", "council_type"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "council", "role"]
    list_filter = ["role", "council"]
    search_fields = ["user__username", "council__name"]
    autocomplete_fields = ["user", "council"]


@admin.register(Invitation)
class InvitationAdmin(SimpleHistoryAdmin):
    list_display = ["email", "council", "role", "created_at", "accepted_at"]
    list_filter = ["council", "role"]
    search_fields = ["email"]
    readonly_fields = ["invited_by", "accepted_by", "accepted_at"]


@admin.register(Ward, Directorate)
class CouncilListAdmin(SimpleHistoryAdmin):
    list_display = ["name", "council"]
    list_filter = ["council"]
    search_fields = ["name"]
