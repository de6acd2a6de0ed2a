from django import template

from tandem.series.selectors import ThreadSeriesBox, thread_series_box

register = template.Library()


@register.simple_tag(takes_context=True)
def thread_series(context, thread) -> ThreadSeriesBox:
    """The series box of the thread page, for the reader of the page."""
    return thread_series_box(thread, context["request"].user)
