from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from councils import sso_views
from planner.views import (
    backlog,
    compare_items,
    council_settings,
    dashboard,
    exports,
    health,
    imports,
    invitations,
    items,
    manage,
    options,
    plan_documents,
    planning,
    plans,
    roadmap,
    rounds,
    runs,
    score_grid,
    setup,
    weightings,
)

# Every council page lives under /c/<slug>/; each page family lists its own routes.
council_urlpatterns = [
    *dashboard.urlpatterns,
    *backlog.urlpatterns,
    *items.urlpatterns,
    *compare_items.urlpatterns,
    *score_grid.urlpatterns,
    *setup.urlpatterns,
    *weightings.urlpatterns,
    *options.urlpatterns,
    *runs.urlpatterns,
    *roadmap.urlpatterns,
    *planning.urlpatterns,
    *plans.urlpatterns,
    *plan_documents.urlpatterns,
    *exports.urlpatterns,
    *imports.urlpatterns,
    *rounds.urlpatterns,
    *council_settings.urlpatterns,
    *sso_views.council_urlpatterns,
]

urlpatterns = [
    path("", include("councils.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("ping", health.ping, name="ping"),
    # Django admin's own sign-in would skip the throttled two-factor sign-in: use ours.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("manage/", include(manage.urlpatterns)),
    *invitations.urlpatterns,
    path("c/<slug:slug>/", include(council_urlpatterns)),
]
