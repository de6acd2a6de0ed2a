"""The suspension banner every page shows a suspended writer (base.html)."""

from django import template

from tandem.moderation.selectors import current_suspension, hidden_for

register = template.Library()


@register.inclusion_tag("moderation/_suspension_banner.html", takes_context=True)
def suspension_banner(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"suspension": current_suspension(user) if user is not None else None}


@register.simple_tag
def hidden_by_moderators(target) -> bool:
    """Whether moderators hid this thread or muse (for the label its writers see)."""
    return hidden_for(target) is not None
