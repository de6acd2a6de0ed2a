from django import template
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
