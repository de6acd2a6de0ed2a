"""Export files go with their job, however the job goes.

A job row is deleted by ``expired_exports_delete`` but also by a cascade (its thread or its
owner deleted, from the admin or a script) that no service of ours sees; the finished file
holds the thread's text, so it must not outlive the row. The file is deleted once the
deletion commits: a rolled-back deletion keeps both.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from tandem.exports.models import ExportJob


@receiver(post_delete, sender=ExportJob, dispatch_uid="exports.delete_job_file")
def delete_job_file(sender, instance: ExportJob, using: str, **kwargs) -> None:
    if not instance.file_path:
        return
    from tandem.exports.services import export_file_delete

    path = instance.file_path
    # robust: a bucket that fails to answer is logged, and does not fail the deletion itself.
    transaction.on_commit(lambda: export_file_delete(path), using=using, robust=True)
