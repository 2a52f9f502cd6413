from django.contrib import admin

from councils.models import Council, Membership


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
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "council", "role"]
    list_filter = ["role", "council"]
    search_fields = ["user__username", "council__name"]
    autocomplete_fields = ["user", "council"]
