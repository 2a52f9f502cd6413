"""Helpers for the tests that race real requests or services against each other.

They need real row locks, so they run on PostgreSQL (CI) and skip on SQLite.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from councils.models import Role
from tests.factories import CouncilFactory, MembershipFactory, UserFactory


def needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")


def council_with_member(role: Role) -> tuple[Any, Any]:
    """A new council and a new user who is a member of it with `role`."""
    council = CouncilFactory()
    user = UserFactory()
    MembershipFactory(user=user, council=council, role=role)
    return council, user


def at_once(count: int, action: Callable[[int], Any]) -> list[Any]:
    """Run `action(n)` in `count` threads released together; their results, in the order
    they finished. Fails the test if any thread raised."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[Exception] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            results.append(action(n))
        except Exception as error:  # collected so the main thread can report it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results
