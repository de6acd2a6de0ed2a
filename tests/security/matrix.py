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

from tests.security.world import ROLES, VISIBILITIES, World

# Outcomes of one request, as the test classifies them.
OK = "ok"  # 2xx/3xx, not a redirect to a log-in page, no error message queued
LOGIN = "login"  # redirect to a log-in page
DENIED = "denied"  # 403, 404, or a refusal shown as an error message on the way back
NOT_ALLOWED = "405"  # the method is not served
BAD = "400"  # a link or token that is not valid

WRITERS = frozenset({"owner", "participant"})
SIGNED_IN = frozenset({"stranger", "invited", "participant", "former", "owner", "staff"})

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
    content: str = "page"  # page | listing | export | export_ooc | backup
    variants: tuple[Variant, ...] = field(default_factory=tuple)
    kwargs: Callable[[World], dict] = lambda world: {}
    data: Callable[[World, str], dict] = lambda world, role: {}
    # Routes whose answer does not depend on the thread are checked on one world only.
    thread_independent: bool = False


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


OWNER_ONLY_OBJECT = only("owner")  # an object that belongs to the owner (muse, import, job…)


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
            everyone(),
            everyone(),
            content="listing",
            kwargs=lambda world: {"username": world.users["owner"].username},
        ),
        # -------------------------------------------------------------- muses
        Route("muse-list", signed_in(), signed_in(), thread_independent=True),
        Route("muse-create", signed_in(), signed_in(), thread_independent=True),
        Route("muse-import", signed_in(), signed_in(), thread_independent=True),
        Route("muse-detail", everyone(), everyone(), content="listing", kwargs=_muse),
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
        # -------------------------------------------------------------- threads
        Route("thread-new", signed_in(), signed_in(), thread_independent=True),
        Route("explore", everyone(), everyone(), content="listing"),
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
            never(NOT_ALLOWED),
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
    if kind == "DRAFT":
        return role == "participant" and content == "page"
    if kind == "REMOVED":
        # Only its writer, and never in a download.
        return role == "participant" and content == "page"
    if kind == "OOC":
        return role in WRITERS and content in ("page", "export_ooc")
    if kind == "P2OLD":
        return role in WRITERS
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
