"""Media and exports on S3-compatible object storage (issue 12, item 2), against a real S3
server: moto's, in a thread of this process, spoken to over HTTP by django-storages and
boto3 exactly as a MinIO or AWS bucket would be."""

from __future__ import annotations

import html
import io
import json
import os
import re
import subprocess
import sys
import urllib.request
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.core.files.storage import default_storage, storages
from django.urls import reverse
from django.utils import timezone
from moto.server import ThreadedMotoServer

from tandem import config
from tandem.exports import services as export_services
from tandem.exports.models import ExportJob, ExportStatus
from tandem.exports.restore import restore
from tandem.exports.tasks import run_export
from tandem.muses.models import Muse
from tandem.muses.services import muse_update
from tests.exports.conftest import wipe_everything
from tests.fast_hashing import FAST_HASHERS
from tests.muses.test_muses import muse_form, png_upload

REPO = Path(__file__).resolve().parents[2]
FILESYSTEM = "django.core.files.storage.FileSystemStorage"
S3 = "storages.backends.s3.S3Storage"
SIGNED_MEDIA = "tandem.core.storage.SignedMediaStorage"


# ---------------------------------------------------------------------------- the server


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3 API on a free local port for this module's tests."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch, tmp_path) -> dict:
    """A fresh, empty bucket per test, and Tandem's STORAGES pointed at it the way an
    operator would: through the environment and ``config.storages``."""
    name = f"tandem-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("TANDEM_S3_BUCKET", name)
    monkeypatch.setenv("TANDEM_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("TANDEM_S3_REGION", "us-east-1")
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=name)
    settings.PASSWORD_HASHERS = FAST_HASHERS
    # The filesystem media folder is watched to prove nothing lands there.
    settings.MEDIA_ROOT = tmp_path / "media"
    # Changing STORAGES makes Django drop the storages it built (test signal), so the
    # ImageFields' default_storage and storages["exports"] are the bucket's from here on.
    settings.STORAGES = config.storages(tmp_path)
    assert storages["exports"].bucket_name == name
    return {"name": name, "client": client, "endpoint": s3_endpoint}


