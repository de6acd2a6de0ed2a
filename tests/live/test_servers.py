"""Live updates between real ``tandem serve`` processes.

Two servers share one database and one Redis: a post made through server 1's reply form
reaches a reader connected to server 2. And a server whose Redis is down still takes posts.
"""

from __future__ import annotations

import json
import socket
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.live.servers import Browser, make_thread, own_redis_url, server_env, tandem_serve

PASSWORD = "correct-horse-battery-staple"


def receive_until(ws, wanted: dict, timeout: float = 10) -> dict:
    """The first message carrying every key/value of ``wanted``."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if all(message.get(key) == value for key, value in wanted.items()):
            return message


def test_a_post_on_one_server_reaches_a_reader_on_another(tmp_path, server_database_url):
    redis_url = own_redis_url()
    env = server_env(tmp_path / "data", database_url=server_database_url, redis_url=redis_url)
    with tandem_serve(env, tmp_path / "one.log") as one:
        ids = make_thread(env, a="ana", b="ben", password=PASSWORD)
        with tandem_serve(env, tmp_path / "two.log") as two:
            ana = Browser(one.url)
            ana.log_in("ana", PASSWORD)
            ben = Browser(two.url)
            ben.log_in("ben", PASSWORD)
            thread_path = f"/t/{ids['thread']}/"
            with (
                connect(
                    f"ws://127.0.0.1:{two.port}/ws/threads/{ids['thread']}/",
                    additional_headers=ben.socket_headers(),
                    proxy=None,
                ) as reader,
                connect(
                    f"ws://127.0.0.1:{two.port}/ws/me/",
                    additional_headers=ben.socket_headers(),
                    proxy=None,
                ) as queue,
            ):
                first = json.loads(queue.recv(timeout=10))
                unread = first.pop("unread")
                assert unread == 0  # accepting settled ben's invitation notification
                assert first == {"type": "queue", "your_turn": 0, "initial": True}
                status, location = ana.post(
                    thread_path,
                    {"muse": ids["ivy"], "body": "across the wire.", "seen_post_count": 0},
                )
                assert status == 302, location
                message = receive_until(reader, {"type": "post"})
                assert message["op"] == "created" and message["number"] == 1
                # The bell counts the "your turn" notification too.
                assert receive_until(queue, {"type": "queue"}) == {
                    "type": "queue",
                    "your_turn": 1,
                    "unread": unread + 1,
                }
            # What the page then fetches, from server 2: the post as ben sees it.
            status, fragment = ben.get(f"{thread_path}posts/1/fragment/")
            assert status == 200 and "across the wire." in fragment
    for log in (one.log, two.log):
        assert "Traceback" not in log, log


def test_posting_still_works_when_redis_is_down(tmp_path, server_database_url):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    env = server_env(
        tmp_path / "data",
        database_url=server_database_url,
        redis_url=f"redis://127.0.0.1:{dead}/0",
    )
    with tandem_serve(env, tmp_path / "server.log") as server:
        ids = make_thread(env, a="dora", b="dev", password=PASSWORD)
        dora = Browser(server.url)
        dora.log_in("dora", PASSWORD)
        thread_path = f"/t/{ids['thread']}/"
        started = time.monotonic()
        status, location = dora.post(
            thread_path,
            {"muse": ids["ivy"], "body": "no broker, no problem.", "seen_post_count": 0},
        )
        assert status == 302, location
        assert time.monotonic() - started < 5
        status, page = dora.get(thread_path)
        assert status == 200 and "no broker, no problem." in page
        assert "Posted as Ivy." in page
        # A page's socket is turned away (and retries later) instead of hanging.
        socket_url = f"ws://127.0.0.1:{server.port}/ws/threads/{ids['thread']}/"
        with pytest.raises(ConnectionClosed) as closed:  # noqa: SIM117
            with connect(socket_url, additional_headers=dora.socket_headers(), proxy=None) as ws:
                ws.recv(timeout=5)
        assert closed.value.rcvd.code == 1011
    log = server.log
    assert "live update for post_created not sent" in log, log
    assert "Traceback" not in log, log
