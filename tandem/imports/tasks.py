"""Background imports, run by `tandem worker`."""

from django_tasks import task


@task()
def run_import(pending_id: int) -> str:
    from tandem.imports import services

    pending = services.import_claim(pending_id)
    if pending is None:
        return "already taken"
    return services.import_run(pending).status
