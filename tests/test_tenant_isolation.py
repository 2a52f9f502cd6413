"""Every council URL in the URL conf, checked for the access rules.

The routes are read from the URL conf, so a page added later is covered without
touching this file: anonymous → sign in, non-member → 404, too-low role → 403 on POST.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from councils.models import Role
from tests.conftest import member_client

# The least role that may POST to each route; every other council POST needs an editor.
APPROVER_POSTS = {
    "weightings",
    "weighting_profile",
    "weighting_profile_new",
    "weighting_profile_copy",
    "weighting_profile_activate",
    "option_new",
    "option_rename",
    "option_delete",
    "options_refresh",
    "plan_publish",
    "planning_settings",
    "roadmap_pin",
}
ADMIN_POSTS = {
    "themes",
    "theme_edit",
    "criteria",
    "criterion_edit",
    "council_settings",
    "members",
    "member_role",
    "member_remove",
    "wards",
    "ward_edit",
    "directorates",
    "directorate_edit",
    "sso_settings",
}
# Routes that viewers may POST to: a participant (any role) scores a round on its own page;
# "Compare two items" only turns the ticked rows into the comparison's address.
VIEWER_POSTS: set[str] = {"round_score", "compare_items_select"}


def least_post_role(name: str) -> Role:
    if name in VIEWER_POSTS:
        return Role.VIEWER
    if name in ADMIN_POSTS:
        return Role.ADMIN
    if name in APPROVER_POSTS:
        return Role.APPROVER
    return Role.EDITOR


SAMPLE_VALUES = {
    "int": "1",
    "slug": "sample",
    "str": "DIG-001",
    "uuid": str(uuid.uuid4()),
    "path": "x",
}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def _council_routes():
    routes = [
        (route, name)
        for route, name in _walk(get_resolver().url_patterns)
        if route.startswith("c/<slug:slug>/")
    ]
    assert routes, "no council routes found in the URL conf"
    return routes


def _url_for(route: str, slug: str) -> str:
    path = route.replace("<slug:slug>", slug, 1)

    def sample(match: re.Match) -> str:
        converter = match.group(1) or "str"
        return SAMPLE_VALUES.get(converter, "1")

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", sample, path)


COUNCIL_ROUTES = _council_routes()
ROUTE_IDS = [name or route for route, name in COUNCIL_ROUTES]


@pytest.mark.parametrize(("route", "name"), COUNCIL_ROUTES, ids=ROUTE_IDS)
def test_anonymous_visitor_is_sent_to_sign_in(client, council, route, name):
    response = client.get(_url_for(route, council.slug))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(("route", "name"), COUNCIL_ROUTES, ids=ROUTE_IDS)
def test_non_member_gets_404_for_get_and_post(outsider_client, council, route, name):
    url = _url_for(route, council.slug)
    assert outsider_client.get(url).status_code in {404, 405}
    assert outsider_client.post(url).status_code in {404, 405}


@pytest.mark.parametrize(("route", "name"), COUNCIL_ROUTES, ids=ROUTE_IDS)
def test_unknown_council_looks_the_same_as_someone_elses(outsider_client, route, name):
    response = outsider_client.get(_url_for(route, "no-such-council"))
    assert response.status_code in {404, 405}


@pytest.mark.parametrize(("route", "name"), COUNCIL_ROUTES, ids=ROUTE_IDS)
def test_viewer_post_is_refused(viewer_client, council, route, name):
    if name in VIEWER_POSTS:
        pytest.skip("viewers may post here")
    response = viewer_client.post(_url_for(route, council.slug))
    # 405 means the route takes no POST at all; anything accepting POST must refuse.
    assert response.status_code in {403, 405}


@pytest.mark.parametrize(("route", "name"), COUNCIL_ROUTES, ids=ROUTE_IDS)
def test_post_needs_the_least_role_for_the_route(council, route, name):
    """Every role below the route's least role gets 403; the least role itself is let in
    (whatever the sample values then give: 400, 404, a redirect, but never 403)."""
    url = _url_for(route, council.slug)
    least = least_post_role(name)
    for role in Role:
        response = member_client(council, role).post(url)
        if response.status_code == 405:
            pytest.skip("the route takes no POST")
        if role < least:
            assert response.status_code == 403, (role.label, response.status_code)
        elif role == least:
            assert response.status_code != 403, role.label


def test_the_role_lists_name_real_routes():
    names = {name for _, name in COUNCIL_ROUTES}
    assert names >= (APPROVER_POSTS | ADMIN_POSTS | VIEWER_POSTS)


def test_every_council_route_is_named():
    assert all(name for _, name in COUNCIL_ROUTES)
