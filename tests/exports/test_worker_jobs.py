"""Big imports and exports queued for the real `tandem worker`, which builds them."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import time
import zipfile

TANDEM = [sys.executable, "-m", "tandem"]

QUEUE_WORK = """
from tandem.accounts.models import User
from tandem.exports.services import thread_export_request
from tandem.imports import services
from tandem.threads.models import Thread

writer = User.objects.get(username="demo1")
thread = Thread.objects.get(title="Red lanterns")
job = thread_export_request(thread=thread, reader=writer, fmt="epub")
muses = list(writer.muses.all()[:1])
paste = "\\n\\n---\\n\\n".join(f"{muses[0].name} lit lantern number {n}." for n in range(5))
pending = services.import_propose(owner=writer, title="Five lanterns", data=paste.encode(), muses=muses)
pending = services.import_start(pending=pending, actor=writer)
print(job.pk, job.status, pending.pk, pending.status)
"""


def _wait_for(database, query: str, expected, timeout: float = 90):
    deadline = time.monotonic() + timeout
    row = None
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as connection:
            row = connection.execute(query).fetchone()
        if row == expected:
            return row
        time.sleep(0.3)
    raise AssertionError(f"{query} gave {row}, not {expected}")


def test_the_worker_builds_queued_exports_and_imports(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        TANDEM_DATA_DIR=str(tmp_path),
        TANDEM_EXPORT_BACKGROUND_POSTS="1",
        TANDEM_IMPORT_BACKGROUND_POSTS="1",
    )
    subprocess.run([*TANDEM, "demo"], env=env, check=True, capture_output=True, timeout=120)
    queued = subprocess.run(
        [*TANDEM, "manage", "shell", "-c", QUEUE_WORK],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert queued.returncode == 0, queued.stderr
    job_id, job_status, import_id, import_status = queued.stdout.strip().splitlines()[-1].split()
    assert (job_status, import_status) == ("queued", "queued")

    database = tmp_path / "tandem.sqlite3"
    worker = subprocess.Popen(
        [*TANDEM, "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(
            database,
            f"select status from exports_exportjob where id = {int(job_id)}",
            ("done",),
        )
        _wait_for(
            database,
            f"select status, done, total from imports_pendingimport where id = {int(import_id)}",
            ("done", 5, 5),
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    with sqlite3.connect(database) as connection:
        file_path, done, total = connection.execute(
            f"select file_path, done, total from exports_exportjob where id = {int(job_id)}"
        ).fetchone()
        posts = connection.execute(
            "select count(*) from threads_post p join threads_thread t on p.thread_id = t.id "
            "where t.title = 'Five lanterns'"
        ).fetchone()
    assert done == total > 0
    book = (tmp_path / "exports" / file_path).read_bytes()
    assert zipfile.ZipFile(io.BytesIO(book)).read("mimetype") == b"application/epub+zip"
    assert posts == (5,)
