"""Downloading threads and backups from the web, small ones at once, big ones as jobs."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from tandem.exports.models import ExportJob, ExportStatus
from tandem.exports.tasks import run_export
from tandem.threads import services as thread_services
from tandem.threads.models import Visibility


@pytest.mark.parametrize(
    ("fmt", "extension", "content_type"),
    [
        ("md", ".md", "text/markdown"),
        ("txt", ".txt", "text/plain"),
        ("html", ".html", "text/html"),
        ("archive", ".archive.html", "text/html"),
        ("epub", ".epub", "application/epub+zip"),
        ("json", ".json", "application/json"),
    ],
)
def test_a_writer_downloads_each_format(as_alice, story, fmt, extension, content_type):
    response = as_alice.post(reverse("thread-export", args=[story.public_id]), {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith(f'{extension}"')
    if fmt == "epub":
        assert zipfile.ZipFile(io.BytesIO(response.content)).read("mimetype") == (
            b"application/epub+zip"
        )
    else:
        text = response.content.decode()
        assert "out of spite" in text
        # The archive form is the posts alone: the archive has its own title field.
        assert ("Coffee cart" in text) == (fmt != "archive")


def test_the_thread_page_offers_the_download(as_alice, story):
    page = as_alice.get(story.get_absolute_url()).content.decode()
    assert reverse("thread-export", args=[story.public_id]) in page
    assert 'value="epub"' in page and "with OOC talk" in page


def test_strangers_cannot_download_a_private_thread(client, make_writer, story):
    client.force_login(make_writer("stranger"))
    response = client.post(reverse("thread-export", args=[story.public_id]), {"format": "md"})
    assert response.status_code == 404


def test_anyone_downloads_a_public_thread(client, story):
    story.visibility = Visibility.PUBLIC
    story.save(update_fields=["visibility"])
    response = client.post(reverse("thread-export", args=[story.public_id]), {"format": "txt"})
    assert response.status_code == 200
    assert "out of spite" in response.content.decode()


def test_ooc_talk_goes_only_to_the_thread_writers(as_alice, story, writer_a):
    thread_services.ooc_post(thread=story, writer=writer_a, body="sorry for the wait!")
    response = as_alice.post(
        reverse("thread-export", args=[story.public_id]), {"format": "json", "include_ooc": "on"}
    )
    assert "sorry for the wait!" in response.content.decode()
    without = as_alice.post(reverse("thread-export", args=[story.public_id]), {"format": "json"})
    assert "sorry for the wait!" not in without.content.decode()


def test_an_unknown_format_is_a_message(as_alice, story):
    response = as_alice.post(
        reverse("thread-export", args=[story.public_id]), {"format": "pdf"}, follow=True
    )
    assert response.status_code == 200
    assert "Choose one of the download formats." in response.content.decode()


def test_a_long_thread_becomes_a_job_with_progress(as_alice, client, story, settings, writer_b):
    settings.TANDEM_EXPORT_BACKGROUND_POSTS = 1
    response = as_alice.post(reverse("thread-export", args=[story.public_id]), {"format": "epub"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    page = as_alice.get(job.get_absolute_url()).content.decode()
    assert "<progress" in page and "Waiting for the background worker" in page
    assert (
        as_alice.get(reverse("export-job-download", args=[job.pk]), follow=True).status_code == 200
    )

    assert run_export.call(job.pk) == ExportStatus.DONE
    assert run_export.call(job.pk) == "already taken"
    job.refresh_from_db()
    assert job.filename.endswith(".epub") and job.percent == 100
    fragment = as_alice.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in fragment and "Download" in fragment
    download = as_alice.get(reverse("export-job-download", args=[job.pk]))
    content = b"".join(download.streaming_content)
    assert content[:2] == b"PK"

    client.force_login(writer_b)
    assert client.get(reverse("export-job-download", args=[job.pk])).status_code == 404


def test_backup_page_downloads_a_zip(as_alice, story):
    assert as_alice.get(reverse("account-backup")).status_code == 200
    response = as_alice.post(reverse("account-backup"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "manifest.json" in names


def test_restore_is_for_staff_only(as_alice):
    response = as_alice.get(reverse("restore-upload"))
    assert response.status_code == 302 and "/admin/login" in response["Location"]


def test_staff_restore_a_thread_file_with_mapped_names(client, make_writer, story):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tandem.exports.archive import dump_json, thread_to_json

    admin = make_writer("keeper")
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    data = dump_json(thread_to_json(story))
    page = client.get(reverse("restore-upload"))
    assert page.status_code == 200

    refused = client.post(
        reverse("restore-upload"), {"file": SimpleUploadedFile("t.json", data)}
    ).content.decode()
    assert "already exist here" in refused and "alice" in refused

    restored = client.post(
        reverse("restore-upload"),
        {"file": SimpleUploadedFile("t.json", data), "username_map": "alice=alice2\nbram=bram2"},
    ).content.decode()
    assert "Restored" in restored
    assert story.__class__.objects.filter(owner__username="alice2").count() == 1

    bad = client.post(
        reverse("restore-upload"), {"file": SimpleUploadedFile("t.json", b"{not json")}
    ).content.decode()
    assert "line 1" in bad
    odd = client.post(
        reverse("restore-upload"), {"file": SimpleUploadedFile("t.json", data), "username_map": "x"}
    ).content.decode()
    assert "is not old=new" in odd


def test_finished_exports_are_forgotten_after_a_week(
    as_alice, story, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.core.files.storage import storages
    from django.utils import timezone

    from tandem.exports.services import expired_exports_delete, export_job_file

    settings.TANDEM_EXPORT_BACKGROUND_POSTS = 1
    as_alice.post(reverse("thread-export", args=[story.public_id]), {"format": "md"})
    job = ExportJob.objects.get()
    run_export.call(job.pk)
    job.refresh_from_db()
    with export_job_file(job, story.owner) as file:
        assert file.read().startswith(b"#")
    assert storages["exports"].exists(job.file_path)
    assert expired_exports_delete() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert expired_exports_delete(now=timezone.now() + timedelta(days=8)) == 1
    assert not storages["exports"].exists(job.file_path) and not ExportJob.objects.exists()


def test_an_export_file_goes_with_its_job_however_it_is_deleted(
    as_alice, story, settings, django_capture_on_commit_callbacks
):
    """A job deleted by any means (the admin, a script, a cascade: no service of ours sees
    it) takes its finished file with it, once the deletion commits."""
    from django.core.files.storage import storages

    settings.TANDEM_EXPORT_BACKGROUND_POSTS = 1
    as_alice.post(reverse("thread-export", args=[story.public_id]), {"format": "md"})
    job = ExportJob.objects.get()
    run_export.call(job.pk)
    job.refresh_from_db()
    assert storages["exports"].exists(job.file_path)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        ExportJob.objects.filter(pk=job.pk).delete()
    assert storages["exports"].exists(job.file_path)  # not before the commit
    for callback in pending:
        callback()
    assert not storages["exports"].exists(job.file_path) and not ExportJob.objects.exists()
