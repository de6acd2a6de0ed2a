"""Rendered pieces of pages kept between requests, keyed by everything they show.

A list page draws the same thread cards and post headers for every reader; rendering them
through the template engine was most of those pages' time (docs/benchmarks.md, "Where the
time goes"). A fragment's key is a hash of the values it is drawn from, not a version
number that every writer of those values would have to bump, so a cached fragment can
never show something that has since changed: a change makes a new key, and the old entry
ages out.

The cache is each process's own memory (``CACHES["fragments"]``): no network round trip
per fragment, nothing to invalidate across app servers, and a deploy's new templates start
from an empty cache. What may go in a fragment: markup that is the same for every reader
given the key. Never a CSRF token, a CSP nonce, or anything about the reader that is not
part of the key. A fragment with forms is drawn with ``CSRF_HOLE`` as its token (pass it as
``csrf_token`` in the context of ``render``), and every time it is served the hole is
filled with the reader's own token.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Hashable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe

CACHE_ALIAS = "fragments"
#: Stands in for the reader's CSRF token in a cached fragment. New in each process, so no
#: text a writer typed (a thread's title, say) can know it and have a token put in its place.
CSRF_HOLE = secrets.token_hex(16)


def fragment(
    kind: str,
    parts: tuple[Hashable, ...],
    render: Callable[[], str],
    request: HttpRequest | None = None,
) -> SafeString:
    """The fragment of this ``kind`` drawn from ``parts``: from the cache, or ``render()``-ed
    and kept. ``parts`` must hold every value the markup depends on (their ``repr`` is hashed,
    so use plain values: strings, numbers, datetimes, tuples of them). With ``request``, the
    fragment's ``CSRF_HOLE``s are filled with that reader's token."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    key = f"{kind}:{digest}"
    store = caches[CACHE_ALIAS]
    html = store.get(key)
    if html is None:
        html = str(render())
        store.set(key, html, settings.TANDEM_FRAGMENT_SECONDS)
    if request is not None and CSRF_HOLE in html:
        html = html.replace(CSRF_HOLE, _token(request))
    return mark_safe(html)  # rendered by our own templates, which escaped it


def _token(request: HttpRequest) -> str:
    """The reader's CSRF token, masked once per request (every mask of it is valid)."""
    if "_fragment_csrf_token" not in request.__dict__:
        request.__dict__["_fragment_csrf_token"] = get_token(request)
    return request.__dict__["_fragment_csrf_token"]
