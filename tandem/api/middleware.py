"""Every error under ``/api/`` in the API's one shape, whoever answered it.

The operations answer their own errors as ``schemas.Error``. Some answers come from before
or beside them: django-ninja's bare "Method not allowed", Django's HTML page for an unknown
address or for a multipart body it cannot parse (``UploadLimitMiddleware`` parses uploads
before any view), the 413 and 429 pages. A script reading JSON would choke on those, so this
middleware, outside the others, turns any error under the API's prefix that is not JSON into
the same ``{"detail", "code", "fields"}``, with its status and ``Allow``/``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tandem.api.api import as_error

API_PREFIX = "/api/"


class ApiErrorsMiddleware:
    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(API_PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return as_error(request, response)
        return response
