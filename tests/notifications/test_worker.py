"""`tandem worker` as a real process: it drains the task queue into a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import time

from aiosmtpd.controller import Controller

TANDEM = [sys.executable, "-m", "tandem"]


class Inbox:
    def __init__(self) -> None:
        self.subjects: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this by name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.subjects.append((list(envelope.rcpt_tos), str(message["Subject"]).strip()))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


TAKE_IVYS_TURN = """
from tandem.accounts.models import User
from tandem.threads import services
from tandem.threads.models import Thread
station = Thread.objects.get(title="The last train out of Northgate")
demo1 = User.objects.get(username="demo1")
ivy = station.participants.get(muse__name="Ivy").muse
services.post_create(thread=station, writer=demo1, muse=ivy, body="Ivy checks the timetable.")
"""


def test_worker_sends_the_queued_emails(tmp_path):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        TANDEM_DATA_DIR=str(tmp_path), TANDEM_EMAIL_HOST="127.0.0.1", TANDEM_EMAIL_PORT=str(port)
    )
    worker = None
    try:
        early = subprocess.run(
            [*TANDEM, "worker"], env=env, capture_output=True, text=True, timeout=60
        )
        assert early.returncode == 1
        assert "unapplied migrations" in early.stderr
        subprocess.run([*TANDEM, "demo"], env=env, check=True, capture_output=True, timeout=120)
        # The demo's own news is settled as it is made (invitations accepted, turns taken):
        # one more post, by demo1 as Ivy, makes it Hale's turn and queues demo2's e-mail.
        subprocess.run(
            [*TANDEM, "manage", "shell", "-c", TAKE_IVYS_TURN],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        assert inbox.subjects == []  # only queued so far
        worker = subprocess.Popen(
            [*TANDEM, "worker", "--interval", "0.2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
            to == ["demo2@example.invalid"] and "Your turn" in subject
            for to, subject in inbox.subjects
        ):
            time.sleep(0.2)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        controller.stop()
    to_demo2 = [subject for to, subject in inbox.subjects if to == ["demo2@example.invalid"]]
    assert "Your turn as Hale in “The last train out of Northgate”." in to_demo2, inbox.subjects
    sent = [(tuple(to), subject) for to, subject in inbox.subjects]
    assert len(sent) == len(set(sent)), "an email was sent twice"
