"""OOC talk between real ``tandem serve`` processes sharing one database and one Redis: a
message sent through server 1's OOC form reaches the partner's OOC page on server 2, their
bell too, and never their story socket."""

from __future__ import annotations

import json

from websockets.sync.client import connect

from tests.live.servers import Browser, make_thread, own_redis_url, server_env, tandem_serve
from tests.live.test_servers import PASSWORD, receive_until


def test_ooc_talk_on_one_server_reaches_the_partner_on_another(tmp_path, server_database_url):
    redis_url = own_redis_url()
    env = server_env(tmp_path / "data", database_url=server_database_url, redis_url=redis_url)
    with tandem_serve(env, tmp_path / "one.log") as one:
        ids = make_thread(env, a="oona", b="olek", password=PASSWORD)
        with tandem_serve(env, tmp_path / "two.log") as two:
            oona = Browser(one.url)
            oona.log_in("oona", PASSWORD)
            olek = Browser(two.url)
            olek.log_in("olek", PASSWORD)
            base = f"ws://127.0.0.1:{two.port}"
            ooc_path = f"/t/{ids['thread']}/ooc/"
            headers = olek.socket_headers()
            with (
                connect(
                    f"{base}/ws/threads/{ids['thread']}/ooc/",
                    additional_headers=headers,
                    proxy=None,
                ) as ooc,
                connect(
                    f"{base}/ws/threads/{ids['thread']}/", additional_headers=headers, proxy=None
                ) as story,
                connect(f"{base}/ws/me/", additional_headers=headers, proxy=None) as queue,
            ):
                unread = json.loads(queue.recv(timeout=10))["unread"]
                status, location = oona.post(ooc_path, {"body": "skip to the **market**?"})
                assert status == 302 and location.endswith("#ooc-latest"), location
                message = receive_until(ooc, {"type": "ooc"})
                assert message["op"] == "created" and isinstance(message["id"], int)
                assert receive_until(queue, {"type": "queue"})["unread"] == unread + 1
                # The story socket heard nothing of it.
                try:
                    heard = json.loads(story.recv(timeout=1))
                except TimeoutError:
                    heard = None
                assert heard is None or heard.get("type") != "ooc", heard
            # What the OOC page then fetches, from server 2.
            status, fragment = olek.get(f"{ooc_path}{message['id']}/fragment/")
            assert status == 200 and "<strong>market</strong>" in fragment
    for log in (one.log, two.log):
        assert "Traceback" not in log, log