def keys(bucket: dict, prefix: str = "") -> list[str]:
    listing = bucket["client"].list_objects_v2(Bucket=bucket["name"], Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def object_bytes(bucket: dict, key: str) -> bytes:
    return bucket["client"].get_object(Bucket=bucket["name"], Key=key)["Body"].read()


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def fetch(url: str) -> bytes:
    return fetch_with_headers(url)[0]


def fetch_with_headers(url: str) -> tuple[bytes, dict[str, str]]:
    """The body, and the headers under lower-case names (servers differ in case)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), {k.lower(): v for k, v in response.headers.items()}


def avatar_src(page: str) -> str:
    """The address of the first picture on the page, as a browser would read it."""
    match = re.search(r'<img src="([^"]+)"', page)
    assert match, "no picture on the page"
    return html.unescape(match.group(1))


# ---------------------------------------------------------------------------- pictures


@pytest.mark.django_db
def test_an_avatar_uploaded_through_the_form_lands_in_the_bucket_and_shows_signed(
    client, writer_a, bucket, settings
):
    client.force_login(writer_a)
    response = client.post(reverse("muse-create"), {**muse_form(), "avatar": png_upload()})
    assert response.status_code == 302
    muse = Muse.objects.get(owner=writer_a)

    stored = keys(bucket)
    assert stored == [f"media/{muse.avatar.name}"]
    assert re.fullmatch(r"media/avatars/\d{4}/\d{2}/[0-9a-f]{32}\.webp", stored[0])
    assert files_under(Path(settings.MEDIA_ROOT)) == []
    data = object_bytes(bucket, stored[0])
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"

    src = avatar_src(client.get(muse.get_absolute_url()).content.decode())
    # The same address on the next page, so the browser shows the picture from its cache.
    assert avatar_src(client.get(muse.get_absolute_url()).content.decode()) == src
    parts = urlsplit(src)
    assert f"{parts.scheme}://{parts.netloc}" == bucket["endpoint"]
    assert parts.path == f"/{bucket['name']}/{stored[0]}"
    query = parse_qs(parts.query)
    # Signed (version 4) and bounded: the six-hour default.
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Signature"]
    assert query["X-Amz-Expires"] == ["21600"]
    body, headers = fetch_with_headers(src)
    assert body == data and headers["cache-control"] == "private, max-age=21600"
    # The CSP names exactly the origin the addresses use, or browsers would not show them.
    assert config.media_origins(settings.STORAGES) == [bucket["endpoint"]]


@pytest.mark.django_db
def test_a_replaced_avatar_is_deleted_from_the_bucket_once_committed(
    writer_a, make_muse, bucket, django_capture_on_commit_callbacks
):
    muse = make_muse(writer_a, "Ivy", avatar=png_upload())
    first = f"media/{muse.avatar.name}"
    with django_capture_on_commit_callbacks(execute=True):
        muse_update(muse=muse, writer=writer_a, avatar=png_upload(colour=(0, 90, 0, 255)))
    assert keys(bucket, "media/") == [f"media/{muse.avatar.name}"] != [first]


@pytest.mark.django_db
def test_icon_addresses_in_the_api_are_the_buckets_not_glued_to_the_site(writer_a, bucket):
    from tandem.api.writing import _icon
    from tandem.muses.services import icon_add, muse_create

    muse = muse_create(owner=writer_a, name="Ivy")
    icon = icon_add(muse=muse, writer=writer_a, image=png_upload(), keywords="smiling")
    url = _icon(icon)["image_url"]
    assert url.startswith(f"{bucket['endpoint']}/{bucket['name']}/media/icons/")
    assert fetch(url) == object_bytes(bucket, f"media/{icon.image.name}")


def test_a_signed_address_is_reused_until_half_its_lifetime_is_gone(bucket, monkeypatch):
    from storages.backends.s3 import S3Storage

    from tandem.core import storage as storage_module

    signed = []
    sign = S3Storage.url
    monkeypatch.setattr(
        S3Storage,
        "url",
        lambda self, name, *a, **k: signed.append(name) or sign(self, name, *a, **k),
    )
    clock = [1000.0]
    monkeypatch.setattr(storage_module.time, "monotonic", lambda: clock[0])
    assert isinstance(storages["default"], storage_module.SignedMediaStorage)
    first = default_storage.url("avatars/a.webp")
    clock[0] += 3 * 3600 - 1
    assert default_storage.url("avatars/a.webp") == first and signed == ["avatars/a.webp"]
    # Past half of the six hours a new one is signed, so no page holds one with less left.
    clock[0] += 2
    default_storage.url("avatars/a.webp")
    assert signed == ["avatars/a.webp"] * 2
    # Other uses (a download's own lifetime) are signed as asked, every time.
    default_storage.url("avatars/a.webp", expire=60)
    assert len(signed) == 3


# ---------------------------------------------------------------------------- exports


@pytest.mark.django_db
def test_a_background_export_is_written_to_the_bucket_and_streamed_back(
    client, story, writer_a, writer_b, bucket, settings, tmp_path
):
    settings.TANDEM_EXPORT_BACKGROUND_POSTS = 1
    client.force_login(writer_a)
    client.post(reverse("thread-export", args=[story.public_id]), {"format": "epub"})
    job = ExportJob.objects.get()
    assert run_export.call(job.pk) == ExportStatus.DONE
    job.refresh_from_db()

    assert keys(bucket, "exports/") == [f"exports/{job.file_path}"]
    assert files_under(tmp_path / "exports") == []
    stored = object_bytes(bucket, f"exports/{job.file_path}")
    assert zipfile.ZipFile(io.BytesIO(stored)).read("mimetype") == b"application/epub+zip"

    response = client.get(reverse("export-job-download", args=[job.pk]))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == f'attachment; filename="{job.filename}"'
    assert response["Content-Type"] == "application/epub+zip"
    assert int(response["Content-Length"]) == len(stored)
    assert b"".join(response.streaming_content) == stored

    # Someone else's download is still nobody else's.
    client.force_login(writer_b)
    assert client.get(reverse("export-job-download", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_an_export_gone_from_the_bucket_says_so_and_expiry_deletes_the_object(
    client, story, writer_a, bucket, settings, django_capture_on_commit_callbacks
):
    settings.TANDEM_EXPORT_BACKGROUND_POSTS = 1
    client.force_login(writer_a)
    client.post(reverse("thread-export", args=[story.public_id]), {"format": "md"})
    first = ExportJob.objects.get()
    run_export.call(first.pk)
    client.post(reverse("thread-export", args=[story.public_id]), {"format": "txt"})
    second = ExportJob.objects.exclude(pk=first.pk).get()
    run_export.call(second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert storages["exports"].exists(first.file_path)

    bucket["client"].delete_object(Bucket=bucket["name"], Key=f"exports/{second.file_path}")
    response = client.get(reverse("export-job-download", args=[second.pk]), follow=True)
    assert "That download has expired; export again." in response.content.decode()

    assert export_services.expired_exports_delete() == 0
    later = timezone.now() + timedelta(days=settings.TANDEM_EXPORT_KEEP_DAYS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert export_services.expired_exports_delete(now=later) == 2
    assert keys(bucket, "exports/") == [] and not ExportJob.objects.exists()
    assert not storages["exports"].exists(first.file_path)


@pytest.mark.django_db
def test_a_backup_carries_the_avatar_from_the_bucket_and_a_restore_puts_it_back(
    client, writer_a, ivy, bucket, settings
):
    muse_update(muse=ivy, writer=writer_a, avatar=png_upload(colour=(10, 20, 200, 255)))
    ivy.refresh_from_db()
    avatar = object_bytes(bucket, f"media/{ivy.avatar.name}")

    settings.TANDEM_EXPORT_BACKGROUND_POSTS = -1  # even an empty account goes to the worker
    client.force_login(writer_a)
    client.post(reverse("account-backup"))
    job = ExportJob.objects.get(format="backup")
    assert run_export.call(job.pk) == ExportStatus.DONE
    job.refresh_from_db()
    assert keys(bucket, "exports/") == [f"exports/{job.file_path}"]
    raw = b"".join(client.get(reverse("export-job-download", args=[job.pk])).streaming_content)
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        pictures = {n: archive.read(n) for n in archive.namelist() if n.endswith("/avatar.webp")}
    assert list(pictures.values()) == [avatar]

    ExportJob.objects.all().delete()
    wipe_everything()
    default_storage.delete(ivy.avatar.name)
    assert keys(bucket, "media/") == []
    restore(raw, actor=None)
    restored = Muse.objects.get(name="Ivy")
    assert object_bytes(bucket, f"media/{restored.avatar.name}") == avatar


# ---------------------------------------------------------------------------- configuration


def test_without_a_bucket_storage_is_the_data_dir_as_before(monkeypatch, tmp_path):
    monkeypatch.delenv("TANDEM_S3_BUCKET", raising=False)
    found = config.storages(tmp_path)
    assert found == {
        "default": {"BACKEND": FILESYSTEM},
        "exports": {"BACKEND": FILESYSTEM, "OPTIONS": {"location": str(tmp_path / "exports")}},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    assert config.media_origins(found) == []


def test_with_a_bucket_both_storages_are_private_prefixes_of_it(monkeypatch, tmp_path):
    monkeypatch.setenv("TANDEM_S3_BUCKET", "tandem-media")
    monkeypatch.setenv("TANDEM_S3_REGION", "eu-west-2")
    monkeypatch.delenv("TANDEM_S3_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("TANDEM_S3_URL_EXPIRE", raising=False)
    found = config.storages(tmp_path)
    assert (found["default"]["BACKEND"], found["exports"]["BACKEND"]) == (SIGNED_MEDIA, S3)
    media, exports = found["default"]["OPTIONS"], found["exports"]["OPTIONS"]
    assert (media["location"], exports["location"]) == ("media", "exports")
    assert media.pop("object_parameters") == {"CacheControl": "private, max-age=21600"}
    assert media | {"location": "exports"} == exports
    assert media["bucket_name"] == "tandem-media" and media["region_name"] == "eu-west-2"
    assert media["endpoint_url"] is None
    assert media["default_acl"] is None and media["querystring_auth"] is True
    assert media["querystring_expire"] == 6 * 3600 and media["file_overwrite"] is False
    # Credentials stay in the environment, where boto3 reads them.
    assert not {k for k in media if "key" in k or "secret" in k}
    assert found["staticfiles"]["BACKEND"].endswith("StaticFilesStorage")
    assert config.media_origins(found) == ["https://tandem-media.s3.amazonaws.com"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TANDEM_S3_ENDPOINT_URL", "minio:9000", "http(s)://"),
        ("TANDEM_S3_URL_EXPIRE", "30", "at least 60"),
        ("TANDEM_S3_URL_EXPIRE", str(8 * 24 * 3600), "7 days"),
    ],
)
def test_a_bucket_configuration_that_cannot_work_is_refused(
    monkeypatch, tmp_path, name, value, message
):
    monkeypatch.setenv("TANDEM_S3_BUCKET", "tandem-media")
    monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigError, match=re.escape(message)):
        config.storages(tmp_path)


SETTINGS_PROBE = """
import json
import django
from django.conf import settings
from django.urls import Resolver404, resolve

django.setup()
try:
    resolve("/media/avatars/x.webp")
    media_route = True
except Resolver404:
    media_route = False
print(json.dumps({
    "default": settings.STORAGES["default"]["BACKEND"],
    "exports": settings.STORAGES["exports"],
    "img_src": [str(s) for s in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]],
    "media_route": media_route,
}))
"""


def _settings_seen_with(tmp_path: Path, **env: str) -> dict:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("TANDEM_", "AWS_", "DATABASE"))
    }
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE],
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "tandem.settings",
            "TANDEM_DATA_DIR": str(tmp_path),
            **env,
        },
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_settings_and_the_media_route_follow_the_environment(tmp_path):
    plain = _settings_seen_with(tmp_path)
    assert plain["default"] == FILESYSTEM and plain["media_route"] is True
    assert plain["exports"]["OPTIONS"]["location"] == str(tmp_path / "exports")
    assert plain["img_src"] == ["'self'", "data:"]

    bucketed = _settings_seen_with(
        tmp_path,
        TANDEM_S3_BUCKET="tandem-media",
        TANDEM_S3_ENDPOINT_URL="https://objects.example.org",
    )
    assert bucketed["default"] == SIGNED_MEDIA and bucketed["media_route"] is False
    assert bucketed["exports"]["OPTIONS"]["location"] == "exports"
    assert bucketed["img_src"] == ["'self'", "data:", "https://objects.example.org"]
