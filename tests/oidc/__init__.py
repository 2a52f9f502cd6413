"""Starts tests/oidc/provider.mjs, a real OpenID Connect provider (npm's oidc-provider)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

SCRIPT = Path(__file__).resolve().parent / "provider.mjs"
CLIENT_ID = "planner-test"
CLIENT_SECRET = "test-client-secret"
# Who the test provider knows: email -> display name and the groups claim it sends.
USERS = {
    "ada@northmoor.gov.uk": {"name": "Ada Approver", "groups": ["Planner-Approvers"]},
    "ed@northmoor.gov.uk": {"name": "Ed Editor", "groups": ["Planner-Editors", "All-Staff"]},
    "nobody@northmoor.gov.uk": {"name": "No Group", "groups": ["All-Staff"]},
    "ada@elsewhere.gov.uk": {"name": "Ada Elsewhere", "groups": ["Planner-Approvers"]},
}


@dataclass(frozen=True)
class OidcTestProvider:
    issuer: str

    def set_mode(self, mode: str) -> None:
        """normal, wrong-audience, wrong-issuer, expired or tampered (see provider.mjs)."""
        requests.post(f"{self.issuer}/__test/mode", json={"mode": mode}, timeout=5)


@contextmanager
def running_provider(redirect_uris: list[str]) -> Iterator[OidcTestProvider]:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("node not found; make install needs Node.js")
        pytest.skip("node not found")
    config = {
        "port": 0,
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirect_uris,
            }
        ],
        "users": USERS,
    }
    process = subprocess.Popen(  # noqa: S603 - a fixed script and the test's own config
        [node, str(SCRIPT)],
        env={**os.environ, "OIDC_TEST_CONFIG": json.dumps(config)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=SCRIPT.parents[2],
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("listening "):
            pytest.fail(f"the test OpenID Connect provider did not start: {line!r}")
        yield OidcTestProvider(issuer=line.removeprefix("listening "))
    finally:
        process.terminate()
        process.wait(timeout=10)
