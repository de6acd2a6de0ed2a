"""The server process's start-up: the application, and its heap kept out of the collector's way."""

from __future__ import annotations

import os
import subprocess
import sys


def test_starting_the_application_freezes_the_start_up_heap(tmp_path):
    """Full garbage collections then skip everything loaded at start-up (Django, the apps,
    the URL patterns): the slowest requests are no longer the ones a collection lands on."""
    environment = {**os.environ, "TANDEM_DATA_DIR": str(tmp_path)}
    environment.pop("DATABASE_URL", None)
    probe = (
        "import gc; before = gc.get_freeze_count(); import tandem.asgi; "
        "print(before, gc.get_freeze_count())"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    before, after = (int(n) for n in done.stdout.split())
    assert before == 0 and after > 10_000
