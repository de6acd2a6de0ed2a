from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from tandem.core.limits import limit
from tandem.notifications import selectors, services, webhooks
from tandem.notifications.forms import PreferencesForm, WebhookForm
from tandem.notifications.models import Kind, Notification, Webhook


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_of(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go where it points."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.mark_read(writer=request.user, notification_ids=[notification.pk])
    return redirect(notification.url)


@login_required
@require_POST
def notification_mark_all(request: HttpRequest) -> HttpResponse:
    count = services.mark_read(writer=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("notifications")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    prefs = services.settings_for(request.user)
    initial = {
        "daily_digest": prefs.daily_digest,
        "quiet_hours_start": prefs.quiet_hours_start,
        "quiet_hours_end": prefs.quiet_hours_end,
        "reminder_days": prefs.reminder_days,
    }
    form = PreferencesForm(request.POST or None, prefs=prefs, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.preferences_update(
            writer=request.user,
            channels=form.chosen_channels(),
            daily_digest=form.cleaned_data["daily_digest"],
            quiet_hours_start=form.cleaned_data["quiet_hours_start"],
            quiet_hours_end=form.cleaned_data["quiet_hours_end"],
            reminder_days=form.cleaned_data["reminder_days"],
        )
        messages.success(request, "Notification preferences saved.")
        return redirect("notification-preferences")
    return render(request, "notifications/preferences.html", {"form": form})


# Mail clients POST here without a session or CSRF token (RFC 8058); the signed token in
# the URL is the authorisation.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "GET":
        return render(request, "notifications/unsubscribe.html", {"token": token, "done": False})
    result = services.unsubscribe(token)
    if result is None:
        return render(
            request, "notifications/unsubscribe.html", {"invalid": True, "done": False}, status=400
        )
    _writer, kind = result
    label = Kind(kind).label
    return render(request, "notifications/unsubscribe.html", {"done": True, "label": label})


@login_required
@require_http_methods(["GET", "POST"])
@limit("webhook-test")
def webhook_list(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            hook = webhooks.webhook_add(writer=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Webhook added. Its signing secret is shown below.")
            return redirect(f"{request.path}#webhook-{hook.pk}")
    hooks = Webhook.objects.filter(writer=request.user)
    return render(request, "notifications/webhooks.html", {"form": form, "webhooks": hooks})


@login_required
@require_POST
@limit("webhook-test")
def webhook_action(request: HttpRequest, pk: int) -> HttpResponse:
    hook = get_object_or_404(Webhook, pk=pk, writer=request.user)
    if request.POST.get("action") == "enable":
        webhooks.webhook_enable(webhook=hook, writer=request.user)
        messages.success(request, "Webhook switched back on.")
    else:
        webhooks.webhook_remove(webhook=hook, writer=request.user)
        messages.success(request, "Webhook removed.")
    return redirect("webhooks")
