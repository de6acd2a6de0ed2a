from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from tandem.accounts.forms import ProfileForm, SignUpForm
from tandem.accounts.models import User
from tandem.accounts.services import writer_sign_up, writer_update_profile
from tandem.muses.selectors import muses_of_writer


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = writer_sign_up(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome to Tandem! Start by creating your first muse.")
            return redirect("muse-create")
    return render(request, "accounts/sign_up.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"display_name": user.display_name, "time_zone": user.time_zone, "bio": user.bio}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        writer_update_profile(user=user, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "accounts/profile_edit.html", {"form": form})


def writer_profile(request: HttpRequest, username: str) -> HttpResponse:
    writer = get_object_or_404(User, username__iexact=username, is_active=True)
    muses = muses_of_writer(writer, include_archived=False)
    return render(request, "accounts/writer_profile.html", {"writer": writer, "muses": muses})
