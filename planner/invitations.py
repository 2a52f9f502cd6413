"""Invitations to join a council by email, with a role.

The link an invitee receives carries the invitation's id, signed (django.core.signing) so it
cannot be guessed or altered. The invitation row makes the link single use: accepting locks
the row, so of two people submitting at once exactly one gets in. A link is valid for
INVITATION_DAYS from when it was sent, checked both from the signature and from the row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from councils.models import INVITATION_DAYS, Council, Invitation, Membership, Role
from planner.audit import record_history_user

SALT = "planner.invitations"
VALID_FOR = timedelta(days=INVITATION_DAYS)


class InvitationError(Exception):
    """The link cannot be used. The message says why, in words for the invitee."""


class WrongEmailError(InvitationError):
    """A signed-in person whose email is not the one invited."""


def token_for(invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=SALT)


def _pk_from(token: str) -> int:
    try:
        pk = signing.loads(token, salt=SALT, max_age=VALID_FOR)
    except signing.SignatureExpired as error:
        raise InvitationError(_EXPIRED) from error
    except signing.BadSignature as error:
        raise InvitationError(_NOT_VALID) from error
    if not isinstance(pk, int):
        raise InvitationError(_NOT_VALID)
    return pk


_NOT_VALID = "This invitation link is not valid. Check you copied all of it."
_EXPIRED = (
    f"This invitation has expired: invitations last {INVITATION_DAYS} days. "
    "Ask the council's admin to invite you again."
)
_USED = "This invitation has already been used. Sign in to reach the council."


def _check_usable(invitation: Invitation | None) -> Invitation:
    if invitation is None or not invitation.council.is_active:
        raise InvitationError("This invitation has been withdrawn. Ask the council's admin.")
    if invitation.accepted_at is not None:
        raise InvitationError(_USED)
    if invitation.created_at + VALID_FOR < timezone.now():
        raise InvitationError(_EXPIRED)
    return invitation


def find(token: str) -> Invitation:
    """The invitation a link names, if it can still be accepted; else InvitationError."""
    pk = _pk_from(token)
    return _check_usable(Invitation.objects.select_related("council").filter(pk=pk).first())


def existing_account(invitation: Invitation) -> AbstractBaseUser | None:
    """The account already registered with the invited email, if any."""
    return get_user_model().objects.filter(email__iexact=invitation.email).first()


def invite(
    *,
    council: Council,
    email: str,
    role: Role,
    invited_by: Any,
    link_for: Callable[[str], str],
) -> Invitation:
    """Record an invitation and email its link (`link_for(token)` makes the absolute URL).
    The email goes once the invitation is saved, so no link names a row that is not there."""
    invitation = Invitation(
        council=council,
        email=email,
        role=role,
        invited_by=invited_by if getattr(invited_by, "pk", None) else None,
    )
    record_history_user(invitation, invitation.invited_by)
    invitation.save()
    link = link_for(token_for(invitation))
    context = {"invitation": invitation, "link": link, "days": INVITATION_DAYS}
    transaction.on_commit(
        lambda: send_mail(
            f"You are invited to {council.name}'s Council Priority Planner",
            render_to_string("planner/invitation_email.txt", context),
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )
    )
    return invitation


@transaction.atomic
def accept(*, token: str, user: Any) -> Membership:
    """Make `user` a member with the invited role and use up the invitation. Raises
    WrongEmailError when the user's email is not the invited one, InvitationError when the
    link is no longer usable (also to the loser of two submits at the same moment)."""
    pk = _pk_from(token)
    invitation = _check_usable(
        Invitation.objects.select_for_update().select_related("council").filter(pk=pk).first()
    )
    if (user.email or "").casefold() != invitation.email.casefold():
        raise WrongEmailError(
            f"This invitation is for {invitation.email}, but you are signed in as "
            f"{user.get_username()}. Sign out, then open the link again."
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    record_history_user(invitation, user)
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    membership = Membership.objects.filter(council=invitation.council, user=user).first()
    if membership is None:
        # An existing member keeps their role: an invitation never demotes anyone.
        membership = Membership(council=invitation.council, user=user, role=invitation.role)
        record_history_user(membership, user)
        membership.save()
    return membership


@transaction.atomic
def accept_with_new_account(*, token: str, username: str, password: str) -> Membership:
    """Create the invitee's account (the password already checked by validate_password)
    with the invited email, then accept as accept() does."""
    invitation = find(token)
    if existing_account(invitation) is not None:
        raise InvitationError(
            f"There is already an account for {invitation.email}. Sign in to accept."
        )
    user = get_user_model().objects.create_user(
        username=username, email=invitation.email, password=password
    )
    return accept(token=token, user=user)
