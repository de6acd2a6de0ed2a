"""The ``tandem`` command: serve, demo, worker, manage, import, export, backup, restore,
token; and, through a server's API from anywhere, queue and post (``tandem.api.client``).

A package of one module per family of subcommands, read in this order: ``parser`` declares
the command line and runs it (``main``, the console script ``tandem = "tandem.cli:main"``);
``base`` holds what every command shares (its errors, getting Django and the database
ready, a progress bar); ``serve`` and ``worker`` run Tandem (the web server, the background
worker, and how both stop within a grace period); ``importing`` splits a pasted thread into
posts; ``exporting`` exports threads, backs up and restores accounts; ``admin`` has the
demo world, API tokens and Django's management commands. The names below are the ones used
from outside the package: the API client's shared helpers, uvicorn's app factory
(``tandem.cli:served_application``, loaded by name under ``serve --workers N``) and the
helpers the tests call."""

from tandem.cli.base import CommandError, DatabaseUnreachable, UsageError
from tandem.cli.exporting import public_id_from
from tandem.cli.parser import build_parser, main
from tandem.cli.serve import DEFAULT_SITE_URL, _site_url_for, is_loopback, served_application
from tandem.cli.worker import GRACE_SECONDS, _draining_worker

__all__ = [
    "DEFAULT_SITE_URL",
    "GRACE_SECONDS",
    "CommandError",
    "DatabaseUnreachable",
    "UsageError",
    "_draining_worker",
    "_site_url_for",
    "build_parser",
    "is_loopback",
    "main",
    "public_id_from",
    "served_application",
]
