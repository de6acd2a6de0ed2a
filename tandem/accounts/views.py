from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from tandem.accounts.forms import ProfileForm, ReadingForm, SignUpForm
from tandem.accounts.models import User
from tandem.accounts.services import writer_set_reading, writer_sign_up, writer_update_profile
from tandem.blocks.selectors import is_blocked_between
from tandem.core.limits import limit
from tandem.muses.selectors import muses_of_writer
from tandem.threads.selectors import PROFILE_THREADS_PER_PAGE, public_threads_of_writer


@require_http_methods(["GET", "POST"])
@limit("sign-up")
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
    return render(
        request, "accounts/profile_edit.html", {"form": form, "reading_form": _reading_form(user)}
    )


def _reading_form(user, data=None) -> ReadingForm:
    initial = {
        "theme": user.theme,
        "reading_font": user.reading_font,
        "reading_size": user.reading_size,
    }
    return ReadingForm(data, initial=initial)


@login_required
@require_http_methods(["POST"])
def reading_preferences(request: HttpRequest) -> HttpResponse:
    """Theme, typeface and size; posted from the profile page or a reading page."""
    form = _reading_form(request.user, request.POST)
    if form.is_valid():
        writer_set_reading(user=request.user, **form.cleaned_data)
        messages.success(request, "Reading preferences saved.")
    else:
        messages.error(request, "Those reading preferences are not ones Tandem offers.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "profile"
    return redirect(target)


def writer_profile(request: HttpRequest, username: str) -> HttpResponse:
    writer = get_object_or_404(User, username__iexact=username, is_active=True)
    if is_blocked_between(request.user, writer):
        # Blocked either way: the page is as absent as a name nobody has.
        raise Http404("No such writer.")
    muses = muses_of_writer(writer, include_archived=False)
    threads = public_threads_of_writer(writer, viewer=request.user)
    # get_page: "?page=abc" is the first page, "?page=99999" the last, never a 500.
    page = Paginator(threads, PROFILE_THREADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "accounts/writer_profile.html", {"writer": writer, "muses": muses, "page": page}
    )
