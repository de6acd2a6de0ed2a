import functools
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from tandem.blocks.selectors import is_blocked_between
from tandem.core import limits
from tandem.moderation.selectors import is_hidden_muse, may_see_hidden
from tandem.muses.character_files import MAX_FILE_BYTES as MAX_CHARACTER_FILE_BYTES
from tandem.muses.character_files import card_png, card_v2, card_v3
from tandem.muses.forms import IconForm, MuseForm, MuseImportForm
from tandem.muses.models import Muse, MuseIcon
from tandem.muses.selectors import character_record, muse_picture_png, muses_of_writer
from tandem.muses.services import (
    EDITABLE_FIELDS,
    icon_add,
    icon_delete,
    muse_archive,
    muse_create,
    muse_delete,
    muse_unarchive,
    muse_update,
    muses_import,
)
from tandem.threads.selectors import PROFILE_THREADS_PER_PAGE, public_threads_of_muse


def limit_uploads(view):
    """Count requests that carry a picture or file against the "upload" limit."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.method == "POST" and request.FILES:
            limits.hit(request, "upload")
        return view(request, *args, **kwargs)

    return wrapped


def _avatar_upload(form: MuseForm):
    avatar = form.cleaned_data.get("avatar")
    return avatar or None


@login_required
def muse_list(request: HttpRequest) -> HttpResponse:
    muses = muses_of_writer(request.user)
    return render(request, "muses/muse_list.html", {"muses": muses})


@login_required
@require_http_methods(["GET", "POST"])
@limit_uploads
def muse_new(request: HttpRequest) -> HttpResponse:
    form = MuseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "avatar"}
        try:
            muse = muse_create(owner=request.user, avatar=_avatar_upload(form), **fields)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{muse.name} is ready to write.")
            return redirect(muse)
    return render(request, "muses/muse_form.html", {"form": form, "muse": None})


@login_required
@require_http_methods(["GET", "POST"])
@limit_uploads
def muse_edit(request: HttpRequest, pk: int) -> HttpResponse:
    muse = get_object_or_404(Muse, pk=pk, owner=request.user)
    initial = {f: getattr(muse, f) for f in EDITABLE_FIELDS}
    form = MuseForm(
        request.POST or None, request.FILES or None, initial=initial, has_avatar=bool(muse.avatar)
    )
    if request.method == "POST" and form.is_valid():
        fields = {
            k: v for k, v in form.cleaned_data.items() if k not in ("avatar", "remove_avatar")
        }
        clear = bool(form.cleaned_data.get("remove_avatar"))
        try:
            muse_update(
                muse=muse,
                writer=request.user,
                avatar=_avatar_upload(form),
                clear_avatar=clear,
                **fields,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{muse.name} saved.")
            return redirect(muse)
    return render(request, "muses/muse_form.html", {"form": form, "muse": muse})


def muse_detail(request: HttpRequest, pk: int) -> HttpResponse:
    muse = get_object_or_404(Muse.objects.select_related("owner"), pk=pk)
    if is_blocked_between(request.user, muse.owner_id):
        raise Http404("No such muse.")
    if is_hidden_muse(muse) and not may_see_hidden(request.user, muse.owner_id):
        raise Http404("No such muse.")  # hidden by moderators
    threads = public_threads_of_muse(muse, viewer=request.user)
    # get_page: "?page=abc" is the first page, "?page=99999" the last, never a 500.
    page = Paginator(threads, PROFILE_THREADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "muses/muse_detail.html", {"muse": muse, "page": page})


@login_required
@require_POST
def muse_archive_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    muse = get_object_or_404(Muse, pk=pk, owner=request.user)
    if muse.is_archived:
        muse_unarchive(muse=muse, writer=request.user)
        messages.success(request, f"{muse.name} is back from the archive.")
    else:
        muse_archive(muse=muse, writer=request.user)
        messages.success(request, f"{muse.name} is archived. Their posts stay where they are.")
    return redirect(muse)


@login_required
@require_POST
def muse_remove(request: HttpRequest, pk: int) -> HttpResponse:
    muse = get_object_or_404(Muse, pk=pk, owner=request.user)
    try:
        muse_delete(muse=muse, writer=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(muse)
    messages.success(request, f"{muse.name} was deleted.")
    return redirect("muse-list")


@login_required
@require_http_methods(["GET", "POST"])
@limit_uploads
def muse_icons(request: HttpRequest, pk: int) -> HttpResponse:
    muse = get_object_or_404(Muse, pk=pk, owner=request.user)
    form = IconForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            icon = icon_add(muse=muse, writer=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Icon “{icon.keywords}” added.")
            return redirect("muse-icons", pk=muse.pk)
    return render(
        request, "muses/muse_icons.html", {"muse": muse, "form": form, "icons": muse.icons.all()}
    )


@login_required
@require_POST
def muse_icon_delete(request: HttpRequest, pk: int, icon_pk: int) -> HttpResponse:
    icon = get_object_or_404(MuseIcon, pk=icon_pk, muse__pk=pk, muse__owner=request.user)
    icon_delete(icon=icon, writer=request.user)
    messages.success(request, f"Icon “{icon.keywords}” removed.")
    return redirect("muse-icons", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
@limit_uploads
def muse_import(request: HttpRequest) -> HttpResponse:
    form = MuseImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_CHARACTER_FILE_BYTES:
                raise ValidationError(
                    f"The file is {upload.size / 1_048_576:.1f} MB; character files may be at "
                    f"most {MAX_CHARACTER_FILE_BYTES // 1_048_576} MB."
                )
            created, notices = muses_import(
                owner=request.user, data=upload.read(), filename=upload.name
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            names = ", ".join(m.name for m in created)
            messages.success(request, f"Imported {len(created)} muse(s): {names}.")
            for notice in notices:
                messages.warning(request, notice)
            return redirect("muse-list")
    return render(request, "muses/muse_import.html", {"form": form})


@login_required
def muse_card(request: HttpRequest, pk: int, version: str, extension: str) -> HttpResponse:
    """The muse as a character card: V2 or V3, JSON or a PNG carrying both."""
    muse = get_object_or_404(Muse, pk=pk, owner=request.user)
    record = character_record(muse)
    slug = slugify(muse.name) or "muse"
    if extension == "png":
        content = card_png(record, muse_picture_png(muse))
        response = HttpResponse(content, content_type="image/png")
        filename = f"{slug}.card.png"
    else:
        card = card_v3(record) if version == "v3" else card_v2(record)
        content = json.dumps(card, ensure_ascii=False, indent=2).encode()
        response = HttpResponse(content, content_type="application/json")
        filename = f"{slug}.{version}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
