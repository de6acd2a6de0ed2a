"""Locust users for benchmarks/load.py: writers in pairs, each pair sharing one thread.

Not run on its own: load.py builds the writers and threads, then starts locust headless with
this file once per step, passing in the environment:

- ``LOAD_WRITERS``: a JSON file, a list of {"username", "muse", "thread"} (partners adjacent);
- ``LOAD_PASSWORD``: their password;
- ``LOAD_OUT``: where to write this step's samples and acknowledged posts (JSON) at the end.

Each simulated person logs in through the form, then reads their queue, reads their thread,
replies when the thread shows them the composer (it is their turn: the thread's order
alternates between the pair), searches, and writes OOC messages. Live sockets are held by
load.py itself, outside locust's gevent loop.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import time
from collections import defaultdict
from pathlib import Path

from locust import HttpUser, between, events, task

WRITERS = json.loads(Path(os.environ["LOAD_WRITERS"]).read_text())
PASSWORD = os.environ["LOAD_PASSWORD"]
OUT = Path(os.environ["LOAD_OUT"])
SEARCH_WORD = "lighthouse"
# Which of the requests count as reads for the p99 threshold.
READS = {"queue", "thread", "search", "ooc page"}
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Users are numbered as locust spawns them, so two consecutive users are a thread's pair.
_next = itertools.count()
samples: dict[str, list[float]] = defaultdict(list)
statuses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
acknowledged: list[dict] = []
started = time.time()


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response, exception, **kw):
    samples[name].append(response_time)
    status = getattr(response, "status_code", 0) or 0
    statuses[name][str(status if exception is None else f"{status}:error")] += 1


@events.quitting.add_listener
def _write(environment, **kw):
    OUT.write_text(
        json.dumps(
            {
                "seconds": time.time() - started,
                "samples": samples,
                "statuses": statuses,
                "acknowledged": acknowledged,
                "reads": sorted(READS),
            }
        )
    )


class Writer(HttpUser):
    # A person reads for a moment between pages; short, to reach the limit at few users.
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.me = WRITERS[next(_next) % len(WRITERS)]
        self.thread_url = f"/t/{self.me['thread']}/"
        page = self.client.get("/accounts/login/", name="login page")
        form = {
            "csrfmiddlewaretoken": TOKEN.search(page.text).group(1),
            "username": self.me["username"],
            "password": PASSWORD,
        }
        with self.client.post(
            "/accounts/login/", data=form, name="login", allow_redirects=False, catch_response=True
        ) as done:
            if done.status_code != 302:
                done.failure(f"log-in answered {done.status_code}")

    def _get(self, path: str, name: str):
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{name}: {response.status_code}")
            return response

    @task(4)
    def queue(self) -> None:
        self._get("/", "queue")

    @task(4)
    def thread(self) -> None:
        self._get(self.thread_url, "thread")

    @task(3)
    def reply(self) -> None:
        page = self._get(self.thread_url, "thread")
        # Only the writer whose turn it is is shown the composer: otherwise, nothing to do.
        if (
            page.status_code != 200
            or 'name="body"' not in page.text
            or 'name="muse"' not in page.text
        ):
            return
        token = TOKEN.search(page.text)
        if token is None:
            return
        marker = f"loadpost{secrets.token_hex(6)}x"
        form = {
            "csrfmiddlewaretoken": token.group(1),
            "muse": self.me["muse"],
            "body": f"The {SEARCH_WORD} keeper turned the lamp once more. {marker}",
            "submission_key": secrets.token_urlsafe(24),
        }
        with self.client.post(
            self.thread_url, data=form, name="reply", allow_redirects=False, catch_response=True
        ) as done:
            if done.status_code == 302:
                # Acknowledged: the writer was told the post is in. It must be, exactly once.
                acknowledged.append({"thread": self.me["thread"], "marker": marker})
            else:
                done.failure(f"reply: {done.status_code}")

    @task(1)
    def search(self) -> None:
        self._get(f"/search/?q={SEARCH_WORD}", "search")

    @task(1)
    def ooc(self) -> None:
        page = self._get(f"{self.thread_url}ooc/", "ooc page")
        token = TOKEN.search(page.text) if page.status_code == 200 else None
        if token is None:
            return
        form = {"csrfmiddlewaretoken": token.group(1), "body": "Sorry for the wait! Tonight?"}
        with self.client.post(
            f"{self.thread_url}ooc/",
            data=form,
            name="ooc message",
            allow_redirects=False,
            catch_response=True,
        ) as done:
            if done.status_code != 302:
                done.failure(f"ooc: {done.status_code}")
