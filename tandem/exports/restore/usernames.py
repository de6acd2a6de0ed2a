"""Who every writer in a file becomes here: new accounts, or attached to existing ones.

A name in the file that already exists here is refused unless the admin mapped it, so
nobody's account is written into by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from tandem.accounts.models import User
from tandem.exports.restore.parsed import RestoreError

__all__ = ["Account", "resolve_usernames"]


@dataclass(frozen=True)
class Account:
    source: str  # the username in the file
    target: str  # the username here
    existing: User | None  # set when the file's writer is attached to this account


def resolve_usernames(usernames: list[str], username_map: dict[str, str]) -> list[Account]:
    """Who every writer in the file becomes here. Refuses clashes nobody asked for."""
    mapping: dict[str, str] = {}
    for old, new in username_map.items():
        old, new = str(old).strip().lstrip("@"), str(new).strip().lstrip("@")
        if not old or not new:
            raise RestoreError("Every username mapping needs a name on both sides (old=new).")
        mapping[old.lower()] = new
    in_file = {name.lower() for name in usernames}
    unknown = sorted(name for name in mapping if name not in in_file)
    if unknown:
        raise RestoreError(
            f"The username map names {', '.join(unknown)}, who "
            f"{'is' if len(unknown) == 1 else 'are'} not in this file. Its writers are: "
            f"{', '.join(usernames)}."
        )
    accounts, clashes, targets = [], [], {}
    for name in usernames:
        explicit = name.lower() in mapping
        target = mapping.get(name.lower(), name)
        if target.lower() in targets:
            raise RestoreError(
                f"Both {targets[target.lower()]} and {name} would become {target}; map them "
                "to different usernames."
            )
        targets[target.lower()] = name
        existing = User.objects.filter(username__iexact=target).first()
        if existing is not None and not explicit:
            clashes.append(name)
            continue
        if existing is None:
            try:
                User.username_validator(target)
            except ValidationError:
                raise RestoreError(
                    f"“{target}” cannot be a username: use letters, digits and @ . + - _ only."
                ) from None
            if len(target) > User._meta.get_field("username").max_length:
                raise RestoreError(f"“{target}” is too long for a username.")
        accounts.append(Account(name, target, existing))
    if clashes:
        clashes.sort(key=str.lower)
        first = clashes[0]
        if len(clashes) == 1:
            raise RestoreError(
                f"This username already exists here: {first}. Map it to a new name "
                f"(--map {first}={first}2) or, to attach to the existing account, map it to "
                f"itself (--map {first}={first})."
            )
        raise RestoreError(
            f"These usernames already exist here: {', '.join(clashes)}. Map them to new "
            f"names (--map {first}={first}2) or, to attach to the existing accounts, map "
            f"them to themselves (--map {first}={first})."
        )
    return accounts
