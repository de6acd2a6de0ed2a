"""``tandem import``: split a pasted thread (.txt, .md, .html, .json) into posts and muses
with ``tandem.imports.services``, then create it as a private thread of ``--owner``, or, with
``--dry-run``, only show the proposal (a table, or JSON). Other writers' muses are put in
once their writers accept an invitation, unless ``--trust-owners`` says to skip asking."""

from __future__ import annotations

import argparse
import sys

from tandem.cli.base import CommandError, _existing_file, _messages, _Progress, _ready, _user


def cmd_import(args: argparse.Namespace) -> int:
    """Split a pasted thread into posts and muses; create it, or only show the proposal."""
    import json

    _ready(migrate=True)
    from django.core.exceptions import ValidationError

    from tandem.exports.selectors import absolute_url
    from tandem.imports import services

    path = _existing_file(args.path)
    data = path.read_bytes()
    title = args.title or path.stem.replace("_", " ").replace("-", " ").strip() or "Imported thread"
    try:
        specs = [services.MuseSpec.parse(text) for text in args.muse]
        owner = _user(args.owner) if args.owner else None
        if args.dry_run:
            names = services.known_muse_names(specs, owner)
            proposal, warnings = services.proposal_for(
                data, names, filename=path.name, fmt=args.format
            )
            report = services.proposal_report(proposal, names, warnings)
            if args.json:
                print(json.dumps(report, ensure_ascii=False, indent=2))
            else:
                _print_proposal(report)
            return 0
        if owner is None:
            raise CommandError("say who owns the new thread with --owner USERNAME")
        if not specs:
            raise CommandError("name the thread's muses with --muse NAME[=OWNER]")
        muses = services.resolve_muses(owner, specs, may_create_for_others=args.trust_owners)
        proposal, warnings = services.proposal_for(
            data, services.muse_names(muses), filename=path.name, fmt=args.format
        )
        posts = services.posts_of_proposal(proposal, muses)
        with _Progress("Importing posts") as progress:
            thread = services.thread_import(
                owner=owner,
                title=title,
                posts=posts,
                muses=muses,
                progress=progress,
                trust_owners=args.trust_owners,
            )
    except ValidationError as error:
        raise CommandError(_messages(error)) from error
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    claims = sorted({i.invitee.username for i in thread.invitations.select_related("invitee")})
    if args.json:
        print(
            json.dumps(
                {
                    "url": absolute_url(thread.get_absolute_url()),
                    "posts": len(posts),
                    "awaiting": claims,
                }
            )
        )
    else:
        print(f"Imported {len(posts)} posts: {absolute_url(thread.get_absolute_url())}")
        if claims:
            print(
                f"Waiting for {', '.join(claims)} to accept their muses' posts (invitations "
                "sent; --trust-owners skips this)."
            )
    return 0


def _print_proposal(report: dict) -> None:
    from rich.table import Table

    table = Table(title="Proposed posts")
    for column in ("#", "muse", "confidence", "words", "starts"):
        table.add_column(column)
    for number, post in enumerate(report["posts"], start=1):
        table.add_row(
            str(number),
            post["muse"] or "[bold red]unknown[/]",
            f"{post['confidence']:.2f}",
            str(post["words"]),
            post["start"],
        )
    from rich.console import Console

    console = Console()
    console.print(table)
    for warning in report["warnings"]:
        console.print(f"[yellow]warning:[/] {warning}")
