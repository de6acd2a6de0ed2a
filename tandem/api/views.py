from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tandem.api import services
from tandem.api.forms import TokenForm
from tandem.api.models import AccessToken
from tandem.api.selectors import tokens_of
from tandem.core.limits import limit


@login_required
@require_http_methods(["GET", "POST"])
@limit("token")
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.token_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Shown on this response only: the token is not kept, and a reload asks again.
            created = {"token": token, "raw": raw}
            form = TokenForm()
    context = {"form": form, "tokens": tokens_of(request.user), "created": created}
    response = render(request, "api/tokens.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(AccessToken, pk=token_id, user=request.user)
    services.token_revoke(token=token, user=request.user)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api-tokens")
