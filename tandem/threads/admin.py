"""Staff tools for tags: browse them and merge synonyms into a canonical tag."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from tandem.threads.models import Tag
from tandem.threads.services import tag_merge


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        queryset=Tag.objects.filter(canonical__isnull=True),
        label="Merge into",
        help_text="The canonical tag. Threads with the merged tags get this one instead, and "
        "writers who type a merged tag later get this one.",
    )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "canonical", "thread_count"]
    list_filter = ["category", ("canonical", admin.EmptyFieldListFilter)]
    search_fields = ["name"]
    ordering = ["category", "name"]
    # Merging goes through the action (tag_merge re-points threads); setting the field by
    # hand would leave threads on the synonym.
    readonly_fields = ["canonical"]
    actions = ["merge_tags"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return (
            super().get_queryset(request).select_related("canonical").annotate(n=Count("threads"))
        )

    @admin.display(description="Threads", ordering="n")
    def thread_count(self, tag: Tag) -> int:
        return tag.n

    @admin.action(description="Merge the selected tags into another (synonyms)")
    def merge_tags(self, request: HttpRequest, queryset: QuerySet[Tag]) -> HttpResponse | None:
        form = MergeForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            target = form.cleaned_data["target"]
            merged = 0
            for source in queryset:
                try:
                    tag_merge(source=source, target=target)
                except ValidationError as error:
                    self.message_user(
                        request, f"{source}: {' '.join(error.messages)}", messages.ERROR
                    )
                else:
                    merged += 1
            if merged:
                self.message_user(request, f"Merged {merged} tag(s) into “{target}”.")
            return None
        return TemplateResponse(
            request,
            "admin/threads/tag/merge.html",
            {
                **self.admin_site.each_context(request),
                "title": "Merge tags",
                "tags": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
