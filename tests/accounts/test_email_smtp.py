"""Password-reset email through a real SMTP server, configured from the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this by name
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.content.decode("utf-8", "replace"),
            )
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_password_reset_goes_out_over_smtp_from_env(tmp_path):
    """With TANDEM_EMAIL_HOST/PORT set, a reset request reaches the SMTP server with a reset link."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            TANDEM_DATA_DIR=str(tmp_path),
            TANDEM_EMAIL_HOST="127.0.0.1",
            TANDEM_EMAIL_PORT=str(port),
            TANDEM_FROM_EMAIL="Tandem <rp@tandem.test>",
        )
        tandem = [sys.executable, "-m", "tandem"]
        subprocess.run([*tandem, "demo"], env=env, check=True, capture_output=True, timeout=120)
        script = (
            "from django.contrib.auth.forms import PasswordResetForm;"
            "form = PasswordResetForm({'email': 'DEMO1@example.invalid'});"
            "assert form.is_valid();"
            "form.save(domain_override='rp.tandem.test', use_https=True)"
        )
        result = subprocess.run(
            [*tandem, "manage", "shell", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    sender, recipients, content = inbox.messages[0]
    assert sender == "rp@tandem.test"
    assert recipients == ["demo1@example.invalid"]
    assert "Subject: Reset your Tandem password" in content
    assert "https://rp.tandem.test/accounts/reset/" in content
