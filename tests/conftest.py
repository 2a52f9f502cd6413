from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from councils.models import Role
from tests.factories import PASSWORD, CouncilFactory, MembershipFactory, UserFactory

# Services are real in CI: a test that needs one that is missing must fail, not skip.
IN_CI = os.environ.get("CI", "").lower() == "true"
TESTS = Path(__file__).resolve().parent
ONE_AT_A_TIME = ("e2e", "integration")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist with `--dist loadgroup` (as `make test` runs), the browser and
    integration tests all go to one worker and run one after another, as they do without
    xdist: one Chromium and one live server at a time, and the worker processes they start
    never compete with each other. The other workers share out the rest meanwhile."""
    for item in items:
        path = Path(item.fspath).resolve()
        if any(TESTS / folder in path.parents for folder in ONE_AT_A_TIME) or any(
            item.get_closest_marker(marker) for marker in ONE_AT_A_TIME
        ):
            item.add_marker(pytest.mark.xdist_group("e2e-and-integration"))


@pytest.fixture(scope="session", autouse=True)
def fast_password_hasher():
    """MD5 for every test: the strong default costs ~0.4 s a password, and every signed-in
    fixture user has one. test_settings.py checks the production setting stays strong."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def eager_celery(settings):
    """Unit tests run tasks in-process; the integration tests start a real worker instead."""
    from planner.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def council(db):
    """A council with the default themes, criteria and active weighting profile."""
    return CouncilFactory()


@pytest.fixture
def other_council(db):
    """A second council, to prove one council's members never see it."""
    return CouncilFactory(name="Elsewhere Borough Council")


class MemberClient(Client):
    """A test client signed in as `user`, a member of the council."""

    def __init__(self, user: User) -> None:
        super().__init__()
        self.user = user
        self.force_login(user)


def member_client(council, role: Role) -> MemberClient:
    """A new member of `council` with `role`, signed in."""
    user = UserFactory.create(username=f"{role.label.lower()}-{council.slug}")
    MembershipFactory(user=user, council=council, role=role)
    return MemberClient(user)


@pytest.fixture
def viewer_client(council) -> MemberClient:
    """Signed in as a viewer (CIO, councillor) of `council`."""
    return member_client(council, Role.VIEWER)


@pytest.fixture
def editor_client(council) -> MemberClient:
    """Signed in as an editor (digital lead) of `council`."""
    return member_client(council, Role.EDITOR)


@pytest.fixture
def approver_client(council) -> MemberClient:
    """Signed in as an approver (CIO) of `council`."""
    return member_client(council, Role.APPROVER)


@pytest.fixture
def admin_client_for_council(council) -> MemberClient:
    """Signed in as an admin (head of digital) of `council`."""
    return member_client(council, Role.ADMIN)


@pytest.fixture
def outsider_client(other_council) -> MemberClient:
    """Signed in as an admin of another council only."""
    return member_client(other_council, Role.ADMIN)


@pytest.fixture
def password() -> str:
    return PASSWORD
