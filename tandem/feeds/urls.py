from django.urls import path

from tandem.feeds import views

# Registers the tag pages' path converter ("tagname"): a tag's feed is addressed like its page.
from tandem.threads import tag_urls  # noqa: F401

urlpatterns = [
    path("", views.private_feeds, name="private-feeds"),
    path("<str:kind>/reset/", views.feed_reset, name="feed-reset"),
    # Public feeds: what anyone may read, for anyone.
    path("threads/<str:public_id>.atom", views.thread_feed, name="thread-feed"),
    path("tags/<str:category>/<tagname:name>.atom", views.tag_feed, name="tag-feed"),
    # Private ones answer whoever holds the address: feed readers and calendars have no session.
    path("turns/<str:token>.atom", views.turns_feed, name="turns-feed"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
]
