from django.contrib import admin

from tandem.series.models import Series, SeriesEntry, ThreadLink


class SeriesEntryInline(admin.TabularInline):
    model = SeriesEntry
    raw_id_fields = ["thread"]
    extra = 0


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "created_at"]
    search_fields = ["title", "owner__username"]
    raw_id_fields = ["owner"]
    inlines = [SeriesEntryInline]


@admin.register(ThreadLink)
class ThreadLinkAdmin(admin.ModelAdmin):
    list_display = ["from_thread", "kind", "to_thread", "created_by"]
    raw_id_fields = ["from_thread", "to_thread", "created_by"]
