"""The installable app (manifest, service worker, offline page) and the push devices page.

The subscribe/unsubscribe endpoints take the JSON the browser's PushSubscription gives
(``subscription.toJSON()``), with the session cookie and the CSRF token in a header.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from tandem.push import selectors, services
from tandem.push.models import PushSubscription

# Bump to make every installed service worker drop its caches (e.g. the offline page
# changed); browsers re-fetch /sw.js on navigation and see the new bytes.
SERVICE_WORKER_VERSION = "1"
# Theme colours: the brand and paper colours of tandem.css's light scheme.
THEME_COLOUR = "#6b2f8a"
BACKGROUND_COLOUR = "#fbf8f4"


@require_GET
@cache_control(max_age=3600, public=True)
def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": "Tandem",
        "short_name": "Tandem",
        "description": "Write stories together, one turn at a time.",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {
                "src": static(f"tandem/icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any",
            }
            for size in (192, 512)
        ]
        + [
            {
                "src": static("tandem/icons/maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": static("tandem/favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the site root so its scope is the whole site (a worker under /static/
    could only control /static/); never cached, so an update reaches browsers at once."""
    precache = [
        reverse("offline"),
        static("tandem/tandem.css"),
        static("tandem/favicon.svg"),
        static("tandem/icons/icon-192.png"),
    ]
    context = {
        "version": json.dumps(SERVICE_WORKER_VERSION),
        "offline_url": json.dumps(reverse("offline")),
        "precache": json.dumps(precache),
        "icon": json.dumps(static("tandem/icons/icon-192.png")),
    }
    response = render(request, "push/sw.js", context, content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What the service worker shows for a page it cannot fetch and has not kept."""
    return render(request, "push/offline.html")


@login_required
@require_GET
def devices(request: HttpRequest) -> HttpResponse:
    context = {
        "devices": selectors.devices_of(request.user),
        "max_devices": settings.TANDEM_PUSH_MAX_DEVICES,
        "vapid_public_key": services.application_server_key(),
    }
    response = render(request, "push/devices.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _subscription_json(request: HttpRequest) -> dict:
    # Anything but JSON is refused before its body is read (a form's was read already).
    if request.content_type != "application/json":
        raise ValidationError("Send the subscription as JSON.")
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("Send the subscription as JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("endpoint"), str):
        raise ValidationError("Send the subscription as JSON.")
    return data


def _errors(error: ValidationError) -> JsonResponse:
    return JsonResponse({"error": " ".join(error.messages)}, status=400)


@login_required
@require_POST
def subscribe(request: HttpRequest) -> JsonResponse:
    try:
        data = _subscription_json(request)
        keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
        subscription = services.subscription_save(
            writer=request.user,
            endpoint=data["endpoint"],
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except ValidationError as error:
        return _errors(error)
    return JsonResponse({"id": subscription.pk, "label": subscription.label}, status=201)


@login_required
@require_POST
def unsubscribe(request: HttpRequest) -> JsonResponse:
    try:
        data = _subscription_json(request)
    except ValidationError as error:
        return _errors(error)
    removed = services.subscription_remove_endpoint(writer=request.user, endpoint=data["endpoint"])
    return JsonResponse({"removed": removed})


@login_required
@require_POST
def device_remove(request: HttpRequest, pk: int) -> HttpResponse:
    # Another writer's device is a 404: its existence is not theirs to learn.
    subscription = get_object_or_404(PushSubscription, pk=pk, writer=request.user)
    services.subscription_remove(writer=request.user, subscription=subscription)
    messages.success(request, f"“{subscription.label}” will get no more notifications.")
    return redirect("push-devices")
