"""Background work, run by `tandem worker`. Thin wrappers that call services with ids."""

from django_tasks import task

from tandem.push import services


@task()
def send_push(notification_id: int) -> dict[str, int]:
    return services.deliver(notification_id)
