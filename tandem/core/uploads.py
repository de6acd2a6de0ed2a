"""Request size limits: the largest body Tandem reads, at the ASGI door and in Django.

``BodySizeLimit`` wraps the ASGI app (tandem/asgi.py): a request whose Content-Length is over
the limit is answered 413 before its body is read, and a chunked body is counted as it
arrives and cut off with 413 once past the limit, so Django's ASGI handler never spools a
300 MB body to disk. ``SizeLimitUploadHandler`` does the same inside Django for multipart
uploads (and so for WSGI and the test client), and ``UploadLimitMiddleware`` shows the
writer a sentence instead of a form that silently lost its file.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict


def max_request_bytes() -> int:
    return settings.TANDEM_MAX_REQUEST_BYTES


def too_large_sentence(limit: int, size: int | None = None) -> str:
    what = f"That upload is {size / 1_048_576:.1f} MB" if size else "That upload is"
    return (
        f"{what}, larger than the {limit // 1_048_576} MB Tandem accepts in one request. "
        "Imports may be at most 10 MB and pictures 5 MB."
    )


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """ASGI middleware: refuse HTTP request bodies over ``max_bytes`` with 413."""

    def __init__(self, app, max_bytes: int | Callable[[], int]) -> None:
        self.app = app
        self._max_bytes = max_bytes

    @property
    def max_bytes(self) -> int:
        return self._max_bytes() if callable(self._max_bytes) else self._max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await self._refuse(send, limit)
                    return
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def watching_send(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send, limit: int) -> None:
        body = (too_large_sentence(limit) + "\n").encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    # The rest of the body is not wanted: close rather than read it.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class SizeLimitUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: stops reading a multipart body past the limit."""

    def _refuse(self) -> None:
        if self.request is not None:
            self.request.tandem_upload_too_large = True
        raise StopUpload(connection_reset=True)

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > max_request_bytes():
            # Declared too large: read none of it. Returning a result here means "parsed"
            # (nothing), where raising StopUpload would escape the parser as a 500.
            self.request.tandem_upload_too_large = True
            return QueryDict(), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > max_request_bytes():
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None


class UploadLimitMiddleware:
    """Answer 413 with a sentence when SizeLimitUploadHandler stopped an upload."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs):
        if request.method == "POST" and request.content_type == "multipart/form-data":
            request.POST  # noqa: B018 - parse now, before the view sees a form without its file
            if getattr(request, "tandem_upload_too_large", False):
                try:
                    size = int(request.META.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    size = 0
                message = too_large_sentence(max_request_bytes(), size)
                return render(request, "413.html", {"message": message}, status=413)
        return None
