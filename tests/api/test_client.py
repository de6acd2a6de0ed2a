"""``tandem queue`` and ``tandem post`` against a real server with a real token.

The server is pytest-django's live server (Tandem's WSGI application on a port, in a thread
of this process, over the test database); the commands reach it over HTTP exactly as on a
writer's machine. Nothing of our own server is mocked.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys

import pytest

from tandem.api import services
from tandem.cli import main


@pytest.fixture(autouse=True)
def _no_settings_from_this_machine(monkeypatch, tmp_path):
    """Only what a test sets: no TANDEM_SERVER/TANDEM_TOKEN, and a config file of its own."""
    # The server runs in this process: its log lines for 4xx answers ("Conflict: …") would
    # land in the same stderr as the command's own sentence.
    monkeypatch.setattr(logging.getLogger("django.request"), "disabled", True)
    monkeypatch.delenv("TANDEM_SERVER", raising=False)
    monkeypatch.delenv("TANDEM_TOKEN", raising=False)
    monkeypatch.setenv("TANDEM_CLI_CONFIG", str(tmp_path / "cli.toml"))


def _token(user, scope="write") -> str:
    return services.token_create(user=user, name="terminal", scope=scope)[1]


def _tandem(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_queue_from_flags_the_environment_or_the_config_file(
    live_server, coffee_cart, make_thread, writer_a, writer_b, ivy, tmp_path, monkeypatch, capsys
):
    """The queue prints as a table through GET /queue, wherever the server and token come
    from; flags win over the environment, which wins over the file."""
    monkeypatch.setenv("COLUMNS", "200")  # rich's width: no title wrapped mid-word
    make_thread(writer_a, ivy, title="[bold]Lanterns[/bold] [OOC]")
    token = _token(writer_a, "read")
    code, out, _ = _tandem(capsys, "queue", "--server", live_server.url, "--token", token)
    assert code == 0
    assert "your turn" in out and "Coffee cart" in out and coffee_cart.public_id in out
    assert f"{ivy.name} (alice)" in out
    assert "[bold]Lanterns[/bold] [OOC]" in out  # a title is text, not rich's markup
    assert "elsewhere" not in out

    # A thread kept on another site is in the same table, in a section of its own.
    from tandem.tracking.services import tracked_create

    tracked_create(
        writer=writer_a, title="Salt Roads", url="https://bea.example/p/9", partner="bea"
    )
    code, out, _ = _tandem(capsys, "queue", "--server", live_server.url, "--token", token)
    assert code == 0
    assert "elsewhere" in out and "Salt Roads · bea.example" in out
    assert "https://bea.example/p/9" in out

    code, out, _ = _tandem(capsys, "queue", "--json", "--server", live_server.url, "--token", token)
    assert json.loads(out)["your_turn"][0]["thread"]["id"] == coffee_cart.public_id
    code, out, _ = _tandem(
        capsys, "queue", "--server", live_server.url, "--token", _token(writer_b)
    )
    assert code == 0 and "waiting" in out and "Coffee cart" in out

    monkeypatch.setenv("TANDEM_SERVER", live_server.url)
    monkeypatch.setenv("TANDEM_TOKEN", token)
    assert _tandem(capsys, "queue")[0] == 0

    config = tmp_path / "cli.toml"
    config.write_text(f'server = "{live_server.url}/"\ntoken = "{token}"\n')
    config.chmod(0o600)
    monkeypatch.delenv("TANDEM_SERVER")
    monkeypatch.delenv("TANDEM_TOKEN")
    code, out, err = _tandem(capsys, "queue")
    assert code == 0 and "Coffee cart" in out and err == ""
    config.chmod(0o644)
    code, _, err = _tandem(capsys, "queue")
    assert code == 0 and "others can read" in err

    # A flag beats the environment beats the file: a wrong token in the file is not used.
    config.write_text(f'server = "{live_server.url}"\ntoken = "tdm_wrong"\n')
    config.chmod(0o600)
    assert _tandem(capsys, "queue", "--token", token)[0] == 0
    monkeypatch.setenv("TANDEM_TOKEN", token)
    assert _tandem(capsys, "queue")[0] == 0


def test_a_reply_from_a_file_or_stdin_is_posted_once(
    live_server,
    coffee_cart,
    make_thread,
    make_muse,
    join,
    writer_a,
    ivy,
    hale,
    tmp_path,
    monkeypatch,
    capsys,
):
    """``tandem post`` finds the muse by name, posts through the API, and running the same
    command again returns the post already made; out of turn, the server's 409 says whose
    turn it is."""
    token = _token(writer_a)
    reply = tmp_path / "reply.md"
    reply.write_text("Ivy set the cups down — *carefully*.\n", encoding="utf-8")
    address = f"{live_server.url}/t/{coffee_cart.public_id}/"
    command = ("post", address, "--muse", "ivy", str(reply))
    command += ("--server", live_server.url, "--token", token)
    code, out, _ = _tandem(capsys, *command)
    assert code == 0 and out.startswith("Posted #1 as Ivy (")
    assert out.strip().endswith(f"/t/{coffee_cart.public_id}/posts/1/")
    assert _tandem(capsys, *command)[1] == out  # the same post, not a second one
    assert list(coffee_cart.posts.values_list("body", flat=True)) == [reply.read_text().strip()]

    reply.write_text("And Ivy again.", encoding="utf-8")
    code, _, err = _tandem(capsys, *command)
    assert code == 1 and f"It is {hale.name}'s turn, not Ivy's" in err
    assert coffee_cart.posts.count() == 1

    wren = make_muse(writer_a, "Wren")
    free = make_thread(writer_a, wren, title="Free for all", turn_mode="free")
    join(free, hale)
    monkeypatch.setattr(sys, "stdin", io.StringIO("Wren, from a pipe."))
    code, out, _ = _tandem(
        capsys,
        "post",
        free.public_id,
        "--muse",
        "WREN",
        "-",
        "--server",
        live_server.url,
        "--token",
        token,
    )
    assert code == 0 and "as Wren" in out
    assert free.posts.get().body == "Wren, from a pipe."


def test_every_problem_is_one_clear_sentence(
    live_server, coffee_cart, writer_a, make_muse, tmp_path, capsys
):
    """No token, an unreachable server, a refused token, an unknown thread or muse, a read
    only token, a reply the server refuses field by field, something that is not Tandem:
    each one sentence on stderr, exit 2 for what to fix in the command, else 1."""
    token = _token(writer_a)
    reply = tmp_path / "reply.md"
    reply.write_text("words", encoding="utf-8")

    def queue(server=live_server.url, token=token) -> tuple[int, str]:
        credentials = ["--token", token] if token else []
        code, _, err = _tandem(capsys, "queue", "--server", server, *credentials)
        return code, err

    def post(thread=coffee_cart.public_id, muse="Ivy", file=str(reply), token=token):
        code, _, err = _tandem(
            capsys,
            "post",
            thread,
            "--muse",
            muse,
            file,
            "--server",
            live_server.url,
            "--token",
            token,
        )
        return code, err

    code, err = queue(token="")
    assert code == 2 and "no API token: pass --token, set TANDEM_TOKEN" in err
    code, err = queue(server=f"http://127.0.0.1:{_free_port()}")
    assert code == 1 and "cannot reach the Tandem server" in err and "refused" in err
    code, err = queue(token="tdm_" + "x" * 43)
    assert code == 1 and "did not accept the token" in err
    code, err = queue(server=f"{live_server.url}/elsewhere")
    assert code == 1 and "something other than Tandem's API" in err

    code, err = post(thread="nosuchthread")
    assert code == 1 and "no thread 'nosuchthread' you can read" in err
    code, err = post(token=_token(writer_a, "read"))
    assert code == 1 and "read only" in err
    code, err = post(muse="Nobody")
    assert code == 2 and "no muse called 'Nobody' (yours: Ivy)" in err
    code, err = post(file="missing.md")
    assert code == 2 and "no such file: missing.md" in err
    reply.write_text("   \n", encoding="utf-8")
    code, err = post()
    assert code == 1 and "  body: A post needs some words." in err
    # A muse of hers that is not in this thread: the server names the field.
    make_muse(writer_a, "Wren")
    reply.write_text("words", encoding="utf-8")
    code, err = post(muse="Wren")
    assert code == 1 and "  muse: " in err
    assert coffee_cart.posts.count() == 0


def test_the_client_commands_need_no_database(live_server, writer_a, tmp_path):
    """Run as a process with a database it could never reach: the client commands do not
    set up Django, so a writer's own machine needs nothing but the server's address."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env.update(
        DATABASE_URL="mongodb://nowhere/at-all",
        TANDEM_SERVER=live_server.url,
        TANDEM_TOKEN=_token(writer_a, "read"),
        TANDEM_CLI_CONFIG=str(tmp_path / "none.toml"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "tandem", "queue", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)) >= {"your_turn", "waiting", "invitations"}
