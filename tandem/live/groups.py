"""Channel-layer group names, shared by the publisher and the consumers."""


def thread_group(thread_id: int) -> str:
    """Everyone with a thread's page open."""
    return f"thread.{thread_id}"


def writer_group(user_id: int) -> str:
    """Every open page of one writer (their queue and navigation)."""
    return f"writer.{user_id}"


def ooc_group(thread_id: int) -> str:
    """The open pages of a thread's writers (its owner and its current participants) that
    show its OOC talk. Never a reader's: OOC is for the writers, the story for its readers."""
    return f"ooc.{thread_id}"
