"""Blocking and unblocking. Shared threads stay; the blocker chooses whether to leave them."""

from django.db import IntegrityError, transaction

from tandem.accounts.models import User
from tandem.blocks.models import Block


class BlockError(ValueError):
    """A block that cannot be made, with a message for the writer."""


def block_writer(*, blocker: User, blocked: User) -> Block:
    if blocker.pk == blocked.pk:
        raise BlockError("You cannot block yourself.")
    if blocked.is_staff:
        # Staff must stay able to reach everyone to moderate; writers report them instead.
        raise BlockError("Staff members cannot be blocked; report a problem instead.")
    try:
        with transaction.atomic():
            block, _ = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    except IntegrityError:
        block = Block.objects.get(blocker=blocker, blocked=blocked)
    return block


def unblock_writer(*, blocker: User, blocked: User) -> None:
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()
