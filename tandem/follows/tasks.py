"""Background work, run by `tandem worker`. Thin wrappers that call services with ids."""

from django_tasks import task

from tandem.follows import services


@task()
def notify_followers(post_id: int, after: int) -> int:
    """One batch of a post's followers; the next batch is its own task."""
    last = services.followers_notify(post_id, after=after, batch=services.NOTIFY_BATCH)
    if last is not None:
        notify_followers.enqueue(post_id, last)
    return last or 0
