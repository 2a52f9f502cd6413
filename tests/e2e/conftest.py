"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
# test body are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session; Playwright cannot download its own here."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs it")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db):
    """The demo councils and users, as `make run` serves them (password "demo")."""
    from planner.management.commands.seed_demo import seed_demo

    seed_demo(password="demo")


@pytest.fixture
def page(browser, live_server, demo):
    """A fresh browser context (own cookies) on the live server with the demo seeded."""
    # bypass_csp lets the test inject axe-core; test_csp.py checks the real policy.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def strict_page(browser, live_server, demo):
    """A page that keeps the Content-Security-Policy in force and records violations."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.csp_errors = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and page.csp_errors.append(message.text)
        ),
    )
    yield page
    context.close()


@pytest.fixture
def no_js_page(browser, live_server, demo):
    """The same, with JavaScript switched off: every journey must work without it."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def submit_password(page, username: str, password: str = "demo") -> None:
    """Fill and send the sign-in page's password form (not the single sign-on form above it)."""
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_in(page, username: str, password: str = "demo") -> None:
    page.goto("/login/")
    submit_password(page, username, password)
    page.wait_for_url("**/")


def axe_violations(page) -> list[dict]:
    """Run axe-core in the page; return its violations (id, impact, help, targets)."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" "))}));
        }"""
    )
    return result


def save_screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def current_totp_code(username: str) -> str:
    """The code the user's authenticator app shows now (read from its stored secret)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username=username)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def set_up_two_factor(page, username: str) -> list[str]:
    """On the two-factor set-up page (where admins land after their password), turn it on;
    the recovery codes shown."""
    page.wait_for_url("**/account/two-factor/")
    page.fill("#id_code", current_totp_code(username))
    page.click("button:has-text('Turn on two-factor sign-in')")
    page.get_by_role("heading", name="Two-factor sign-in is on").wait_for()
    return page.locator(".app-recovery-codes code").all_inner_texts()
