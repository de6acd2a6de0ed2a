"""Channel-layer group names, shared by the publisher and the consumers."""


def thread_group(thread_id: int) -> str:
    """Everyone with a thread's page open."""
    return f"thread.{thread_id}"


def writer_group(user_id: int) -> str:
    """Every open page of one writer (their queue and navigation)."""
    return f"writer.{user_id}"
