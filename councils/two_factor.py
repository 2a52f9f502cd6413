"""Two-factor sign-in for local accounts: an authenticator app (TOTP) and recovery codes.

django-otp keeps the devices and their throttling: each wrong code doubles the wait before
that device accepts another try, and a recovery code is deleted as it is used.
"""

from __future__ import annotations

from base64 import b32encode

import segno
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django_otp import devices_for_user, user_has_device
from django_otp import verify_token as otp_verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from councils.models import Role

RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6
# The users `manage.py seed_demo` creates (tests/councils/test_two_factor.py keeps the two
# lists equal): exempt while DEBUG is on, so the demo stays two commands.
DEMO_USERNAMES = frozenset({"lead", "cio", "admin", "clerk", "solo"})


def is_demo_exempt(user: User) -> bool:
    return settings.TWO_FACTOR_DEMO_EXEMPT and user.username in DEMO_USERNAMES


def is_required(user: User) -> bool:
    """Whether `user` must use two-factor sign-in: admins of any council and superusers."""
    if is_demo_exempt(user):
        return False
    return user.is_superuser or user.memberships.filter(role__gte=Role.ADMIN).exists()


def is_set_up(user: User | AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user_has_device(user, confirmed=True))


def pending_app(user: User) -> TOTPDevice:
    """The authenticator app being set up: one unconfirmed device, kept across page loads
    so the QR code does not change while the person scans it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def qr_code_svg(device: TOTPDevice) -> str:
    """The app's set-up link as an inline SVG QR code (no external image, CSP-safe)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, title="QR code for your authenticator app"
    )


def secret_for_typing(device: TOTPDevice) -> str:
    """The shared secret in base32, in groups of four, for apps set up by hand."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def _normalise(code: str) -> str:
    return "".join(code.split()).lower()


@transaction.atomic
def confirm_app(device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app with a code it shows; on success replace every other app and return
    a fresh set of recovery codes (shown once). None if the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token(_normalise(code)):
        return None
    TOTPDevice.objects.filter(user=device.user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(device.user)


@transaction.atomic
def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODE_COUNT new single-use ones."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def verify(user: User, code: str) -> Device | None:
    """The device that accepts `code`: six digits go to the app, anything else is a
    recovery code. Only that device's throttle counts the try."""
    code = _normalise(code)
    model: type[Device] = (
        TOTPDevice if code.isdigit() and len(code) == TOTP_DIGITS else StaticDevice
    )
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, model):
            return otp_verify_token(user, device.persistent_id, code)
    return None
