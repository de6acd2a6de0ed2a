from datetime import UTC, datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.timesince import timesince

from tandem.muses.colours import dialogue_colours

register = template.Library()


@register.simple_tag(takes_context=True)
def muse_style(context, muse) -> str:
    """A muse's accent colour as a CSS custom property, once per page.

    Emitted as a nonce'd <style> element because the Content-Security-Policy forbids
    inline style attributes.
    """
    request = context.get("request")
    if request is None or muse is None:
        return ""
    seen = request.__dict__.setdefault("_muse_styles", set())
    if muse.pk in seen:
        return ""
    seen.add(muse.pk)
    # accent_colour is validated as #rrggbb, so it is safe inside CSS.
    on_light, on_dark = dialogue_colours(muse.accent_colour)
    return format_html(
        '<style nonce="{}">.muse-{}{{--accent:{};--dialogue-light:{};--dialogue-dark:{}}}</style>',
        getattr(request, "csp_nonce", ""),
        muse.pk,
        muse.accent_colour,
        on_light,
        on_dark,
    )


@register.filter
def waited(moment) -> str:
    """How long since a moment, coarsely: “3 days”, “under a minute”."""
    if not moment:
        return ""
    text = timesince(moment, depth=1)
    return "under a minute" if text.startswith("0\xa0minutes") else text


@register.simple_tag(takes_context=True)
def current_path(context) -> str:
    request = context.get("request")
    return request.get_full_path() if request else "/"


# ---- One time format (issue 10, item 13)
# Every moment Tandem shows reads the same way, "3 Dec 2026, 14:05", in the time zone
# the writer chose (WriterTimezoneMiddleware activates it; visitors see UTC), inside a
# <time> element whose datetime attribute carries the exact UTC instant for machines.
TIME_FORMAT = "j M Y, H:i"


@register.simple_tag(takes_context=True)
def avatar(context, muse, size: str = "m", icon=None) -> str:
    """A muse's round picture (the post's icon, else the muse's avatar, else its initial)
    after its accent colour's style. Written here rather than as an included template: a
    page of fifty posts draws fifty, and an include costs more than the markup."""
    if muse is None:
        return ""
    if icon:
        picture = format_html(
            '<img src="{}" alt="" width="64" height="64" loading="lazy" title="{}">',
            icon.image.url,
            icon.keywords,
        )
    elif muse.avatar:
        picture = format_html(
            '<img src="{}" alt="" width="64" height="64" loading="lazy">', muse.avatar.url
        )
    else:
        picture = muse.initial
    return format_html(
        '{}<span class="avatar avatar--{} muse-{}" aria-hidden="true">{}</span>',
        muse_style(context, muse),
        size or "m",
        muse.pk,
        picture,
    )


@register.filter
def when(moment) -> str:
    """A moment as ``<time datetime="…Z">3 Dec 2026, 14:05</time>`` in the writer's zone."""
    if not isinstance(moment, datetime):
        return ""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return format_html(
        '<time datetime="{}">{}</time>',
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        date_format(timezone.localtime(moment), TIME_FORMAT),
    )


@register.simple_tag
def current_time_zone() -> str:
    """The writer's time zone name, for the few times the browser writes (composer.js)."""
    return timezone.get_current_timezone_name()
