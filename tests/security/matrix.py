"""The authorization matrix: for every route, who may do what, and who may see which text.

``ROUTES`` has one entry per named URL pattern (admin's routes are one family); the test
fails for a route that has no entry, so a new route cannot ship without deciding who may
use it. Each entry says how to build its URL from a ``World`` (several variants where the
answer depends on which object is addressed), what a GET and a POST should give to each
role, and what kind of content the answer is, which decides which markers may appear in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.feeds import matrix_world as feeds_world
from tests.follows import matrix_world as follows_world
from tests.push import matrix_world as push_world
from tests.security.world import ROLES, VISIBILITIES, World
from tests.series import matrix_world as series_world
from tests.starters import matrix_world as starter_world
from tests.tracking import matrix_world as tracking_world

# Outcomes of one request, as the test classifies them.
OK = "ok"  # 2xx/3xx, not a redirect to a log-in page, no error message queued
LOGIN = "login"  # redirect to a log-in page
DENIED = "denied"  # 403, 404, or a refusal shown as an error message on the way back
NOT_ALLOWED = "405"  # the method is not served
BAD = "400"  # a link or token that is not valid

WRITERS = frozenset({"owner", "participant"})
SIGNED_IN = frozenset({"stranger", "blocked", "invited", "participant", "former", "owner", "staff"})

Rule = Callable[[str, str], frozenset[str]]


def _rule(allowed: Callable[[str, str], bool], *, login_required: bool) -> Rule:
    def rule(role: str, visibility: str) -> frozenset[str]:
        if allowed(role, visibility):
            return frozenset({OK})
        if role == "anonymous":
            # Either way the anonymous visitor learns nothing.
            return frozenset({LOGIN, DENIED}) if not login_required else frozenset({LOGIN})
        return frozenset({DENIED})

    return rule


def everyone() -> Rule:
    return _rule(lambda role, vis: True, login_required=False)


def signed_in() -> Rule:
    return _rule(lambda role, vis: role != "anonymous", login_required=True)


def not_blocked() -> Rule:
    """Everyone but the writer the owner blocked: the owner's profile and muses vanish for
    them (a 404, as if the page did not exist)."""
    return _rule(lambda role, vis: role != "blocked", login_required=False)


def readers(*, login_required: bool = False) -> Rule:
    """Whoever may read the thread: anyone for unlisted and public ones, its writers for
    private ones. A pending invitee, a former participant and staff are not readers."""
    return _rule(
        lambda role, vis: vis != "private" or role in WRITERS, login_required=login_required
    )


def readers_signed_in() -> Rule:
    """Readers, but only with an account (queue flags and the like)."""
    return _rule(
        lambda role, vis: role != "anonymous" and (vis != "private" or role in WRITERS),
        login_required=False,
    )


def public_only() -> Rule:
    """Anyone while the thread is public, nobody otherwise (a tag's page, the feeds)."""
    return _rule(lambda role, vis: vis == "public", login_required=False)


def only(*roles: str, login_required: bool = True) -> Rule:
    return _rule(lambda role, vis: role in roles, login_required=login_required)


def staff_only() -> Rule:
    """Staff pages send everyone else to the admin's log-in page."""
    return lambda role, visibility: frozenset({OK} if role == "staff" else {LOGIN})


def never(outcome: str) -> Rule:
    """The method is not served (anonymous visitors may be sent to log in first)."""

    def rule(role: str, visibility: str) -> frozenset[str]:
        return frozenset({outcome, LOGIN}) if role == "anonymous" else frozenset({outcome})

    return rule


def fixed(outcome: str) -> Rule:
    return lambda role, visibility: frozenset({outcome})


@dataclass(frozen=True)
class Variant:
    label: str
    kwargs: Callable[[World], dict]
    data: Callable[[World, str], dict] = lambda world, role: {}
    get: Rule | None = None  # None: same as the route's
    post: Rule | None = None
    content: str | None = None


@dataclass(frozen=True)
class Route:
    name: str
    get: Rule
    post: Rule
    content: str = "page"  # page | listing | export | export_ooc | backup | feed | private_feed
    variants: tuple[Variant, ...] = field(default_factory=tuple)
    kwargs: Callable[[World], dict] = lambda world: {}
    data: Callable[[World, str], dict] = lambda world, role: {}
    # Routes whose answer does not depend on the thread are checked on one world only.
    thread_independent: bool = False


def _world_tag(world: World) -> dict:
    """A fandom tag on the world's thread (added the first time a URL asks for it)."""
    from tandem.threads.models import Tag

    tag, _ = Tag.objects.get_or_create(category="fandom", name=f"Lanterns {world.visibility}")
    world.thread.tags.add(tag)
    return {"category": tag.category, "name": tag.name}


def _thread(world: World) -> dict:
    return {"public_id": world.thread.public_id}


def _post(kind: str) -> Callable[[World], dict]:
    return lambda world: {"public_id": world.thread.public_id, "number": world.numbers[kind]}


def _muse(world: World) -> dict:
    return {"pk": world.muses["owner"].pk}


def _spare_muse(world: World) -> dict:
    return {"pk": world.spare_muses["owner"].pk}


def _reply(world: World, role: str) -> dict:
    muse = world.muses.get(role)
    return {
        "muse": muse.pk if muse else "",
        "body": "the quay was quiet again.",
        "seen_post_count": world.thread.post_count,
    }


def _own_spare(world: World, role: str) -> dict:
    muse = world.spare_muses.get(role)
    return {"muse": muse.pk if muse else ""}


# ---- moderation (issue 10, item 11)


def _reads(role: str, visibility: str) -> bool:
    return visibility != "private" or role in WRITERS


def _reporters(allowed: Callable[[str, str], bool]) -> Rule:
    """Reporting needs an account; the rest is who can see the target, less its writer
    (whose own report is refused with a message)."""
    return _rule(lambda role, vis: role != "anonymous" and allowed(role, vis), login_required=True)


def _staff_get_only() -> Rule:
    return lambda role, visibility: frozenset({NOT_ALLOWED} if role == "staff" else {LOGIN})


def _report_data(world: World, role: str) -> dict:
    return {"reason": "spam", "text": "selling lamp oil in every post"}


def _open_report(world: World) -> dict:
    """A stranger's open report of the owner's muse (a target without markers: what staff
    see of reported private posts is covered by tests/moderation)."""
    from tandem.moderation.models import Report, TargetKind

    muse = world.muses["owner"]
    report, _ = Report.objects.get_or_create(
        reporter=world.users["stranger"],
        kind=TargetKind.MUSE,
        muse=muse,
        status="open",
        defaults={"reason": "spam", "target_label": f"muse {muse.name}"},
    )
    return {"pk": report.pk}


OWNER_ONLY_OBJECT = only("owner")  # an object that belongs to the owner (muse, import, job…)


def _api_form_post() -> Rule:
    """A form-encoded POST to a JSON operation: log in first, else a 400."""
    return lambda role, visibility: frozenset({LOGIN} if role == "anonymous" else {BAD})


def _api_post(kind: str) -> Callable[[World], dict]:
    return lambda world: {"thread_id": world.thread.public_id, "number": world.numbers[kind]}


def _owner_token(world: World) -> int:
    from tandem.api.models import AccessToken

    token = AccessToken.objects.filter(user=world.users["owner"]).first()
    if token is None:
        from tandem.api.services import token_create

        token = token_create(user=world.users["owner"], name="matrix")[0]
    return token.pk


def _no_feed(
    label: str, kwargs: Callable[[World], dict] = lambda world: {"token": "not-a-token"}
) -> Variant:
    """A private feed's address whose token opens nothing there: a 404 to everyone."""
    return Variant(label, kwargs, get=fixed(DENIED), post=fixed(NOT_ALLOWED))


def _export_variants() -> tuple[Variant, ...]:
    formats = ("md", "txt", "html", "archive", "epub", "json")
    return tuple(
        Variant(label=fmt, kwargs=_thread, data=lambda world, role, fmt=fmt: {"format": fmt})
        for fmt in formats
    )


ROUTES: dict[str, Route] = {
    route.name: route
    for route in [
        # -------------------------------------------------------------- site and accounts
        Route("home", everyone(), everyone(), content="listing"),
        Route("healthz", everyone(), everyone(), thread_independent=True),
        Route("sign-up", everyone(), everyone(), thread_independent=True),
        Route("login", everyone(), everyone(), thread_independent=True),
        Route("logout", never(NOT_ALLOWED), fixed(LOGIN), thread_independent=True),
        Route("password_change", signed_in(), signed_in(), thread_independent=True),
        Route("password_change_done", signed_in(), never(NOT_ALLOWED), thread_independent=True),
        Route("password_reset", everyone(), everyone(), thread_independent=True),
        Route("password_reset_done", everyone(), never(NOT_ALLOWED), thread_independent=True),
        Route(
            "password_reset_confirm",
            everyone(),
            everyone(),
            kwargs=lambda world: {"uidb64": "MQ", "token": "not-a-token"},
            thread_independent=True,
        ),
        Route("password_reset_complete", everyone(), never(NOT_ALLOWED), thread_independent=True),
        Route("profile", signed_in(), signed_in(), thread_independent=True),
        Route(
            "reading-preferences",
            never(NOT_ALLOWED),
            signed_in(),
            data=lambda world, role: {
                "theme": "dark",
                "reading_font": "serif",
                "reading_size": "m",
            },
            thread_independent=True,
        ),
        Route(
            "writer-profile",
            not_blocked(),
            not_blocked(),
            content="listing",
            kwargs=lambda world: {"username": world.users["owner"].username},
        ),
        # -------------------------------------------------------------- muses
        Route("muse-list", signed_in(), signed_in(), thread_independent=True),
        Route("muse-create", signed_in(), signed_in(), thread_independent=True),
        Route("muse-import", signed_in(), signed_in(), thread_independent=True),
        Route("muse-detail", not_blocked(), not_blocked(), content="listing", kwargs=_muse),
        Route("muse-edit", OWNER_ONLY_OBJECT, OWNER_ONLY_OBJECT, kwargs=_muse),
        Route("muse-archive", never(NOT_ALLOWED), OWNER_ONLY_OBJECT, kwargs=_spare_muse),
        Route("muse-delete", never(NOT_ALLOWED), OWNER_ONLY_OBJECT, kwargs=_spare_muse),
        Route("muse-icons", OWNER_ONLY_OBJECT, OWNER_ONLY_OBJECT, kwargs=_muse),
        Route(
            "muse-card",
            OWNER_ONLY_OBJECT,
            OWNER_ONLY_OBJECT,
            kwargs=lambda world: {
                "pk": world.muses["owner"].pk,
                "version": "v2",
                "extension": "json",
            },
        ),
        Route(
            "muse-icon-delete",
            never(NOT_ALLOWED),
            OWNER_ONLY_OBJECT,
            kwargs=lambda world: {"pk": world.muses["owner"].pk, "icon_pk": world.icon.pk},
        ),
        # -------------------------------------------------------------- blocks
        Route("block-list", signed_in(), never(NOT_ALLOWED), thread_independent=True),
        # Every role blocks the stranger, then unblocks them (the next route), so the
        # world is as it was for the routes after. The stranger cannot block themself.
        Route(
            "block-writer",
            signed_in(),
            _rule(lambda role, vis: role not in ("anonymous", "stranger"), login_required=True),
            kwargs=lambda world: {"username": world.users["stranger"].username},
            thread_independent=True,
        ),
        Route(
            "unblock-writer",
            never(NOT_ALLOWED),
            signed_in(),
            kwargs=lambda world: {"username": world.users["stranger"].username},
            thread_independent=True,
        ),
        # -------------------------------------------------------------- threads
        Route("thread-new", signed_in(), signed_in(), thread_independent=True),
        Route("explore", everyone(), never(NOT_ALLOWED), content="listing"),
        # Search answers are listings; tests/security/test_search_matrix.py searches for every
        # marker as every role.
        Route("search", everyone(), never(NOT_ALLOWED), content="listing"),
        Route(
            "invitation-respond",
            only("invited"),
            only("invited"),
            kwargs=lambda world: {"pk": world.invitation.pk},
            data=lambda world, role: {"answer": "decline"},
        ),
        Route(
            "invitation-withdraw",
            never(NOT_ALLOWED),
            only("owner"),
            kwargs=lambda world: {"pk": world.invitation.pk},
        ),
        Route(
            "thread-detail",
            readers(),
            # Posting: the owner holds the turn; the participant's reply comes back with
            # "not your turn" in the form (allowed to ask, refused by the turn).
            only("owner", "participant", login_required=False),
            kwargs=_thread,
            data=_reply,
        ),
        Route(
            "thread-settings",
            only("owner", "participant"),
            only("owner"),
            kwargs=_thread,
            data=lambda world, role: {"title": world.thread.title, "rating": "not_rated"},
        ),
        Route(
            "thread-invite",
            never(NOT_ALLOWED),
            only("owner"),
            kwargs=_thread,
            data=lambda world, role: {"username": world.users["stranger"].username},
        ),
        Route(
            "participant-add",
            never(NOT_ALLOWED),
            only("owner", "participant"),
            kwargs=_thread,
            data=_own_spare,
        ),
        Route(
            "participant-action",
            never(NOT_ALLOWED),
            only("owner"),
            kwargs=lambda world: {
                "public_id": world.thread.public_id,
                "participant_id": world.participant_row.pk,
            },
            data=lambda world, role: {"action": "up"},
        ),
        Route("turn-skip", never(NOT_ALLOWED), only("owner"), kwargs=_thread),
        Route(
            "composer-preview",
            never(NOT_ALLOWED),
            only("owner", "participant"),
            kwargs=_thread,
            data=lambda world, role: {"body": "a *preview*"},
        ),
        Route(
            "composer-draft",
            only("owner", "participant"),
            only("owner", "participant"),
            kwargs=_thread,
            data=_reply,
        ),
        Route(
            "thread-ooc",
            only("owner", "participant"),
            only("owner", "participant"),
            kwargs=_thread,
            data=lambda world, role: {"body": "are we skipping to the market?"},
        ),
        Route(
            "thread-flag",
            never(NOT_ALLOWED),
            only("owner", "participant"),
            kwargs=_thread,
            data=lambda world, role: {"flag": "pin"},
        ),
        Route(
            "thread-reminder",
            never(NOT_ALLOWED),
            only("owner", "participant"),
            kwargs=_thread,
            data=lambda world, role: {"days": "3"},
        ),
        Route("turn-fragment", readers(), never(NOT_ALLOWED), kwargs=_thread),
        Route("post-permalink", readers(), readers(), kwargs=_post("P2")),
        Route("post-fragment", readers(), never(NOT_ALLOWED), kwargs=_post("P2")),
        Route(
            "post-edit",
            only("participant"),
            only("participant"),
            variants=(
                Variant("author's post", _post("P2")),
                # The former participant's own post: leaving ends changing it.
                Variant(
                    "left writer's post",
                    _post("FORMER"),
                    get=only("nobody"),
                    post=only("nobody"),
                ),
            ),
            data=lambda world, role: {"body": "she counted them a fourth time."},
        ),
        Route(
            "post-delete",
            never(NOT_ALLOWED),
            only("participant"),
            variants=(
                Variant("author's post", _post("P2")),
                Variant("left writer's post", _post("FORMER"), post=only("nobody")),
            ),
        ),
        Route("post-restore", never(NOT_ALLOWED), only("participant"), kwargs=_post("REMOVED")),
        Route(
            "post-revisions",
            only("owner", "participant", login_required=False),
            only("owner", "participant", login_required=False),
            kwargs=_post("P2"),
        ),
        Route(
            "post-revision-restore",
            never(NOT_ALLOWED),
            only("participant"),
            kwargs=lambda world: {**_post("P2")(world), "revision": 1},
        ),
        # -------------------------------------------------------------- notifications
        Route("notifications", signed_in(), signed_in(), content="listing"),
        Route(
            "notification-open",
            never(NOT_ALLOWED),
            OWNER_ONLY_OBJECT,
            kwargs=lambda world: {"pk": world.notification.pk},
        ),
        Route("notifications-read-all", never(NOT_ALLOWED), signed_in(), thread_independent=True),
        Route("notification-preferences", signed_in(), signed_in(), thread_independent=True),
        Route("webhooks", signed_in(), signed_in(), thread_independent=True),
        Route(
            "webhook-action",
            never(NOT_ALLOWED),
            OWNER_ONLY_OBJECT,
            kwargs=lambda world: {"pk": world.webhook.pk},
            data=lambda world, role: {"action": "enable"},
        ),
        Route(
            "notifications-unsubscribe",
            everyone(),  # the confirmation page; the signed token is checked on POST
            fixed(BAD),
            kwargs=lambda world: {"token": "not-a-signed-token"},
            thread_independent=True,
        ),
        # -------------------------------------------------------------- import and export
        Route("import-new", signed_in(), signed_in(), thread_independent=True),
        Route(
            "import-review",
            OWNER_ONLY_OBJECT,
            OWNER_ONLY_OBJECT,
            kwargs=lambda world: {"pk": world.pending_import.pk},
        ),
        Route(
            "import-progress",
            OWNER_ONLY_OBJECT,
            OWNER_ONLY_OBJECT,
            kwargs=lambda world: {"pk": world.pending_import.pk},
        ),
        Route(
            "import-discard",
            never(NOT_ALLOWED),
            OWNER_ONLY_OBJECT,
            kwargs=lambda world: {"pk": world.pending_import.pk},
        ),
        Route(
            "thread-export",
            never(NOT_ALLOWED),
            readers(),
            content="export",
            variants=(
                *_export_variants(),
                Variant(
                    "json with OOC",
                    _thread,
                    content="export_ooc",
                    data=lambda world, role: {"format": "json", "include_ooc": "on"},
                ),
            ),
        ),
        Route(
            "export-job",
            OWNER_ONLY_OBJECT,
            OWNER_ONLY_OBJECT,
            kwargs=lambda world: {"pk": world.export_job.pk},
        ),
        Route(
            "export-job-download",
            OWNER_ONLY_OBJECT,
            OWNER_ONLY_OBJECT,
            kwargs=lambda world: {"pk": world.export_job.pk},
        ),
        Route("account-backup", signed_in(), signed_in(), content="backup"),
        Route("restore-upload", staff_only(), staff_only(), thread_independent=True),
        # ---- polish (issue 10, item 13): invite suggestions as the owner types
        Route(
            "thread-invite-suggestions",
            only("owner"),
            never(NOT_ALLOWED),
            kwargs=_thread,
        ),
        # ---- moderation (issue 10, item 11): reports, the staff queue and the audit log
        Route(
            "report-post",
            _reporters(lambda role, vis: role != "participant" and _reads(role, vis)),
            _reporters(lambda role, vis: role != "participant" and _reads(role, vis)),
            kwargs=_post("P2"),
            data=_report_data,
        ),
        Route(
            "report-thread",
            _reporters(lambda role, vis: role != "owner" and _reads(role, vis)),
            _reporters(lambda role, vis: role != "owner" and _reads(role, vis)),
            kwargs=_thread,
            data=_report_data,
        ),
        Route(
            "report-muse",
            _reporters(lambda role, vis: role not in ("owner", "blocked")),
            _reporters(lambda role, vis: role not in ("owner", "blocked")),
            kwargs=_muse,
            data=_report_data,
            thread_independent=True,
        ),
        Route(
            "report-writer",
            _reporters(lambda role, vis: role not in ("owner", "blocked")),
            _reporters(lambda role, vis: role not in ("owner", "blocked")),
            kwargs=lambda world: {"username": world.users["owner"].username},
            data=_report_data,
            thread_independent=True,
        ),
        Route("my-reports", signed_in(), never(NOT_ALLOWED), thread_independent=True),
        Route("moderation-queue", staff_only(), _staff_get_only(), thread_independent=True),
        Route("moderation-audit", staff_only(), _staff_get_only(), thread_independent=True),
        Route(
            "moderation-report",
            staff_only(),
            staff_only(),
            kwargs=_open_report,
            data=lambda world, role: {"action": "dismiss", "note": "not spam"},
            thread_independent=True,
        ),
        # ---- open starters (issue 10, item 7). The starter is the world's thread opened as
        # one (made by starter_world after the routes above); "former" has a request pending.
        Route(
            "starter-open",
            # Only a public thread becomes a starter: the owner of a private or unlisted one
            # gets the form back saying to make it public first.
            only("owner"),
            only("owner"),
            kwargs=_thread,
            data=lambda world, role: {"open_slots": "2", "looking_for": "weekly replies"},
        ),
        Route(
            "starter-board",
            everyone(),
            never(NOT_ALLOWED),
            content="listing",
            kwargs=starter_world.board_kwargs,
        ),
        Route("starter-new", signed_in(), signed_in(), thread_independent=True),
        Route("starter-mine", signed_in(), never(NOT_ALLOWED), content="listing"),
        Route(
            "starter-detail",
            # Readers of the thread, except writers blocked from it (the owner blocked them).
            _rule(
                lambda role, vis: role != "blocked" and (vis != "private" or role in WRITERS),
                login_required=False,
            ),
            never(NOT_ALLOWED),
            kwargs=starter_world.starter_kwargs,
        ),
        Route(
            "starter-request",
            never(NOT_ALLOWED),
            # Writers with nothing to do with the thread, on a public one; the owner, its
            # writers, the invitee, the blocked writer and one already asking are refused.
            _rule(
                lambda role, vis: vis == "public" and role in {"stranger", "staff"},
                login_required=True,
            ),
            kwargs=starter_world.starter_kwargs,
            data=lambda world, role: {**_own_spare(world, role), "message": "hello"},
        ),
        Route(
            "starter-manage",
            only("owner"),
            only("owner"),
            kwargs=starter_world.starter_kwargs,
            data=lambda world, role: {"open_slots": "3", "looking_for": "weekly replies"},
        ),
        Route(
            "starter-close", never(NOT_ALLOWED), only("owner"), kwargs=starter_world.starter_kwargs
        ),
        Route(
            "join-request-answer",
            never(NOT_ALLOWED),
            only("owner"),
            kwargs=starter_world.request_kwargs,
            data=lambda world, role: {"answer": "decline"},
        ),
        Route(
            "join-request-withdraw",
            never(NOT_ALLOWED),
            only("former"),
            kwargs=starter_world.request_kwargs,
        ),
        # ---- following and bookmarks (issue 10, item 9). Every signed-in role of the world
        # follows its thread and bookmarks P2 and the removed post (tests/follows/matrix_world):
        # the pages and the feed show only what each may still see. Following a thread needs
        # it public and the reader not writing in it nor blocked by its owner; a muse or a
        # writer, anyone signed in but their writer and the blocked writer.
        Route(
            "follows",
            signed_in(),
            never(NOT_ALLOWED),
            content="listing",
            kwargs=follows_world.pages_kwargs,
        ),
        Route(
            "bookmarks",
            signed_in(),
            never(NOT_ALLOWED),
            kwargs=follows_world.pages_kwargs,
        ),
        Route(
            "follows-feed",
            # Anyone holding the address: a feed reader has no session.
            everyone(),
            never(NOT_ALLOWED),
            variants=(
                Variant("stranger's feed", follows_world.feed_kwargs),
                _no_feed("bad token"),
            ),
        ),
        Route(
            "follow-thread",
            never(NOT_ALLOWED),
            _rule(
                lambda role, vis: (
                    vis == "public" and role in {"stranger", "invited", "former", "staff"}
                ),
                login_required=True,
            ),
            kwargs=follows_world.thread_kwargs,
            data=lambda world, role: {"action": "follow"},
        ),
        Route(
            "follow-muse",
            never(NOT_ALLOWED),
            only("stranger", "invited", "participant", "former", "staff"),
            kwargs=follows_world.muse_kwargs,
            data=lambda world, role: {"action": "follow"},
            thread_independent=True,
        ),
        Route(
            "follow-writer",
            never(NOT_ALLOWED),
            only("stranger", "invited", "participant", "former", "staff"),
            kwargs=follows_world.writer_kwargs,
            data=lambda world, role: {"action": "follow"},
            thread_independent=True,
        ),
        Route(
            "bookmark",
            never(NOT_ALLOWED),
            readers_signed_in(),
            variants=(
                Variant("P2", follows_world.post_kwargs("P2")),
                # A removed post takes no bookmark, not even from its writer.
                Variant(
                    "removed",
                    follows_world.post_kwargs("REMOVED"),
                    post=_rule(lambda role, vis: False, login_required=True),
                ),
            ),
            data=lambda world, role: {"note": "remember the quay"},
        ),
        # ---- series and links
        Route("series-list", signed_in(), signed_in(), thread_independent=True),
        Route(
            "series-detail",
            # Readers of its threads, but not a writer blocked by (or blocking) its owner; a
            # series none of whose threads is readable is a 404.
            _rule(
                lambda role, vis: role != "blocked" and (vis != "private" or role in WRITERS),
                login_required=False,
            ),
            never(NOT_ALLOWED),
            kwargs=lambda world: {"public_id": series_world.world_series(world).public_id},
        ),
        Route(
            "series-export",
            never(NOT_ALLOWED),
            _rule(
                lambda role, vis: role != "blocked" and (vis != "private" or role in WRITERS),
                login_required=False,
            ),
            content="export",
            kwargs=lambda world: {"public_id": series_world.world_series(world).public_id},
        ),
        *(
            Route(
                name,
                never(NOT_ALLOWED),
                only("owner"),
                kwargs=lambda world: {"public_id": series_world.world_series(world).public_id},
                data=lambda world, role: {"title": "Renamed saga"},
                thread_independent=True,
            )
            for name in ("series-edit", "series-delete")
        ),
        *(
            Route(
                name,
                never(NOT_ALLOWED),
                only("owner"),
                kwargs=lambda world: {
                    "public_id": series_world.world_series(world).public_id,
                    "pk": series_world.world_entry(world).pk,
                },
                data=lambda world, role: {"direction": "down"},
                thread_independent=True,
            )
            for name in ("series-entry-move", "series-entry-remove")
        ),
        Route(
            "series-thread-add",
            never(NOT_ALLOWED),
            only("owner"),
            kwargs=lambda world: {"public_id": series_world.spare_thread(world).public_id},
            data=lambda world, role: {"series": series_world.world_series(world).public_id},
            thread_independent=True,
        ),
        Route(
            "thread-link-add",
            never(NOT_ALLOWED),
            only("owner"),
            kwargs=_thread,
            data=lambda world, role: {
                "target": series_world.world_link(world).to_thread.public_id,
                "kind": "prequel",
            },
            thread_independent=True,
        ),
        Route(
            "thread-link-remove",
            never(NOT_ALLOWED),
            only("owner"),
            kwargs=lambda world: {"pk": series_world.world_link(world).pk},
            thread_independent=True,
        ),
        # ---- Tags and the directory (issue 10, items 4 and 5)
        # A tag's page exists only while a public thread carries it (a tag on a private or
        # unlisted thread could tell what the story is about); blocks only filter the list.
        Route(
            "tag-detail",
            public_only(),
            never(NOT_ALLOWED),
            content="listing",
            kwargs=lambda world: _world_tag(world),
        ),
        Route(
            "tag-suggest",
            everyone(),
            never(NOT_ALLOWED),
            content="listing",
            kwargs=lambda world: {"category": "fandom"},
            thread_independent=True,
        ),
        # ---- feeds and calendar (issue 11, items 7 and 8). A thread's and a tag's feeds
        # exist only while their page is public (unlisted threads' links are not for
        # copying), and are the same for everyone: a feed reader has no session. The
        # private ones answer whoever holds their address, and nothing else.
        Route("thread-feed", public_only(), never(NOT_ALLOWED), content="feed", kwargs=_thread),
        Route("tag-feed", public_only(), never(NOT_ALLOWED), content="feed", kwargs=_world_tag),
        *(
            Route(
                name,
                everyone(),
                never(NOT_ALLOWED),
                content="private_feed",
                variants=(
                    Variant("owner's address", kwargs),
                    _no_feed("bad token"),
                    _no_feed("another feed's token", feeds_world.follows_token_kwargs),
                ),
            )
            for name, kwargs in (
                ("turns-feed", feeds_world.turns_kwargs),
                ("calendar-feed", feeds_world.calendar_kwargs),
            )
        ),
        Route("private-feeds", signed_in(), never(NOT_ALLOWED), thread_independent=True),
        Route(
            "feed-reset",
            never(NOT_ALLOWED),
            signed_in(),
            variants=(
                *(
                    Variant(kind, lambda world, kind=kind: {"kind": kind})
                    for kind in ("follows", "turns", "calendar")
                ),
                Variant(
                    "no such feed",
                    lambda world: {"kind": "secrets"},
                    post=_rule(lambda role, vis: False, login_required=True),
                ),
            ),
            thread_independent=True,
        ),
        # ---- the API (issue 11): a signed-in session here (tokens: tests/api); unsigned
        # requests get a JSON 401, read as "log in". Readers as on the pages, never for
        # anonymous visitors. The matrix posts form data, which the API refuses as not JSON
        # before any rule is looked at (a 400 says nothing of the thread); posting's rules
        # with real JSON are tests/api's.
        Route("api-v1:api-root", fixed(DENIED), fixed(DENIED), thread_independent=True),
        # django-ninja serves its schema and docs page to any method; both are public.
        Route("api-v1:openapi-json", everyone(), everyone(), thread_independent=True),
        Route("api-v1:openapi-view", everyone(), everyone(), thread_independent=True),
        Route("api-v1:me", signed_in(), never(NOT_ALLOWED), thread_independent=True),
        Route("api-v1:queue", signed_in(), never(NOT_ALLOWED), thread_independent=True),
        # The signed-in writer's own muses only, whoever asks.
        Route("api-v1:muse_list", signed_in(), _api_form_post(), thread_independent=True),
        *(
            Route(
                name,
                _rule(
                    lambda role, vis: role != "anonymous" and _reads(role, vis),
                    login_required=True,
                ),
                never(NOT_ALLOWED),
                kwargs=lambda world: {"thread_id": world.thread.public_id},
            )
            # A thread (thread_change is its PATCH, at the same address), and who writes in
            # it (tandem/api/writing.py).
            for name in ("api-v1:thread_detail", "api-v1:thread_change", "api-v1:thread_people")
        ),
        Route(
            "api-v1:thread_posts",
            _rule(lambda role, vis: role != "anonymous" and _reads(role, vis), login_required=True),
            _api_form_post(),
            kwargs=lambda world: {"thread_id": world.thread.public_id},
        ),
        Route(
            "api-v1:thread_reply",
            _rule(lambda role, vis: role != "anonymous" and _reads(role, vis), login_required=True),
            _api_form_post(),
            kwargs=lambda world: {"thread_id": world.thread.public_id},
            data=_reply,
        ),
        # ---- writing through the API (tandem/api/writing.py): the pages' own services and
        # forms; PATCH and DELETE are tests/api's (the matrix asks GET and POST: 405 here).
        Route("api-v1:muse_new", signed_in(), _api_form_post(), thread_independent=True),
        Route(
            "api-v1:muse_change",
            never(NOT_ALLOWED),
            never(NOT_ALLOWED),
            kwargs=lambda world: {"muse_id": world.muses["owner"].pk},
            thread_independent=True,
        ),
        # A muse's icons: its owner's only (another writer's muse is a 404). The matrix's
        # POST carries no picture: a 400 naming ``image`` for anyone signed in, before any
        # muse is looked up (adding one is tests/api's).
        *(
            Route(
                name,
                OWNER_ONLY_OBJECT,
                _api_form_post(),
                kwargs=lambda world: {"muse_id": world.muses["owner"].pk},
                thread_independent=True,
            )
            # One address: the list (GET) and adding an icon (POST).
            for name in ("api-v1:icon_list", "api-v1:icon_new")
        ),
        Route(
            "api-v1:icon_remove",
            never(NOT_ALLOWED),
            never(NOT_ALLOWED),
            kwargs=lambda world: {"muse_id": world.muses["owner"].pk, "icon_id": 1},
            thread_independent=True,
        ),
        *(
            Route(name, signed_in(), _api_form_post(), thread_independent=True)
            for name in ("api-v1:thread_list", "api-v1:thread_new")
        ),
        Route(
            "api-v1:thread_invitation",
            never(NOT_ALLOWED),
            _api_form_post(),
            kwargs=lambda world: {"thread_id": world.thread.public_id},
        ),
        *(
            Route(name, never(NOT_ALLOWED), never(NOT_ALLOWED), kwargs=_api_post("P2"))
            for name in ("api-v1:post_change", "api-v1:post_remove")
        ),
        # The thread's writers, as the post's revisions page.
        Route(
            "api-v1:post_history",
            only("owner", "participant"),
            never(NOT_ALLOWED),
            kwargs=_api_post("P2"),
        ),
        Route("api-tokens", signed_in(), signed_in(), thread_independent=True),
        Route(
            "api-token-revoke",
            never(NOT_ALLOWED),
            OWNER_ONLY_OBJECT,
            kwargs=lambda world: {"token_id": _owner_token(world)},
            thread_independent=True,
        ),
        # ---- threads kept elsewhere (issue 11, items 9–10): a writer's own list; another
        # writer's tracked thread is a 404 (the world's one is the owner's).
        Route("tracked-list", signed_in(), signed_in(), thread_independent=True),
        Route("tracked-import", signed_in(), signed_in(), thread_independent=True),
        Route("tracked-export", signed_in(), never(NOT_ALLOWED), thread_independent=True),
        Route(
            "tracked-edit",
            OWNER_ONLY_OBJECT,
            OWNER_ONLY_OBJECT,
            kwargs=tracking_world.tracked_kwargs,
            thread_independent=True,
        ),
        *(
            Route(
                name,
                never(NOT_ALLOWED),
                OWNER_ONLY_OBJECT,
                kwargs=tracking_world.tracked_kwargs,
                data=tracking_world.turn_data,
                thread_independent=True,
            )
            for name in ("tracked-turn", "tracked-archive", "tracked-delete")
        ),
        # ---- notifications, search and exports through the API (issue 11, item 1): the
        # writer's own notifications and export jobs (another's job is a 404); searching
        # with no words is a 400 naming ``q`` (its results' rules are tests/api's).
        Route("api-v1:notification_list", signed_in(), never(NOT_ALLOWED), thread_independent=True),
        Route(
            "api-v1:notification_mark_read",
            never(NOT_ALLOWED),
            _api_form_post(),
            thread_independent=True,
        ),
        Route("api-v1:search", _api_form_post(), never(NOT_ALLOWED), thread_independent=True),
        Route(
            "api-v1:export_create", never(NOT_ALLOWED), _api_form_post(), thread_independent=True
        ),
        *(
            Route(
                name,
                OWNER_ONLY_OBJECT,
                never(NOT_ALLOWED),
                content="export",
                kwargs=lambda world: {"export_id": world.export_job.pk},
            )
            for name in ("api-v1:export_detail", "api-v1:export_download")
        ),
        Route("api-v1:tracked_list", signed_in(), _api_form_post(), thread_independent=True),
        Route("api-v1:tracked_create", signed_in(), _api_form_post(), thread_independent=True),
        Route(
            "api-v1:tracked_turn",
            never(NOT_ALLOWED),
            _api_form_post(),
            kwargs=tracking_world.api_kwargs,
            thread_independent=True,
        ),
        # ---- the installable app and Web Push (issue 11, items 11 and 12): the manifest,
        # worker and offline page are the same for everyone; devices are the writer's own.
        Route("web-manifest", everyone(), never(NOT_ALLOWED), thread_independent=True),
        Route("service-worker", everyone(), never(NOT_ALLOWED), thread_independent=True),
        Route("offline", everyone(), never(NOT_ALLOWED), thread_independent=True),
        Route("push-devices", signed_in(), never(NOT_ALLOWED), thread_independent=True),
        Route(
            "push-device-remove",
            never(NOT_ALLOWED),
            OWNER_ONLY_OBJECT,
            kwargs=push_world.owner_device_kwargs,
            thread_independent=True,
        ),
        # JSON from the page script; the matrix's form data is refused as not JSON.
        Route("push-subscribe", never(NOT_ALLOWED), _api_form_post(), thread_independent=True),
        Route("push-unsubscribe", never(NOT_ALLOWED), _api_form_post(), thread_independent=True),
        # ---- live OOC and people (issue 10, item 12): one OOC message as the OOC page shows
        # it, fetched by the writers' pages when their OOC socket hears of it.
        Route(
            "ooc-fragment",
            only("owner", "participant"),
            never(NOT_ALLOWED),
            kwargs=lambda world: {
                "public_id": world.thread.public_id,
                "pk": world.thread.ooc_messages.order_by("pk").values_list("pk", flat=True)[0],
            },
        ),
    ]
}

# Django's admin: staff only; everyone else is sent to its log-in page. The log-in page
# itself is open (and rate-limited).
ADMIN_OPEN = {"admin:login"}
# Logging out is harmless for anyone: GET is refused, POST ends the session.
ADMIN_LOGOUT = frozenset({OK, LOGIN, NOT_ALLOWED})
ADMIN_RULE = only("staff")

# Uploaded pictures (avatars and icons) are public: muse pages are public.
MEDIA_RULE = everyone()


# ------------------------------------------------------------------ who may see which text

_AS_KNOWN_BEFORE_LEAVING = WRITERS | {"former"}


def may_see(kind: str, role: str, visibility: str, content: str) -> bool:
    """May ``role`` find marker ``kind`` of a ``visibility`` thread in this content?"""
    private = visibility == "private"
    if content == "backup":
        return kind in _backup_sees(role, private)
    if content == "feed":
        # A public feed, the same for everyone: what an anonymous reader of a public thread
        # reads (no removed post, no OOC, no older revision), and nothing of other threads.
        return visibility == "public" and kind in ("TITLE", "P1", "P2", "FORMER", "AFTER")
    if content == "private_feed":
        # A writer's turns or calendar, opened by its secret address: their threads'
        # titles, never a post's text.
        return kind == "TITLE"
    if kind == "DRAFT":
        return role == "participant" and content == "page"
    if kind == "REMOVED":
        # Only its writer, and never in a download.
        return role == "participant" and content == "page"
    if kind == "OOC":
        return role in WRITERS and content in ("page", "export_ooc")
    if kind == "P2OLD":
        return role in WRITERS
    if role == "blocked" and content == "listing":
        # Lists (the directory, search, profiles, the home page) never show the blocked
        # writer anything of the owner's thread; its page stays readable by its link.
        return False
    if kind == "TITLE" and content == "listing":
        return visibility == "public" or role in WRITERS | {"invited"}
    if not private:
        return True
    if kind in ("TITLE", "P1"):
        # An invitee reads the title, summary and opening post before answering.
        return role in _AS_KNOWN_BEFORE_LEAVING | {"invited"}
    if kind in ("P2", "FORMER"):
        return role in _AS_KNOWN_BEFORE_LEAVING
    return role in WRITERS  # AFTER


def _backup_sees(role: str, private: bool) -> set[str]:
    if role == "participant":
        return {"TITLE", "P1", "P2", "P2OLD", "FORMER", "AFTER", "REMOVED", "OOC", "DRAFT"}
    if role == "owner":
        return {"TITLE", "P1", "P2", "P2OLD", "FORMER", "AFTER", "OOC"}
    if role == "former":
        # Their own posts always; the rest of the thread as it was when they left, unless
        # the thread is private.
        return {"TITLE", "FORMER"} if private else {"TITLE", "P1", "P2", "FORMER"}
    return set()


# ------------------------------------------------------------------ the table in the docs


def _who(rule: Rule, visibility: str) -> str:
    allowed = [role for role in ROLES if OK in rule(role, visibility)]
    if len(allowed) == len(ROLES):
        return "everyone"
    if set(allowed) == set(SIGNED_IN):
        return "signed in"
    if not allowed:
        outcomes = rule("stranger", visibility)
        if outcomes == {LOGIN}:
            return "everyone, then the log-in page"
        return "405" if NOT_ALLOWED in outcomes else ("400" if BAD in outcomes else "nobody")
    return ", ".join(allowed)


def _describe(rule: Rule) -> str:
    by_visibility = {vis: _who(rule, vis) for vis in VISIBILITIES}
    if len(set(by_visibility.values())) == 1:
        return by_visibility["private"]
    if by_visibility["unlisted"] == by_visibility["public"] == "everyone":
        return f"private: {by_visibility['private']}; else everyone"
    return "; ".join(f"{vis}: {who}" for vis, who in by_visibility.items())


def markdown_table() -> str:
    """The matrix as docs/security.md shows it (a test keeps the two the same)."""
    lines = [
        "| route | GET | POST | answer holds |",
        "| --- | --- | --- | --- |",
    ]
    for route in ROUTES.values():
        variants = route.variants or (Variant("", route.kwargs),)
        for variant in variants:
            name = route.name + (f" ({variant.label})" if variant.label else "")
            get = _describe(variant.get or route.get)
            post = _describe(variant.post or route.post)
            content = variant.content or route.content
            lines.append(f"| `{name}` | {get} | {post} | {content} |")
    lines.append("| `admin:*` | staff | staff | page |")
    lines.append("| `media/…` (avatars, icons) | everyone | everyone | picture |")
    lines.append(
        "| `ws/threads/<id>/` | readers; closed with 4403 when access ends | — | post numbers only |"
    )
    lines.append("| `ws/me/` | signed in | — | counts only |")
    return "\n".join(lines)
