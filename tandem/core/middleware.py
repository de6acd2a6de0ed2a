"""Headers every response carries, whoever asks; addresses no page can have."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

# Tandem uses none of these browser features; saying so stops an injected frame or script
# from asking the reader for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
    )
)


class PrivacyHeadersMiddleware:
    """Permissions-Policy on every response; ``Cache-Control: private`` for signed-in readers.

    A page rendered for a signed-in writer can hold private threads, drafts and the
    notification count: a shared cache (a proxy, a CDN) must never keep it for someone else.
    """

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if response.status_code >= 500:
            # An error page is nobody's to keep; and asking who the reader is would query
            # the database again just after it failed (a second pool timeout, when it is
            # down).
            patch_cache_control(response, private=True)
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True)
        return response


class NulPathMiddleware:
    """A 404 for an address with a NUL character (``/t/a%00b/``), before any view looks it up.

    No id, username or tag name can hold one (forms refuse them), and PostgreSQL refuses a
    NUL in any text it is asked to compare, so a lookup would be a 500 there and a 404 on
    SQLite. Found on the API's thread ids (issue 11); every page had the same hole.
    """

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:
            raise Http404("No such page.")
        return self.get_response(request)
