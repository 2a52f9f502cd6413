"""planner.middleware: a lost database connection gives the 503 page, not a bare 500."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.urls import reverse

from planner.views import dashboard


def test_a_lost_database_connection_gives_the_unavailable_page(viewer_client, council, monkeypatch):
    def cut(**kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(dashboard, "dashboard_for", cut)
    response = viewer_client.get(reverse("dashboard", args=[council.slug]))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "your change has not been saved" in response.text
    assert "terminating connection" not in response.text  # no internals on the page


def test_other_errors_are_not_disguised_as_an_outage(viewer_client, council, monkeypatch):
    def broken(**kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(dashboard, "dashboard_for", broken)
    with pytest.raises(ValueError, match="a bug"):
        viewer_client.get(reverse("dashboard", args=[council.slug]))
