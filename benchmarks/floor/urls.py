"""The floor's one URL and its one view."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def hello(request: HttpRequest) -> HttpResponse:
    # A small fixed body: the cost is the server, the handler and the middleware, no work.
    return HttpResponse(b"<!doctype html><title>floor</title><p>floor</p>\n")


urlpatterns = [path("", hello)]
