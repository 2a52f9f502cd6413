from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("client_fixture", "visible", "hidden"),
    [
        ("viewer_client", ["Backlog", "Roadmap", "Published plans"], ["Import", "Themes"]),
        ("editor_client", ["Backlog", "Import"], ["Themes", "Criteria"]),
        ("admin_client_for_council", ["Import", "Themes", "Criteria"], []),
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
