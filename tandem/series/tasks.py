"""Background series books, run by `tandem worker` like the thread exports."""

from django_tasks import task


@task()
def run_series_export(job_id: int) -> str:
    from tandem.series import services

    return services.series_export_run(job_id)
