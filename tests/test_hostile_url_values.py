"""Issue 14, item 6: every URL parameter the URL conf declares, and the query parameters the
pages read, given NUL bytes, over-long values and wrong types: never a 500. It matters on
PostgreSQL, which refuses NUL in text; run it there with DATABASE_URL (CI does)."""

from __future__ import annotations

import re

import pytest

from tests.test_tenant_isolation import COUNCIL_ROUTES, ROUTE_IDS, SAMPLE_VALUES

HOSTILE = ["DIG%00001", "%00", "9" * 40, "x" * 3000, "-1", "1.5", "%C0%AF", "%FF"]
QUERY_NAMES = ["plan", "page", "all", "item", "profile", "status", "theme", "q", "a", "b"]


def _urls(route: str, slug: str) -> list[str]:
    params = list(re.finditer(r"<(?:(\w+):)?\w+>", route))
    urls = []
    for index, _ in enumerate(params):
        for hostile in HOSTILE:

            def value(match: re.Match, index=index, hostile=hostile) -> str:
                if match.start() == params[index].start():
                    return hostile
                return SAMPLE_VALUES.get(match.group(1) or "str", "1")

            urls.append(
                "/"
                + re.sub(
                    r"<(?:(\w+):)?\w+>",
                    value,
                    route.replace("<slug:slug>", slug, 1)
                    if params[index].group(0) != "<slug:slug>"
                    else route,
                )
            )
    return urls


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name"), COUNCIL_ROUTES, ids=ROUTE_IDS)
def test_hostile_url_values_never_give_a_500(admin_client_for_council, council, route, name):
    client = admin_client_for_council
    client.raise_request_exception = False
    sample = "/" + re.sub(
        r"<(?:(\w+):)?\w+>",
        lambda m: SAMPLE_VALUES.get(m.group(1) or "str", "1"),
        route.replace("<slug:slug>", council.slug, 1),
    )
    urls = _urls(route, council.slug)
    for hostile in HOSTILE:
        urls.append(sample + "?" + "&".join(f"{key}={hostile}" for key in QUERY_NAMES))
        urls.append(sample + f"?{hostile}=1")
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code < 500, (method.__name__, url[:200])
