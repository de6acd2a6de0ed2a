"""The standing authorization matrix over every HTTP route.

Each route in the URL configuration is requested with GET and POST as every role
(anonymous, stranger, pending invitee, participant, former participant, owner, staff) on a
private, an unlisted and a public thread. The answer must be the one ``matrix.ROUTES`` says,
never a 5xx, and no marker text may appear where ``matrix.may_see`` says it must not —
pages, fragments, every download format and account backups alike. Every request runs in a
savepoint that is rolled back, so one role's POST does not change what the next one sees.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tandem.live.routing import websocket_urlpatterns
from tests.security import matrix
from tests.security.world import MARKER_KINDS, ROLES, VISIBILITIES, World, build_world

pytestmark = pytest.mark.django_db

# The WebSocket routes; tests/security/test_channel_matrix.py covers each.
WEBSOCKET_ROUTES = {"ws/threads/<str:public_id>/", "ws/threads/<str:public_id>/ooc/", "ws/me/"}


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(
                pattern.url_patterns,
                prefix + str(pattern.pattern),
                pattern.namespace or namespace,
            )
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, prefix + str(pattern.pattern)


def _routes() -> list[tuple[str | None, str]]:
    return list(_walk(get_resolver().url_patterns))


def test_every_route_has_an_entry_in_the_matrix():
    unlisted = [
        f"{name or '(unnamed)'} {pattern}"
        for name, pattern in _routes()
        if not (name in matrix.ROUTES or _is_admin(pattern) or _is_media(pattern))
    ]
    assert not unlisted, "Routes missing from tests/security/matrix.py:\n" + "\n".join(unlisted)
    names = {name for name, _ in _routes()}
    stale = sorted(set(matrix.ROUTES) - names)
    assert not stale, f"The matrix lists routes that no longer exist: {stale}"
    sockets = {str(p.pattern) for p in websocket_urlpatterns}
    assert sockets == WEBSOCKET_ROUTES, f"WebSocket routes changed: {sockets ^ WEBSOCKET_ROUTES}"


def _is_admin(pattern: str) -> bool:
    return pattern.startswith("admin/")


def _is_media(pattern: str) -> bool:
    return "media/" in pattern


# ---------------------------------------------------------------------------- requests


def _body(response) -> str:
    """Everything a reader gets, as text: zip downloads (backups, EPUBs) unpacked."""
    if getattr(response, "streaming", False):
        # The test client closes the response once its content has been read.
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data = b"\n".join(archive.read(name) for name in archive.namelist())
    return data.decode("utf-8", "replace")


def _classify(response) -> str:
    status = response.status_code
    if status >= 500 or status == 429:
        return f"status {status}"
    if status == 405:
        return matrix.NOT_ALLOWED
    if status == 400:
        return matrix.BAD
    if status in (403, 404):
        return matrix.DENIED
    if status == 401:  # the API's "send a token or sign in"
        return matrix.LOGIN
    if status in (301, 302, 303, 307, 308) and "/login/" in response.get("Location", ""):
        return matrix.LOGIN
    storage = getattr(response.wsgi_request, "_messages", None)
    queued = list(getattr(storage, "_queued_messages", []))
    errors = [m for m in queued if m.level >= messages.ERROR]
    successes = [m for m in queued if m.level == messages.SUCCESS]
    if errors and not successes:
        return matrix.DENIED
    if status < 400:
        return matrix.OK
    return f"status {status}"


def _ask(world: World, role: str, method: str, url: str, data: dict) -> tuple[str, str]:
    # Each request is a fresh visitor: rate limits are tested elsewhere, not tripped here.
    cache.clear()
    client = Client(raise_request_exception=False)
    user = world.users[role]
    if user is not None and role not in world.sessions:
        client.force_login(user)
        world.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    elif user is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, data)
        body = _body(response)
        outcome = _classify(response)
        transaction.set_rollback(True)
    return outcome, body


def _leaks(world: World, role: str, body: str, content: str) -> list[str]:
    return [
        world.marker(kind)
        for kind in MARKER_KINDS
        if world.marker(kind) in body and not matrix.may_see(kind, role, world.visibility, content)
    ]


def _cases(route: matrix.Route, world: World):
    variants = route.variants or (matrix.Variant("", route.kwargs, route.data),)
    for variant in variants:
        url = reverse(route.name, kwargs=variant.kwargs(world))
        content = variant.content or route.content
        for method, rule in (
            ("GET", variant.get or route.get),
            ("POST", variant.post or route.post),
        ):
            yield variant, url, content, method, rule


def _check(world, label, role, method, url, data, expected, content, failures):
    outcome, body = _ask(world, role, method, url, data)
    if outcome not in expected:
        failures.append(
            f"{label} {method} {url} as {role}: got {outcome}, expected {sorted(expected)}"
        )
    leaked = _leaks(world, role, body, content)
    if leaked:
        failures.append(f"{label} {method} {url} as {role}: LEAKS {leaked}")


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_every_route_answers_each_role_as_the_matrix_says(visibility):
    world = build_world(visibility)
    failures: list[str] = []
    for route in matrix.ROUTES.values():
        if route.thread_independent and visibility != "private":
            continue
        for variant, url, content, method, rule in _cases(route, world):
            label = f"[{route.name}{' · ' + variant.label if variant.label else ''}]"
            data = variant.data(world, "")
            for role in ROLES:
                data = variant.data(world, role) if method == "POST" else {}
                _check(
                    world, label, role, method, url, data, rule(role, visibility), content, failures
                )
    assert not failures, f"{len(failures)} matrix failures:\n" + "\n".join(failures)


# ---------------------------------------------------------------------------- admin, media


def _admin_path(pattern: str) -> str:
    """A concrete path for one of the admin's patterns."""
    path = pattern.lstrip("^").rstrip("$")
    path = re.sub(r"\(\?P<app_label>[^)]*\)", "auth", path)
    path = re.sub(r"\(\?P<url>[^)]*\)", "nothing-here/", path)
    path = re.sub(r"<path:[a-z_]+>", "1", path)
    return "/" + path


def test_the_admin_is_for_staff_only_and_media_is_public():
    world = build_world("private")
    failures: list[str] = []
    admin = [(name, pattern) for name, pattern in _routes() if _is_admin(pattern)]
    assert len(admin) > 10
    for name, pattern in admin:
        url = _admin_path(pattern)
        for role in ROLES:
            for method in ("GET", "POST"):
                if name == "admin:logout":
                    expected = matrix.ADMIN_LOGOUT
                elif name in matrix.ADMIN_OPEN:
                    expected = {matrix.OK}
                elif role == "staff":
                    expected = {matrix.OK, matrix.DENIED, matrix.NOT_ALLOWED}
                else:
                    expected = {matrix.LOGIN}
                data = {"username": "staff-pri", "password": "wrong"} if method == "POST" else {}
                _check(world, f"[{name}]", role, method, url, data, expected, "page", failures)
    media = world.icon.image.url
    for role in ROLES:
        _check(world, "[media]", role, "GET", media, {}, {matrix.OK}, "page", failures)
    assert not failures, f"{len(failures)} matrix failures:\n" + "\n".join(failures)


def test_docs_security_shows_this_matrix():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
    start, end = "<!-- matrix:start -->\n", "\n<!-- matrix:end -->"
    shown = doc[doc.index(start) + len(start) : doc.index(end)]
    assert shown == matrix.markdown_table(), (
        "docs/security.md's matrix is out of date; paste tests.security.matrix.markdown_table()"
    )
