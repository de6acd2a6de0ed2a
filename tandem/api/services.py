"""Writes for API tokens: make one (shown once), revoke one."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.api.models import AccessToken, TokenScope

#: Tokens start with this, so a leaked one is recognisable in logs and by secret scanners.
TOKEN_PREFIX = "tdm_"
#: Live tokens a writer may hold at once.
MAX_TOKENS = 20


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(*, user: User, name: str, scope: str = TokenScope.READ) -> tuple[AccessToken, str]:
    """A new token for ``user``; returns the row and the token itself, which is not kept."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("Give the token a name, such as the tool that will use it.")
    if len(name) > 80:
        raise ValidationError(f"A token's name is at most 80 characters (this is {len(name)}).")
    if scope not in TokenScope.values:
        raise ValidationError("A token is either read only or read and write.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        # Locks the writer's row: two requests at once cannot both pass the cap.
        User.objects.select_for_update().filter(pk=user.pk).first()
        live = AccessToken.objects.filter(user=user, revoked_at__isnull=True).count()
        if live >= MAX_TOKENS:
            raise ValidationError(
                f"You have {MAX_TOKENS} tokens already. Revoke one you no longer use first."
            )
        token = AccessToken.objects.create(
            user=user, name=name, scope=scope, prefix=raw[:12], digest=token_digest(raw)
        )
    return token, raw


def token_revoke(*, token: AccessToken, user: User) -> None:
    """Revoke one of ``user``'s own tokens (another writer's token is not found)."""
    if token.user_id != user.pk:
        raise AccessToken.DoesNotExist("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
