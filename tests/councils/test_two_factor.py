"""Two-factor sign-in: the code step after the password, recovery codes, set-up, and the
rule that admins must use it (councils/two_factor.py, councils/views.py)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from councils import two_factor
from councils.models import Role
from councils.views import PENDING_SIGN_IN_KEY
from planner.management.commands.seed_demo import DEMO_USERS, SOLO_USER
from tests.concurrency import at_once, council_with_member, needs_postgres
from tests.factories import MembershipFactory, UserFactory


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _password_step(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def _with_app(user):
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    codes = two_factor.new_recovery_codes(user)
    return device, codes


def _forget_throttle(device):
    """Move the last failure into the past instead of sleeping through django-otp's wait."""
    device.refresh_from_db()
    device.throttling_failure_timestamp = timezone.now() - timedelta(hours=1)
    device.save()


@pytest.fixture
def lead(council):
    user = UserFactory(username="lead-2fa")
    MembershipFactory(user=user, council=council, role=Role.EDITOR)
    return user


def test_with_an_app_the_password_alone_does_not_sign_in(client, lead, password):
    _with_app(lead)
    response = _password_step(client, "lead-2fa", password)
    assert response.status_code == 302
    assert response["Location"] == "/login/code/"
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_sign_in_with_a_code_from_the_app(client, lead, password):
    device, _ = _with_app(lead)
    _password_step(client, "lead-2fa", password)
    page = client.get("/login/code/")
    assert b"Enter your code" in page.content
    response = client.post("/login/code/", {"code": _code(device)})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(lead.pk)
    assert client.session["otp_device_id"] == device.persistent_id
    assert client.get("/").status_code == 200


def test_a_wrong_code_is_refused_with_an_error(client, lead, password):
    _with_app(lead)
    _password_step(client, "lead-2fa", password)
    response = client.post("/login/code/", {"code": "000000"})
    assert response.status_code == 400
    assert b"govuk-error-summary" in response.content
    assert b"The code is not right" in response.content
    assert "_auth_user_id" not in client.session


def test_the_code_step_is_throttled_after_a_wrong_code(client, lead, password):
    device, _ = _with_app(lead)
    _password_step(client, "lead-2fa", password)
    client.post("/login/code/", {"code": "000000"})
    # Straight after a wrong code even the right one is refused: each failure doubles the wait.
    assert client.post("/login/code/", {"code": _code(device)}).status_code == 400
    _forget_throttle(device)
    assert client.post("/login/code/", {"code": _code(device)}).status_code == 302


