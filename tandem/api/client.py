"""``tandem queue`` and ``tandem post``: the writer's side of the API, from a terminal.

These commands talk to a Tandem server over HTTP (``/api/v1/``) with a personal access
token, as any script would. They need no database and no Django settings: a writer runs
them on their own machine against whichever server they write on.

Where the server and the token come from, the first found winning:

1. ``--server URL`` and ``--token T``;
2. the environment, ``TANDEM_SERVER`` and ``TANDEM_TOKEN``;
3. the config file: ``$TANDEM_CLI_CONFIG`` if set, else ``$XDG_CONFIG_HOME/tandem/cli.toml``
   (``~/.config/tandem/cli.toml``), which holds ``server = "…"`` and ``token = "…"``.

The server defaults to ``tandem serve``'s own address; there is no default token.

``tandem post`` finds the muse by name through ``GET /muses`` and sends a submission key
made from the thread, the muse and the text: running the same command again (after a
timeout, say) returns the post already made instead of posting twice. Turns, permissions
and what a post may hold are the server's to decide; its answer is shown as it gives it.

Errors are one sentence on stderr and no traceback: exit 2 for something to fix in the
command or its configuration (no token, no such file, no such muse), 1 when the server
refused (with what is wrong with each field) or could not be reached.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tandem import __version__
from tandem.cli import DEFAULT_SITE_URL, CommandError, UsageError, is_loopback, public_id_from

TIMEOUT_SECONDS = 30
CONFIG_KEYS = ("server", "token")
#: The queue's groups, in the order the home page shows them.
SECTIONS = (
    ("your_turn", "your turn"),
    ("writing", "writing"),
    ("waiting", "waiting"),
    ("resting", "resting"),
    ("muted", "muted"),
)


# ------------------------------------------------------------------ where and who


@dataclass(frozen=True)
class Connection:
    server: str  # scheme and host, no trailing slash: https://tandem.example.org
    token: str


def config_path() -> Path:
    explicit = os.environ.get("TANDEM_CLI_CONFIG", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or Path.home() / ".config"
    return Path(base) / "tandem" / "cli.toml"


def _config_file() -> dict[str, str]:
    path = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise UsageError(
            f"{path}: unknown setting {', '.join(unknown)} (it may hold server, token)"
        )
    for key, value in data.items():
        if not isinstance(value, str):
            raise UsageError(f'{path}: {key} should be text in quotes, e.g. {key} = "…"')
    if data.get("token") and path.stat().st_mode & 0o077:
        # As ssh does for keys: a token others can read is a token others can use.
        print(f"tandem: warning: others can read {path}; run: chmod 600 {path}", file=sys.stderr)
    return data


def _server_url(raw: str) -> str:
    url = raw.strip().rstrip("/").removesuffix("/api/v1")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"the server should be an address like https://tandem.example.org, not {raw!r}"
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        print(
            f"tandem: warning: {url} is plain http: the token travels unencrypted", file=sys.stderr
        )
    return url


def connection(args: argparse.Namespace) -> Connection:
    """The server and token from the flags, the environment or the config file."""
    values = {
        "server": args.server or os.environ.get("TANDEM_SERVER", "").strip(),
        "token": args.token or os.environ.get("TANDEM_TOKEN", "").strip(),
    }
    if not all(values.values()):
        stored = _config_file()
        values = {key: values[key] or stored.get(key, "").strip() for key in CONFIG_KEYS}
    if not values["token"]:
        raise UsageError(
            'no API token: pass --token, set TANDEM_TOKEN, or put token = "tdm_…" in '
            f"{config_path()} (make one on the server's API tokens page, read and write to post)"
        )
    return Connection(
        server=_server_url(values["server"] or DEFAULT_SITE_URL), token=values["token"]
    )


# ------------------------------------------------------------------ talking to the server


class ServerRefused(CommandError):
    """An error answer from the API, in its one shape ``{"detail", "code", "fields"}``."""

    def __init__(self, status: int, document: dict, server: str) -> None:
        self.status = status
        self.code = document.get("code", "")
        self.fields = document.get("fields") or {}
        detail = document.get("detail") or f"the server answered {status}"
        if status == 401:
            detail = (
                f"{server} did not accept the token: it may be mistyped, revoked or for "
                "another server"
            )
        lines = [detail.rstrip(".")]
        lines += [f"  {name}: {' '.join(problems)}" for name, problems in self.fields.items()]
        super().__init__("\n".join(lines))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirected POST would come back as a GET (and a redirect to another host would
    # carry the token there): a redirect is reported, never followed.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


class Client:
    def __init__(self, where: Connection) -> None:
        self.server = where.server
        self._headers = {
            "Authorization": f"Bearer {where.token}",
            "Accept": "application/json",
            "User-Agent": f"tandem-cli/{__version__}",
        }

    def get(self, path: str) -> dict:
        return self._call("GET", path)

    def post(self, path: str, document: dict) -> dict:
        return self._call("POST", path, document)

    def _call(self, method: str, path: str, document: dict | None = None) -> dict:
        url = f"{self.server}/api/v1{path}"
        headers = dict(self._headers)
        data = None
        if document is not None:
            data = json.dumps(document).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
            if 300 <= status < 400:
                raise CommandError(
                    f"{self.server} sends requests on to {error.headers.get('Location', '?')}: "
                    "give that address as the server"
                ) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", None) or error
            reason = getattr(reason, "strerror", None) or reason  # "Connection refused"
            raise CommandError(
                f"cannot reach the Tandem server at {self.server}: {reason}"
            ) from None
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise CommandError(
                f"{url} answered {status} with something other than Tandem's API "
                f"(is {self.server} a Tandem server?)"
            )
        if status >= 400:
            raise ServerRefused(status, answer, self.server)
        return answer


# ------------------------------------------------------------------ tandem queue


def _waited(seconds: int | None) -> str:
    """A wait, coarsely, as the home page says it: “3 days”, “under a minute”."""
    if seconds is None:
        return ""
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "under a minute"


def _names(muses: list[dict]) -> str:
    return ", ".join(f"{m['name']} ({m['writer']})" for m in muses)


def cmd_queue(args: argparse.Namespace) -> int:
    queue = Client(connection(args)).get("/queue")
    if args.json:
        print(json.dumps(queue, ensure_ascii=False, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("", "thread", "id", "waiting", "whose move", "your muses"):
        # The thread's title and the muses wrap; the id must stay whole to be copied.
        table.add_column(column, no_wrap=column in ("", "id", "waiting"))
    for key, label in SECTIONS:
        if table.rows and queue.get(key):
            table.add_section()
        for number, entry in enumerate(queue.get(key, [])):
            thread = entry["thread"]
            flags = [flag for flag in ("pinned", "dormant") if entry.get(flag)]
            cells = (
                label if number == 0 else "",
                thread["title"] + (f" ({', '.join(flags)})" if flags else ""),
                thread["id"],
                _waited(entry.get("waiting_seconds")),
                _names(entry["awaited"]),
                ", ".join(m["name"] for m in entry["my_muses"]),
            )
            # Text, not markup: a title may well hold "[OOC]" or "[/]".
            table.add_row(*(Text(cell) for cell in cells))
    # Threads kept on other sites: their own section, whose turn from the writer's side.
    elsewhere = sorted(queue.get("elsewhere", []), key=lambda tracked: tracked["turn"] != "mine")
    if table.rows and elsewhere:
        table.add_section()
    for number, tracked in enumerate(elsewhere):
        overdue = " (overdue)" if tracked.get("overdue") else ""
        cells = (
            "elsewhere" if number == 0 else "",
            f"{tracked['title']}{overdue} · {tracked['site'] or 'another site'}",
            tracked["url"],
            _waited(tracked.get("waiting_seconds")),
            "you" if tracked["turn"] == "mine" else tracked["partner"] or "your partner",
            tracked["muse"]["name"] if tracked.get("muse") else "",
        )
        table.add_row(*(Text(cell) for cell in cells))
    if table.rows:
        console.print(table)
    else:
        console.print("No threads yet.")
    for invitation in queue.get("invitations", []):
        thread = invitation["thread"]
        console.print(
            f"Invitation from {invitation['invited_by']}: {thread['title']} — {thread['url']}",
            markup=False,
            highlight=False,
        )
    return 0


# ------------------------------------------------------------------ tandem post


def _read_reply(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    path = Path(name)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None


def _muse_named(client: Client, wanted: str) -> dict:
    """The writer's muse called ``wanted`` (any case), or with that id."""
    muses = client.get("/muses")["items"]
    named = [m for m in muses if m["name"].casefold() == wanted.strip().casefold()]
    named.sort(key=lambda m: m["archived"])  # a live muse before an archived namesake
    if len(named) > 1 and not named[1]["archived"]:
        ids = ", ".join(str(m["id"]) for m in named)
        raise UsageError(f"more than one of your muses is called {wanted!r}: give its id ({ids})")
    if named:
        return named[0]
    by_id = [m for m in muses if str(m["id"]) == wanted.strip()]
    if by_id:
        return by_id[0]
    yours = ", ".join(m["name"] for m in muses if not m["archived"]) or "none yet"
    raise UsageError(f"you have no muse called {wanted!r} (yours: {yours})")


