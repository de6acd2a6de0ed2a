"""A whole Tandem cluster on this machine, for load and fault tests.

    python deploy/cluster/cluster.py up      [--state DIR]   start everything, print the addresses
    python deploy/cluster/cluster.py status  [--state DIR]   what runs, what answers
    python deploy/cluster/cluster.py down    [--state DIR] [--keep]   stop everything, delete DIR
    python deploy/cluster/cluster.py stop|start|kill SERVICE [--state DIR]   one service, for faults

Run as root (PostgreSQL runs as the ``postgres`` user through ``runuser``) with the project's
venv Python. Everything listens on 127.0.0.1 only, on ports the OS hands out, and every file
(databases, logs, configuration, the state file ``cluster.json``) lives under one directory,
``/tmp/tandem-cluster`` by default. The machine's own PostgreSQL and Redis are not touched.

What ``up`` starts, in this order:

- ``pg-primary``: a throwaway PostgreSQL cluster made with ``initdb`` (its own, because the
  system one allows no replication and is not ours to reconfigure);
- ``pg-replica``: a streaming hot standby of it, made by ``replica.sh create`` (pg_basebackup);
- ``redis``: a ``redis-server`` without persistence (channels and cache);
- ``s3``: moto's S3-compatible server with one bucket, for media and exports (django-storages);
- migrations and ``collectstatic``, once;
- ``serve-1`` … ``serve-3``: ``tandem serve``, one process each;
- ``worker-1``, ``worker-2``: ``tandem worker``;
- ``nginx``: Debian's nginx in front (round robin over the three, WebSockets, /static/).

The SERVICE names above are what ``stop``/``start``/``kill`` take; benchmarks/faults.py uses the
same functions through ``Cluster``. Python rather than shell: the state (ports, process ids, the
environment) is one JSON file that the load and fault scripts read back.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_STATE = Path("/tmp/tandem-cluster")
PG_USER = "postgres"
BUCKET = "tandem-media"
SERVERS = 3
WORKERS = 2
# Each app process has a pool for the primary and one for the replica, each up to this size:
# 3 servers + 2 workers, two pools each, stay well inside max_connections below.
POOL_MAX = 10
MAX_CONNECTIONS = 200
# Every user of a load test shares 127.0.0.1 behind nginx: limits are raised so that the test
# measures capacity, not the per-address rate limits (tandem.core.limits).
RATE_LIMIT_SCALE = 1000
# Matches TANDEM_MAX_REQUEST_BYTES (tandem/settings.py): nginx refuses bigger bodies with 413
# before they reach an app server, which would refuse them with 413 anyway.
BODY_LIMIT = "12m"


def pg_bin() -> Path:
    """The newest PostgreSQL server programs installed (Debian keeps them off PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        sys.exit("cluster: PostgreSQL server programs (initdb, pg_ctl) are not installed")
    return found[-1].parent


def venv_bin(name: str) -> str:
    """A console script next to this Python (the venv's), else the one on PATH."""
    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else (shutil.which(name) or name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(*command: str | Path, check: bool = True) -> subprocess.CompletedProcess:
    runner = ["runuser", "-u", PG_USER, "--"] if os.geteuid() == 0 else []
    return subprocess.run(
        [*runner, *map(str, command)], check=check, capture_output=True, text=True
    )


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def wait_for(what: str, check, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {seconds:g} s")


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not yet reaped by us) is not running.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def pid_is(pid: int, marker: str) -> bool:
    """Whether pid still runs a command line containing marker (pids are reused)."""
    try:
        return marker in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False


@dataclass
class Cluster:
    """The cluster whose state lives in ``state`` (cluster.json there once it is up)."""

    state: Path

    # ------------------------------------------------------------------ state file

    @property
    def file(self) -> Path:
        return self.state / "cluster.json"

    def load(self) -> dict:
        if not self.file.exists():
            sys.exit(f"cluster: no cluster in {self.state} (run `cluster.py up` first)")
        return json.loads(self.file.read_text())

    def save(self, info: dict) -> None:
        temporary = self.file.with_suffix(".tmp")
        temporary.write_text(json.dumps(info, indent=2))
        temporary.replace(self.file)

    @property
    def info(self) -> dict:
        return self.load()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.info['ports']['nginx']}"

    def env(self) -> dict:
        """The environment every Tandem process of the cluster runs with."""
        info = self.info
        # Nothing from the caller's own Tandem setup leaks in (another database, a debug flag).
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TANDEM_", "DATABASE_", "AWS_", "REDIS_"))
            and key != "SECRET_KEY"
        }
        return {**inherited, **info["env"]}

    # ------------------------------------------------------------------ processes

    def _spawn(self, name: str, command: list[str], env: dict | None = None) -> int:
        """Start a service detached (its own session: Ctrl+C here does not reach it)."""
        log = (self.state / "logs" / f"{name}.log").open("a")
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env or os.environ.copy(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return process.pid

    def commands(self, info: dict) -> dict[str, list[str]]:
        """How each service that is a plain process is started."""
        ports, state = info["ports"], self.state
        tandem = venv_bin("tandem")
        commands = {
            "redis": [
                "redis-server", "--port", str(ports["redis"]), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(state / "redis"),
            ],
            "s3": [venv_bin("moto_server"), "-H", "127.0.0.1", "-p", str(ports["s3"])],
            "nginx": ["nginx", "-c", str(state / "nginx" / "nginx.conf"), "-p", str(state / "nginx")],
        }  # fmt: skip
        for n in range(1, SERVERS + 1):
            commands[f"serve-{n}"] = [
                tandem, "serve", "--host", "127.0.0.1", "--port", str(ports[f"serve-{n}"]),
                "--log-level", "warning", "--grace", "5",
            ]  # fmt: skip
        for n in range(1, WORKERS + 1):
            commands[f"worker-{n}"] = [tandem, "worker", "--interval", "0.5", "--grace", "5"]
        return commands

    def start(self, name: str) -> None:
        """Start one service (again) and wait until it answers."""
        info = self.info
        if name == "pg-primary":
            self._pg_start(info["paths"]["primary"], info["ports"]["pg-primary"])
        elif name == "pg-replica":
            subprocess.run(
                [str(HERE / "replica.sh"), "start", info["paths"]["replica"],
                 str(info["ports"]["pg-replica"])],
                check=True, capture_output=True,
            )  # fmt: skip
        else:
            command = self.commands(info)[name]
            env = self.env() if name.startswith(("serve", "worker")) else None
            info["pids"][name] = self._spawn(name, command, env)
            self.save(info)
        self.wait_healthy(name)

    def stop(self, name: str, *, kill: bool = False) -> None:
        """Stop one service: SIGTERM and wait (SIGKILL after 20 s), or at once with kill."""
        info = self.info
        if name in ("pg-primary", "pg-replica"):
            key = "primary" if name == "pg-primary" else "replica"
            mode = "immediate" if kill else "fast"
            as_postgres(pg_bin() / "pg_ctl", "-D", info["paths"][key], "-m", mode, "-w", "stop",
                        check=False)  # fmt: skip
            return
        pid = info["pids"].get(name)
        command = self.commands(info)[name]
        if not pid or not pid_alive(pid) or not pid_is(pid, Path(command[0]).name):
            info["pids"][name] = None
            self.save(info)
            return
        os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
        deadline = time.monotonic() + 20
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
        info["pids"][name] = None
        self.save(info)

    def _pg_start(self, data: str, port: int) -> None:
        # Its own socket directory, so it never meets the system server's lock file in /run.
        as_postgres(
            pg_bin() / "pg_ctl", "-D", data, "-l", f"{data}/server.log", "-w", "-t", "60",
            "-o", f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data}",
            "start",
        )  # fmt: skip

    def healthy(self, name: str) -> bool:
        info = self.info
        ports = info["ports"]
        if name.startswith("pg-"):
            port = ports[name]
            done = as_postgres(pg_bin() / "pg_isready", "-h", "127.0.0.1", "-p", str(port),
                               check=False)  # fmt: skip
            return done.returncode == 0
        if name == "redis":
            done = subprocess.run(
                ["redis-cli", "-p", str(ports["redis"]), "ping"], capture_output=True, text=True
            )
            return done.stdout.strip() == "PONG"
        if name == "s3":
            return http_ok(f"http://127.0.0.1:{ports['s3']}/moto-api/")
        if name.startswith("serve") or name == "nginx":
            return http_ok(f"http://127.0.0.1:{ports[name]}/healthz")
        # A worker has no port: it is up while its process runs.
        return pid_alive(info["pids"].get(name))

    def wait_healthy(self, name: str, seconds: float = 60.0) -> None:
        pid = self.info["pids"].get(name)

        def check() -> bool:
            if pid and not pid_alive(pid):
                log = self.state / "logs" / f"{name}.log"
                raise RuntimeError(f"{name} exited; its log {log}:\n{log.read_text()[-2000:]}")
            return self.healthy(name)

        wait_for(name, check, seconds)

    # ------------------------------------------------------------------ up

    def up(self) -> None:
        if self.file.exists():
            sys.exit(f"cluster: {self.state} already holds a cluster (`down` it first)")
        for sub in ("logs", "redis", "nginx", "data", "pg"):
            (self.state / sub).mkdir(parents=True, exist_ok=True)
        # PostgreSQL runs as postgres and must reach its data; everything else stays root's.
        self.state.chmod(0o755)
        shutil.chown(self.state / "pg", PG_USER)
        names = ["pg-primary", "pg-replica", "redis", "s3", "nginx"]
        names += [f"serve-{n}" for n in range(1, SERVERS + 1)]
        ports = {name: free_port() for name in names}
        paths = {
            "primary": str(self.state / "pg" / "primary"),
            "replica": str(self.state / "pg" / "replica"),
            "data": str(self.state / "data"),
        }
        database = f"postgres://postgres@127.0.0.1:{ports['pg-primary']}/tandem"
        env = {
            "DATABASE_URL": database,
            "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{ports['pg-replica']}/tandem",
            "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
            "TANDEM_DATA_DIR": paths["data"],
            "SECRET_KEY": secrets.token_urlsafe(50),
            "TANDEM_SITE_URL": f"http://127.0.0.1:{ports['nginx']}",
            "TANDEM_RATE_LIMIT_SCALE": str(RATE_LIMIT_SCALE),
            "TANDEM_DB_POOL_MAX": str(POOL_MAX),
            "TANDEM_S3_BUCKET": BUCKET,
            "TANDEM_S3_ENDPOINT_URL": f"http://127.0.0.1:{ports['s3']}",
            "TANDEM_S3_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "cluster",
            "AWS_SECRET_ACCESS_KEY": "cluster-secret",
            # faults.py's worker scenario delivers a webhook to a receiver on 127.0.0.1, which
            # Tandem otherwise refuses; the whole cluster listens on loopback only.
            "TANDEM_WEBHOOK_ALLOW_PRIVATE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        info = {"ports": ports, "paths": paths, "env": env, "pids": {}}
        self.save(info)

        self._primary(info)
        print(f"pg-primary  127.0.0.1:{ports['pg-primary']}", flush=True)
        made = subprocess.run(
            [str(HERE / "replica.sh"), "create", str(ports["pg-primary"]), paths["replica"],
             str(ports["pg-replica"])],
            capture_output=True, text=True,
        )  # fmt: skip
        if made.returncode != 0:
            raise RuntimeError(f"replica.sh create failed:\n{made.stdout}{made.stderr}")
        print(f"pg-replica  127.0.0.1:{ports['pg-replica']} ({made.stdout.strip()})", flush=True)

        self.start("redis")
        self.start("s3")
        self._bucket(info)
        print(f"redis       127.0.0.1:{ports['redis']}", flush=True)
        print(f"s3 (moto)   127.0.0.1:{ports['s3']}  bucket {BUCKET}", flush=True)

        # Once, before any server: three servers migrating at once would race.
        for step in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            done = subprocess.run(
                [venv_bin("tandem"), "manage", *step], cwd=ROOT, env=self.env(),
                capture_output=True, text=True,
            )  # fmt: skip
            if done.returncode != 0:
                raise RuntimeError(f"tandem manage {step[0]} failed:\n{done.stdout}{done.stderr}")
        print("migrated, static files collected", flush=True)

        for n in range(1, SERVERS + 1):
            self.start(f"serve-{n}")
            print(f"serve-{n}     127.0.0.1:{ports[f'serve-{n}']}", flush=True)
        for n in range(1, WORKERS + 1):
            self.start(f"worker-{n}")
        print(f"workers     {WORKERS}", flush=True)

        self._nginx_config(info)
        self.start("nginx")
        print(f"\nTandem      {self.url()}   (nginx; state in {self.state})\n", flush=True)
        for key, value in env.items():
            print(f"{key}={value}")

    def _primary(self, info: dict) -> None:
        data = info["paths"]["primary"]
        # trust on loopback: a throwaway cluster that only 127.0.0.1 can reach. initdb's
        # pg_hba.conf already lets 127.0.0.1 connect for replication.
        as_postgres(pg_bin() / "initdb", "-D", data, "-U", "postgres", "-A", "trust")
        with open(f"{data}/postgresql.conf", "a") as conf:
            # In the file rather than on the command line, so that pg_basebackup copies it:
            # a hot standby refuses to start with fewer connections than its primary.
            conf.write(f"\nmax_connections = {MAX_CONNECTIONS}\nshared_buffers = 256MB\n")
        self._pg_start(data, info["ports"]["pg-primary"])
        as_postgres(pg_bin() / "createdb", "-h", "127.0.0.1", "-p", str(info["ports"]["pg-primary"]),
                    "-U", "postgres", "tandem")  # fmt: skip

    def _bucket(self, info: dict) -> None:
        import boto3

        env = info["env"]
        boto3.client(
            "s3",
            endpoint_url=env["TANDEM_S3_ENDPOINT_URL"],
            region_name=env["TANDEM_S3_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=BUCKET)

    def _nginx_config(self, info: dict) -> None:
        ports, prefix = info["ports"], self.state / "nginx"
        servers = "\n".join(
            # One failure takes a server out for 5 s: a killed server costs one retried
            # connection per nginx worker, not one per request.
            f"        server 127.0.0.1:{ports[f'serve-{n}']} max_fails=1 fail_timeout=5s;"
            for n in range(1, SERVERS + 1)
        )
        static = Path(info["paths"]["data"]) / "static"
        media = Path(info["paths"]["data"]) / "media"
        (prefix / "nginx.conf").write_text(
            NGINX_CONF.format(
                prefix=prefix,
                logs=self.state / "logs",
                servers=servers,
                port=ports["nginx"],
                static=static,
                media=media,
                body_limit=BODY_LIMIT,
            )
        )

    # ------------------------------------------------------------------ status, down

    def status(self) -> dict[str, str]:
        info = self.info
        found = {}
        for name in info["ports"] | {f"worker-{n}": 0 for n in range(1, WORKERS + 1)}:
            up = self.healthy(name)
            where = f"127.0.0.1:{info['ports'][name]}" if name in info["ports"] else "-"
            pid = info["pids"].get(name)
            found[name] = f"{'up' if up else 'DOWN':4}  {where:16} pid {pid or '-'}"
        return found

    def down(self, keep: bool = False) -> None:
        """Stop everything that is left, whatever state it is in; then delete the state."""
        if self.file.exists():
            info = self.info
            order = ["nginx", *(f"serve-{n}" for n in range(1, SERVERS + 1))]
            order += [f"worker-{n}" for n in range(1, WORKERS + 1)]
            for name in [*order, "s3", "redis"]:
                try:
                    self.stop(name)
                except (OSError, KeyError) as error:
                    print(f"cluster: stopping {name}: {error}", file=sys.stderr)
            for name in ("pg-replica", "pg-primary"):
                self.stop(name)
            del info
        elif self.state.exists():
            # A cluster whose `up` failed before writing its state: PostgreSQL may still run.
            for data in (self.state / "pg" / "replica", self.state / "pg" / "primary"):
                if (data / "postmaster.pid").exists():
                    as_postgres(pg_bin() / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop",
                                check=False)  # fmt: skip
        if not keep and self.state.exists():
            shutil.rmtree(self.state, ignore_errors=True)


NGINX_CONF = """\
# Written by deploy/cluster/cluster.py; a starting point for a real site's configuration
# (docs/deployment.md), not the system's nginx service.
daemon off;
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {logs}/nginx-error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {logs}/nginx-access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    sendfile on;

    # Tandem refuses bodies over TANDEM_MAX_REQUEST_BYTES; nginx says so first.
    client_max_body_size {body_limit};

    upstream tandem {{
{servers}
        keepalive 32;
    }}

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      "";
    }}

    server {{
        listen 127.0.0.1:{port};

        # Collected once by `tandem manage collectstatic`; file names carry no hash, so a
        # short cache.
        location /static/ {{
            alias {static}/;
            expires 1h;
        }}

        # With TANDEM_S3_BUCKET (this cluster) pictures are signed bucket addresses on the
        # object store itself and nothing is kept here: this only serves a data-dir install.
        location /media/ {{
            alias {media}/;
        }}

        location /ws/ {{
            proxy_pass http://tandem;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # A live socket is quiet for as long as nobody posts.
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }}

        location / {{
            proxy_pass http://tandem;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # A refused or reset connection goes to the next server; nginx itself never
            # resends a POST that reached a server (it may have been applied).
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down", "status", "stop", "start", "kill"])
    parser.add_argument("service", nargs="?", help="for stop, start and kill")
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE)
    parser.add_argument("--keep", action="store_true", help="down: keep the state directory")
    args = parser.parse_args()
    cluster = Cluster(args.state.resolve())
    if args.action == "up":
        try:
            cluster.up()
        except (RuntimeError, subprocess.CalledProcessError) as error:
            detail = getattr(error, "stderr", "") or ""
            print(f"cluster: up failed: {error}\n{detail}", file=sys.stderr)
            print("cluster: stopping what had started", file=sys.stderr)
            cluster.down(keep=True)
            print(
                f"cluster: logs kept in {cluster.state / 'logs'}; "
                "`cluster.py down` removes them before the next `up`",
                file=sys.stderr,
            )
            return 1
    elif args.action == "down":
        cluster.down(keep=args.keep)
    elif args.action == "status":
        for name, line in cluster.status().items():
            print(f"{name:11} {line}")
    else:
        if not args.service:
            parser.error(f"{args.action} needs a SERVICE")
        if args.action == "start":
            cluster.start(args.service)
        else:
            cluster.stop(args.service, kill=args.action == "kill")
    return 0


if __name__ == "__main__":
    sys.exit(main())
