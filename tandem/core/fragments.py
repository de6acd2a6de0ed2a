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
part of the key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable

from django.conf import settings
from django.core.cache import caches
from django.utils.safestring import SafeString, mark_safe

CACHE_ALIAS = "fragments"


def fragment(kind: str, parts: tuple[Hashable, ...], render: Callable[[], str]) -> SafeString:
    """The fragment of this ``kind`` drawn from ``parts``: from the cache, or ``render()``-ed
    and kept. ``parts`` must hold every value the markup depends on (their ``repr`` is hashed,
    so use plain values: strings, numbers, datetimes, tuples of them)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    key = f"{kind}:{digest}"
    store = caches[CACHE_ALIAS]
    html = store.get(key)
    if html is None:
        html = str(render())
        store.set(key, html, settings.TANDEM_FRAGMENT_SECONDS)
    return mark_safe(html)  # rendered by our own templates, which escaped it
