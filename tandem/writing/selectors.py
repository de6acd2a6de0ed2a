from __future__ import annotations

from tandem.accounts.models import User
from tandem.writing.models import Draft


def draft_for(writer: User, thread) -> Draft | None:
    if not writer.is_authenticated:
        return None
    return Draft.objects.filter(writer=writer, thread=thread).first()
