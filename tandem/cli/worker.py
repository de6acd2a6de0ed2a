"""``tandem worker``: the background tasks (e-mails, webhooks, digests, reminders) and the
scheduler that queues the periodic ones, until stopped. The loop is django-tasks-db's
``db_worker`` with a bounded drain (``_draining_worker``): a stop lets the task in flight
finish within the grace period, then the process exits; a database that is away is waited
out rather than ending the worker. ``GRACE_SECONDS`` is the default grace of both this and
``tandem serve``; ``_stop_with_parent`` stops a process once the ``tandem serve`` that
started it is gone (``tandem.cli.serve`` uses it for its server processes too)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

from tandem.cli.base import _check_database, _fail, _setup_django

# How long stopping may take. On SIGTERM or SIGINT the web server finishes the requests in
# flight and the worker its current task, both within this many seconds; whatever is still
# running then is cut off. A service manager must wait longer than this before it kills
# (docs/deployment.md, "Stopping Tandem").
GRACE_SECONDS = 10
# The longest pause between a worker's attempts to reach a database that is away.
MAX_DATABASE_RETRY_SECONDS = 30.0
# How often a worker started by `serve --worker` checks that its server is still there.
PARENT_POLL_SECONDS = 1.0


def _stop_with_parent(parent_pid: int) -> None:
    """SIGTERM this process, so that it stops as if a service manager had asked, once the
    `tandem serve` that started it is gone (even SIGKILLed, when it could not stop us itself).

    It polls the parent pid rather than asking the kernel (Linux's PR_SET_PDEATHSIG): that
    needs a ``preexec_fn`` (unsafe in a parent that already runs threads) or uvicorn's
    multiprocessing children to set it themselves; it fires when the forking *thread* ends,
    not the process; and it is Linux only. An orphan is re-parented (to init or a
    subreaper), so a changed ``getppid()`` is a sure sign on every Unix, noticed within
    PARENT_POLL_SECONDS.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="tandem-parent-watch", daemon=True).start()


def _pending_migrations() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _draining_worker(
    *,
    interval: float,
    verbosity: int,
    grace: float,
    on_stop: Callable[[], None],
    worker_id: str | None = None,
):
    """django-tasks-db's ``db_worker`` loop, with a bounded drain.

    db_worker on its own: the first SIGTERM/SIGINT lets the task in flight finish (or exits at
    once when idle), however long that takes; any second signal aborts the task. Here a stop
    also stops the scheduler (``on_stop``), the task gets ``grace`` seconds and then the process
    exits, and only a second SIGINT (Ctrl+C twice) aborts early: repeated SIGTERMs are normal
    (systemd signals every process of the unit and `serve --worker` forwards its own).
    A task cut off stays "running" and is put back in the queue by the scheduler
    (tandem.notifications.scheduler.requeue_stale_tasks); every task is safe to run twice.
    """
    from django.utils.crypto import get_random_string
    from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
    from django_tasks_db.management.commands.db_worker import Command, Worker

    class DrainingWorker(Worker):
        stopping = False
        aborted = False

        def shutdown(self, signum: int, frame) -> None:
            if not self.stopping:
                self.stopping = True
                on_stop()
                threading.Thread(target=self._cut_off, name="tandem-grace", daemon=True).start()
                super().shutdown(signum, frame)  # exits now when idle
            elif signum == signal.SIGINT:
                self.aborted = True
                super().shutdown(signum, frame)  # db_worker's "terminating current task"

        def run(self) -> None:
            # db_worker's loop ends the process on any database error but a locked SQLite
            # file. A database that is away for a while (PostgreSQL restarting, the pool
            # timing out) is waited out instead, retrying with a growing pause, so the
            # worker comes back with the database as the servers do.
            from django.db import InterfaceError, OperationalError, close_old_connections

            pause = 1.0
            while self.running:
                try:
                    super().run()
                except (OperationalError, InterfaceError) as error:
                    if not self.running:
                        break
                    print(
                        f"tandem worker: the database is unreachable ({error}); "
                        f"trying again in {pause:g} s",
                        file=sys.stderr,
                        flush=True,
                    )
                    close_old_connections()
                    deadline = time.monotonic() + pause
                    while self.running and time.monotonic() < deadline:
                        time.sleep(0.2)
                    pause = min(pause * 2, MAX_DATABASE_RETRY_SECONDS)
                else:
                    break

        def _cut_off(self) -> None:
            time.sleep(grace)
            # Still here: the task outlived the grace period. os._exit, because nothing
            # else reliably interrupts a task blocked in C code (a socket, a lock).
            print(
                f"tandem worker: the current task did not finish within {grace:g} s; "
                "stopping anyway (the scheduler queues it again later)",
                file=sys.stderr,
                flush=True,
            )
            sys.stdout.flush()
            os._exit(1)

    Command().configure_logging(verbosity)
    return DrainingWorker(
        queue_names=[DEFAULT_TASK_QUEUE_NAME],
        interval=interval,
        batch=False,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=True,
        max_tasks=None,
        worker_id=worker_id or get_random_string(32),
        excluded_queue_names=[],
    )


def cmd_worker(args: argparse.Namespace) -> int:
    """Run background tasks (emails, webhooks, digests, reminders) until stopped."""
    _setup_django()
    _check_database()
    if _pending_migrations():
        return _fail(
            "the database has unapplied migrations; run `tandem serve` or `tandem manage migrate` first"
        )
    from django.utils.crypto import get_random_string

    from tandem.notifications.scheduler import run_scheduler

    stop = threading.Event()
    # One id for the task loop and the scheduler's heartbeat, so that a task this worker
    # leaves "running" when killed is known to be orphaned once the heartbeat stops.
    worker_id = get_random_string(32)
    scheduler = threading.Thread(
        target=run_scheduler,
        kwargs={"stop": stop, "every": args.schedule_every, "worker_id": worker_id},
        name="tandem-scheduler",
        daemon=True,
    )
    # Built directly rather than through `call_command("db_worker")`, whose signal handlers
    # drain without bound, and which would run under Django's autoreloader (a second process,
    # left orphaned by SIGTERM) whenever TANDEM_DEBUG is on.
    worker = _draining_worker(
        interval=args.interval,
        verbosity=args.verbosity,
        grace=args.grace,
        on_stop=stop.set,
        worker_id=worker_id,
    )
    worker.configure_signals()
    if args.parent_pid:
        _stop_with_parent(args.parent_pid)
    scheduler.start()
    print("Tandem worker running (Ctrl+C to stop)", flush=True)
    status = 0
    try:
        worker.run()
    except SystemExit as stopped:  # db_worker's handlers leave through sys.exit
        status = stopped.code if isinstance(stopped.code, int) else 1
    finally:
        stop.set()
        # Bounded like the rest; past the grace period _cut_off ends the process anyway.
        scheduler.join(timeout=args.grace)
    return 1 if worker.aborted else status