def test_five_wrong_codes_end_the_sign_in(client, lead, password):
    device, _ = _with_app(lead)
    _password_step(client, "lead-2fa", password)
    for _ in range(5):
        _forget_throttle(device)
        response = client.post("/login/code/", {"code": "000000"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    _forget_throttle(device)
    assert client.post("/login/code/", {"code": _code(device)})["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_the_code_step_expires_after_five_minutes(client, lead, password):
    device, _ = _with_app(lead)
    _password_step(client, "lead-2fa", password)
    session = client.session
    session[PENDING_SIGN_IN_KEY]["at"] = time.time() - 301
    session.save()
    response = client.post("/login/code/", {"code": _code(device)})
    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_the_code_step_without_a_password_goes_to_sign_in(client, db):
    assert client.get("/login/code/")["Location"] == "/login/"


def test_a_recovery_code_works_once(lead, password):
    _, codes = _with_app(lead)
    first = Client()
    _password_step(first, "lead-2fa", password)
    assert first.post("/login/code/", {"code": codes[0].upper()}).status_code == 302
    assert first.session["_auth_user_id"] == str(lead.pk)
    assert two_factor.recovery_codes_left(lead) == 9

    second = Client()
    _password_step(second, "lead-2fa", password)
    assert second.post("/login/code/", {"code": codes[0]}).status_code == 400
    assert "_auth_user_id" not in second.session


def test_using_the_last_recovery_code_leads_to_making_new_ones(lead, password, client):
    device, codes = _with_app(lead)
    StaticDevice.objects.get(user=lead).token_set.exclude(token=codes[0]).delete()
    _password_step(client, "lead-2fa", password)
    response = client.post("/login/code/", {"code": codes[0]})
    assert response["Location"] == "/account/two-factor/"


def test_an_admin_without_an_app_is_sent_to_set_up_before_anything_else(client, council, password):
    admin = UserFactory(username="head")
    MembershipFactory(user=admin, council=council, role=Role.ADMIN)
    _password_step(client, "head", password)
    for path in ["/", f"/c/{council.slug}/", "/account/password/"]:
        assert client.get(path)["Location"] == "/account/two-factor/", path
    fragment = client.get(f"/c/{council.slug}/", HTTP_HX_REQUEST="true")
    assert fragment["HX-Redirect"] == "/account/two-factor/"
    page = client.get("/account/two-factor/")
    assert page.status_code == 200
    assert b"Council admins must use two-factor sign-in" in page.content
    assert client.post("/logout/").status_code == 302


def test_an_admin_who_sets_up_an_app_can_carry_on(client, council, password):
    admin = UserFactory(username="head")
    MembershipFactory(user=admin, council=council, role=Role.ADMIN)
    _password_step(client, "head", password)
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    response = client.post("/account/two-factor/", {"code": _code(device)})
    assert response.status_code == 200
    assert b"Two-factor sign-in is on" in response.content
    shown = re.findall(rb"<li><code>([a-z2-7]+)</code></li>", response.content)
    assert len(shown) == two_factor.RECOVERY_CODE_COUNT
    assert TOTPDevice.objects.get(user=admin).confirmed
    assert client.get(f"/c/{council.slug}/").status_code == 200


def test_set_up_with_a_wrong_code_keeps_the_app_unconfirmed(client, lead):
    client.force_login(lead)
    page = client.get("/account/two-factor/")
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=lead)
    assert two_factor.secret_for_typing(device).replace(" ", "").encode() in page.content.replace(
        b" ", b""
    )
    response = client.post("/account/two-factor/", {"code": "12345"})
    assert response.status_code == 400
    assert b"The code is not right" in response.content
    assert not two_factor.is_set_up(lead)


def test_the_qr_code_stays_the_same_until_the_app_is_confirmed(client, lead):
    client.force_login(lead)
    client.get("/account/two-factor/")
    client.get("/account/two-factor/")
    assert TOTPDevice.objects.filter(user=lead).count() == 1


def test_new_recovery_codes_replace_the_old_ones(client, lead):
    _, old_codes = _with_app(lead)
    client.force_login(lead)
    response = client.post("/account/two-factor/recovery-codes/")
    new_codes = re.findall(rb"<li><code>([a-z2-7]+)</code></li>", response.content)
    assert len(new_codes) == two_factor.RECOVERY_CODE_COUNT
    assert not set(old_codes) & {code.decode() for code in new_codes}
    assert two_factor.recovery_codes_left(lead) == two_factor.RECOVERY_CODE_COUNT


def test_an_editor_may_sign_in_without_two_factor(client, lead, password):
    _password_step(client, "lead-2fa", password)
    assert client.get("/").status_code == 200


def test_two_factor_pages_need_sign_in(client, db):
    assert client.get("/account/two-factor/")["Location"].startswith("/login/")
    assert client.post("/account/two-factor/recovery-codes/")["Location"].startswith("/login/")


def test_demo_users_are_exempt_only_while_debug_is_on(settings, council):
    demo_admin = UserFactory(username="admin")
    other_admin = UserFactory(username="head")
    for user in (demo_admin, other_admin):
        MembershipFactory(user=user, council=council, role=Role.ADMIN)
    settings.TWO_FACTOR_DEMO_EXEMPT = True
    assert not two_factor.is_required(demo_admin)
    assert two_factor.is_required(other_admin)
    settings.TWO_FACTOR_DEMO_EXEMPT = False
    assert two_factor.is_required(demo_admin)


def test_superusers_must_use_two_factor(db):
    assert two_factor.is_required(UserFactory(username="root", is_superuser=True))


def test_the_exempt_names_are_the_demo_users():
    seeded = {username for username, _, _ in DEMO_USERS} | {SOLO_USER[0]}
    assert seeded == two_factor.DEMO_USERNAMES


def test_django_admin_signs_in_through_the_two_factor_sign_in(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_an_app_code_works_only_once(lead, password):
    device, _ = _with_app(lead)
    code = _code(device)
    first = Client()
    _password_step(first, "lead-2fa", password)
    assert first.post("/login/code/", {"code": code}).status_code == 302
    second = Client()
    _password_step(second, "lead-2fa", password)
    assert second.post("/login/code/", {"code": code}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_one_recovery_code_sent_at_once_from_two_places_signs_in_once():
    needs_postgres()
    _, user = council_with_member(Role.EDITOR)
    _, codes = _with_app(user)
    results = at_once(4, lambda n: two_factor.verify(user, codes[0]) is not None)
    assert sorted(results) == [False, False, False, True]
    assert two_factor.recovery_codes_left(user) == two_factor.RECOVERY_CODE_COUNT - 1
