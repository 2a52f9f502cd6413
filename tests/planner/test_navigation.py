from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import BacklogItemFactory


@pytest.mark.parametrize(
    ("client_fixture", "visible", "hidden"),
    [
        ("viewer_client", ["Backlog", "Roadmap", "Published plans"], ["Import", "Settings"]),
        ("editor_client", ["Backlog", "Import"], ["Themes", "Criteria", "Settings"]),
        ("approver_client", ["Import", "Settings"], ["Themes", "Criteria"]),
        ("admin_client_for_council", ["Import", "Themes", "Criteria", "Settings"], []),
    ],
)
def test_menu_offers_only_pages_the_role_may_use(request, council, client_fixture, visible, hidden):
    client = request.getfixturevalue(client_fixture)
    menu = client.get(f"/c/{council.slug}/").content.decode()
    menu = menu[menu.index('id="navigation"') : menu.index("</nav>")]
    for label in visible:
        assert f">{label}<" in menu
    for label in hidden:
        assert f">{label}<" not in menu


@pytest.mark.parametrize(
    "page",
    [
        "dashboard",
        "backlog",
        "roadmap",
        "plans",
        "plan_compare",
        "weightings",
        "import",
        "themes",
        "criteria",
        "exports",
        "item_new",
        "item_detail",
        "ranking_status",
        "council_settings",
        "members",
        "wards",
        "directorates",
        "planning_settings",
    ],
)
def test_every_council_page_shows_the_members_role_and_menu(
    admin_client_for_council, council, page
):
    # Each view hands the template its `access` (council and membership): the header shows
    # the role and the menu offers the admin-only pages.
    args = [council.slug]
    if page == "item_detail":
        args.append(BacklogItemFactory(council=council).reference)
    html = admin_client_for_council.get(reverse(page, args=args)).content.decode()
    assert "(your role:</span>" in html
    assert '<strong class="govuk-tag govuk-tag--grey">Admin</strong>' in html
    menu = html[html.index('id="navigation"') : html.index("</nav>")]
    assert ">Themes<" in menu
