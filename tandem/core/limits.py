"""Rate limits: every limit Tandem sets on a request, in one table, and the 429 answer.

Limits are counted in the shared cache (``settings.CACHES``) by django-ratelimit, so every
``--workers`` process and every app server sees the same counts. Log-in failures are counted
by django-axes (``AXES_*`` settings); its lockout answers with the same 429 page.

The rates are set so that a person writing, however fast, never meets them; they stop
scripts. ``TANDEM_RATE_LIMIT_SCALE`` multiplies every count (benchmarks and load tests raise
it; 0 is refused at start-up).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage, user_or_ip

logger = logging.getLogger(__name__)

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis comes with channels-redis
    RedisError = OSError
_CACHE_ERRORS = (OSError, RedisError)

# name: (rate, key). Keys are django-ratelimit keys: "user_or_ip", "ip", "post:email", …
LIMITS: dict[str, tuple[str, str]] = {
    "login": ("30/m", "ip"),  # any usernames; per username, django-axes locks out
    "sign-up": ("10/h", "ip"),
    "password-reset-ip": ("5/h", "ip"),
    "password-reset-email": ("5/h", "tandem.core.limits.posted_email"),
    "post": ("30/m", "user_or_ip"),
    "preview": ("120/m", "user_or_ip"),
    "thread-create": ("30/h", "user_or_ip"),
    "invite": ("60/h", "user_or_ip"),
    "import": ("20/h", "user_or_ip"),
    "export": ("60/h", "user_or_ip"),
    "webhook-test": ("10/h", "user_or_ip"),
    "upload": ("60/h", "user_or_ip"),
    "search": ("60/m", "user_or_ip"),
    "report": ("20/h", "user_or_ip"),
    "block": ("30/h", "user_or_ip"),
    "api": ("300/m", "tandem.core.limits.token_or_writer"),  # every API call, per token
    "token": ("20/h", "user_or_ip"),
}


class RateLimited(Exception):
    """A request over one of the limits above; answered with the 429 page."""

    def __init__(self, name: str, retry_after: int) -> None:
        super().__init__(name)
        self.name = name
        self.retry_after = max(1, int(retry_after))

    @property
    def message(self) -> str:
        return (
            f"{_WHAT.get(self.name, 'That')} is paused for now. {wait_sentence(self.retry_after)}"
        )


_WHAT = {
    "sign-up": "Signing up from your network",
    "password-reset-ip": "Asking for password resets from your network",
    "password-reset-email": "Sending password resets to that address",
    "post": "Posting",
    "preview": "Previewing",
    "thread-create": "Starting threads",
    "invite": "Sending invitations",
    "import": "Importing",
    "export": "Downloading",
    "webhook-test": "Testing webhooks",
    "upload": "Uploading pictures",
    "search": "Searching",
    "report": "Sending reports",
    "block": "Blocking writers",
    "login": "Logging in from your network",
}


def wait_sentence(seconds: int) -> str:
    """'Try again in about 3 minutes.' — a wait in words, rounded up."""
    if seconds < 60:
        return f"Try again in {seconds} second{'s' if seconds != 1 else ''}."
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"Try again in about {minutes} minute{'s' if minutes != 1 else ''}."
    hours = math.ceil(minutes / 60)
    return f"Try again in about {hours} hours."


def scaled_rate(rate: str) -> str:
    """The rate with its count multiplied by ``TANDEM_RATE_LIMIT_SCALE``."""
    count, _, period = rate.partition("/")
    scale = float(getattr(settings, "TANDEM_RATE_LIMIT_SCALE", 1.0))
    return f"{max(1, round(int(count) * scale))}/{period}"


def posted_email(group: str, request: HttpRequest) -> str:
    """The e-mail address a form posted, normalised, as a rate-limit key."""
    return request.POST.get("email", "").strip().lower()[:254]


def token_or_writer(group: str, request: HttpRequest) -> str:
    """An API call's rate-limit key: the personal access token it was made with, so each
    token has its own budget (two tokens of one writer are counted apart, one token used from
    many addresses is counted as one); a signed-in session counts against its writer."""
    token = getattr(request, "api_token", None)
    if token is not None:
        return f"token:{token.pk}"
    return user_or_ip(request)


def client_ip(request: HttpRequest) -> str:
    """The client's address as the server saw it (AXES_CLIENT_IP_CALLABLE).

    Axes stores it in an address column (``inet`` on PostgreSQL), so anything that is not an
    address (a request made in-process, with no peer) counts as the unspecified address.
    """
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return "0.0.0.0"


def axes_username(request: HttpRequest, credentials: dict | None) -> str:
    """The username a log-in tried, cut to the longest a username can be: a 50,000-character
    one is counted (and logged) as its first 150 characters."""
    field = "username"
    value = (credentials or {}).get(field) or request.POST.get(field, "")
    return str(value)[:150]


def hit(request: HttpRequest, name: str) -> None:
    """Count one request against the limit ``name``; raise RateLimited if it is over."""
    rate, key = LIMITS[name]
    try:
        usage = get_usage(
            request, group=f"tandem:{name}", key=key, rate=scaled_rate(rate), increment=True
        )
    except _CACHE_ERRORS as error:
        # The shared cache (Redis) is down: writing must go on, so the limit lets this
        # request through rather than failing it (as posting goes on without live updates).
        logger.warning("Rate limit %s not counted: the cache is unreachable (%s)", name, error)
        return
    if usage and usage["should_limit"]:
        raise RateLimited(name, usage["time_left"])


def refusal(request: HttpRequest, name: str) -> str | None:
    """Count one request against ``name``; None if allowed, else the sentence to show.

    For forms that must keep what the writer typed: the view shows the sentence as a form
    error and the middleware turns the page into a 429 with Retry-After.
    """
    try:
        hit(request, name)
    except RateLimited as error:
        request.tandem_rate_limited = error
        return error.message
    return None


def limit(*names: str, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """View decorator: count requests (POST by default) against each named limit."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.method in methods:
                for name in names:
                    hit(request, name)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def too_many_requests(request: HttpRequest, message: str, retry_after: int) -> HttpResponse:
    """The 429 page: what was paused and, in words, when to try again (and Retry-After)."""
    response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class RateLimitMiddleware:
    """Turns RateLimited raised anywhere in a view into the 429 page, and marks a page that
    re-showed a form after ``refusal`` as a 429 with Retry-After."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        limited = getattr(request, "tandem_rate_limited", None)
        if limited is not None and response.status_code == 200:
            response.status_code = 429
            response["Retry-After"] = str(limited.retry_after)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, RateLimited):
            return too_many_requests(request, exception.message, exception.retry_after)
        return None


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """django-axes' answer once a username+address has failed too often (AXES_LOCKOUT_CALLABLE)."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    message = (
        "Too many failed log-ins for this username from your network, so logging in is "
        f"paused. {wait_sentence(seconds)} If you forgot your password, reset it."
    )
    return too_many_requests(request, message, seconds)