def cmd_post(args: argparse.Namespace) -> int:
    body = _read_reply(args.file)
    thread_id = public_id_from(args.thread)
    if not thread_id:
        raise UsageError("name the thread by its id or its address")
    client = Client(connection(args))
    muse = _muse_named(client, args.muse)
    key = hashlib.sha256(f"{thread_id}\0{muse['id']}\0{body}".encode()).hexdigest()[:40]
    try:
        post = client.post(
            f"/threads/{urllib.parse.quote(thread_id, safe='')}/posts",
            {"muse": muse["id"], "body": body, "submission_key": f"cli-{key}"},
        )
    except ServerRefused as error:
        if error.status == 404:
            # The same answer whether it does not exist or is private: say which thread.
            raise CommandError(f"no thread {thread_id!r} you can read on {client.server}") from None
        raise
    print(
        f"Posted #{post['number']} as {post['muse']['name']} ({post['words']} words): {post['url']}"
    )
    return 0


# ------------------------------------------------------------------ the command line


def _connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", metavar="URL", help="the Tandem server (or TANDEM_SERVER)")
    parser.add_argument(
        "--token", metavar="T", help="a personal access token, tdm_… (or TANDEM_TOKEN)"
    )


def add_commands(commands: argparse._SubParsersAction) -> None:
    """``queue`` and ``post`` on the ``tandem`` command's subparsers."""
    where = f"Server and token: --server/--token, TANDEM_SERVER/TANDEM_TOKEN, or {config_path()}."
    queue = commands.add_parser(
        "queue", help="whose turn it is in your threads, from a server", description=where
    )
    _connection_arguments(queue)
    queue.add_argument("--json", action="store_true", help="print the API's JSON")
    queue.set_defaults(handler=cmd_queue)

    post = commands.add_parser(
        "post", help="post a reply written in your own editor to a server", description=where
    )
    post.add_argument("thread", metavar="THREAD_ID_OR_URL")
    post.add_argument("--muse", required=True, metavar="NAME", help="your muse to post as")
    post.add_argument("file", metavar="FILE", help="the reply's text (UTF-8); - reads stdin")
    _connection_arguments(post)
    post.set_defaults(handler=cmd_post)
