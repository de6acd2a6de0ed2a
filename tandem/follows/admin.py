from django.contrib import admin

from tandem.follows.models import Bookmark, Follow


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["follower", "thread", "muse", "writer", "created_at"]
    raw_id_fields = ["follower", "thread", "muse", "writer"]


@admin.register(Bookmark)
class BookmarkAdmin(admin.ModelAdmin):
    # The note is private: the admin lists bookmarks without it.
    list_display = ["reader", "post", "created_at"]
    raw_id_fields = ["reader", "post"]
    exclude = ["note"]
