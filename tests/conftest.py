from __future__ import annotations

import os

import pytest
from django.test import Client, override_settings

from councils.models import Role
from tests.factories import PASSWORD, CouncilFactory, MembershipFactory, UserFactory

# Services are real in CI: a test that needs one that is missing must fail, not skip.
IN_CI = os.environ.get("CI", "").lower() == "true"


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


def _member_client(council, role: Role) -> Client:
    user = UserFactory(username=f"{role.label.lower()}-{council.slug}")
    MembershipFactory(user=user, council=council, role=role)
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def viewer_client(council) -> Client:
    """Signed in as a viewer (CIO, councillor) of `council`."""
    return _member_client(council, Role.VIEWER)


@pytest.fixture
def editor_client(council) -> Client:
    """Signed in as an editor (digital lead) of `council`."""
    return _member_client(council, Role.EDITOR)


@pytest.fixture
def admin_client_for_council(council) -> Client:
    """Signed in as an admin (head of digital) of `council`."""
    return _member_client(council, Role.ADMIN)


@pytest.fixture
def outsider_client(other_council) -> Client:
    """Signed in as an admin of another council only."""
    return _member_client(other_council, Role.ADMIN)


@pytest.fixture
def password() -> str:
    return PASSWORD
