"""Reads for API tokens."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from tandem.accounts.models import User
from tandem.api.models import AccessToken
from tandem.api.services import TOKEN_PREFIX, token_digest

#: "Last used" is written at most this often, so a busy script does not write a row per call.
LAST_USED_STEP = timedelta(minutes=1)


def tokens_of(user: User) -> QuerySet[AccessToken]:
    """The writer's tokens that still work, newest first."""
    return AccessToken.objects.filter(user=user, revoked_at__isnull=True)


def token_for(raw: str) -> AccessToken | None:
    """The live token ``raw`` is, of an active account, or None; notes when it was used."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        AccessToken.objects.filter(digest=token_digest(raw), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_STEP:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
