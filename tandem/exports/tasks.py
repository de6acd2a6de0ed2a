"""Background exports, run by `tandem worker`."""

from django_tasks import task


@task()
def run_export(job_id: int) -> str:
    from tandem.exports import services

    job = services.export_claim(job_id)
    if job is None:
        return "already taken"
    return services.export_run(job).status
