import secrets

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from tandem.muses.models import MuseIcon
from tandem.threads.directory import DEFAULT_SORT, SORTS, DirectoryFilters
from tandem.threads.models import Rating, Status, TagCategory, TurnMode, Visibility, Warning
from tandem.threads.services import (
    MAX_TAG_LENGTH,
    MAX_TAGS,
    TAG_FIELDS,
    tag_names,
    thread_tags_by_category,
)
from tandem.threads.services.tags import tagged_names


class TagsField(forms.CharField):
    """Tags of one kind, comma separated; too many or too long ones are refused with a
    sentence."""

    def to_python(self, value) -> list[str]:
        value = super().to_python(value)
        try:
            return tag_names(value.split(","))
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["tags"]) from error

    def prepare_value(self, value):
        # A refused form shows back what was typed; a cleaned list shows as it was typed.
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value


class TagInput(forms.TextInput):
    """A plain text input; with JavaScript, HTMX fills its <datalist> with suggestions of
    tags of its kind as the writer types (threads/_tag_suggestions.html)."""

    template_name = "threads/widgets/tag_input.html"

    def __init__(self, category: str) -> None:
        self.category = category
        super().__init__(
            attrs={
                "autocomplete": "off",
                "list": f"tag-suggestions-{category}",
                "hx-trigger": "input changed delay:300ms",
                "hx-target": f"#tag-suggestions-{category}",
                "hx-swap": "outerHTML",
                "hx-sync": "this:replace",
            }
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["hx-get"] = reverse("tag-suggest", args=[self.category])
        return context


TAG_LABELS = {
    TagCategory.FANDOM: ("Fandoms", "The canon(s) the story is set in, e.g. Sherlock (TV)."),
    TagCategory.RELATIONSHIP: (
        "Relationships",
        "Pairings and friendships, e.g. Sherlock Holmes/John Watson.",
    ),
    TagCategory.CHARACTER: ("Characters", "Who appears, e.g. Mrs Hudson."),
    TagCategory.FREEFORM: (
        "Additional tags",
        f"Tropes, moods, settings, e.g. slow burn. At most {MAX_TAGS} tags of all kinds.",
    ),
}


def _tags_field(category: str) -> TagsField:
    label, example = TAG_LABELS[category]
    return TagsField(
        required=False,
        label=label,
        widget=TagInput(category),
        help_text=f"Comma separated. {example}",
    )


class ThreadMetadataForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    rating = forms.ChoiceField(choices=Rating.choices, initial=Rating.NOT_RATED)
    warnings = forms.MultipleChoiceField(
        choices=Warning.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Archive warnings",
    )
    fandoms = _tags_field(TagCategory.FANDOM)
    relationships = _tags_field(TagCategory.RELATIONSHIP)
    characters = _tags_field(TagCategory.CHARACTER)
    tags = _tags_field(TagCategory.FREEFORM)
    visibility = forms.ChoiceField(
        choices=Visibility.choices, initial=Visibility.PRIVATE, widget=forms.RadioSelect
    )
    turn_mode = forms.ChoiceField(
        choices=TurnMode.choices, initial=TurnMode.ORDERED, widget=forms.RadioSelect
    )

    def clean(self):
        cleaned = super().clean()
        # The limit counts every kind together (each field checks its own length).
        given = {
            category: cleaned[field]
            for category, field in TAG_FIELDS.items()
            if isinstance(cleaned.get(field), list)
        }
        try:
            tagged_names(given)
        except ValidationError as error:
            self.add_error("tags", error.message_dict["tags"])
        return cleaned


class ThreadCreateForm(ThreadMetadataForm):
    muse = forms.ModelChoiceField(
        queryset=None, label="Your muse", empty_label=None, help_text="Who opens the story."
    )
    field_order = ["title", "muse"]

    def __init__(self, *args, muses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muse"].queryset = muses


class ThreadEditForm(ThreadMetadataForm):
    status = forms.ChoiceField(choices=Status.choices)


def thread_edit_values(thread) -> dict:
    """What ``ThreadEditForm`` holds for ``thread`` as it stands: the settings page starts
    from it, and the API's partial change fills in what was not sent."""
    return {
        "title": thread.title,
        "summary": thread.summary,
        "rating": thread.rating,
        "warnings": thread.warnings,
        **{
            TAG_FIELDS[category]: ", ".join(t.name for t in tags)
            for category, tags in thread_tags_by_category(thread).items()
        },
        "visibility": thread.visibility,
        "turn_mode": thread.turn_mode,
        "status": thread.status,
    }


class InviteForm(forms.Form):
    username = forms.CharField(max_length=150, label="Writer's username")


class MuseChoiceForm(forms.Form):
    muse = forms.ModelChoiceField(queryset=None, empty_label=None, label="Bring which muse?")

    def __init__(self, *args, muses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muse"].queryset = muses


class ReadOnceChoiceIterator(forms.models.ModelChoiceIterator):
    """Draws the choices from the field's queryset as read once, rather than through
    ``QuerySet.iterator()`` as Django does, which reads the table again each time the
    choices are drawn (on PostgreSQL through a server-side cursor: three round trips)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class MuseChoiceField(forms.ModelChoiceField):
    iterator = ReadOnceChoiceIterator


class IconChoiceField(forms.ModelChoiceField):
    iterator = ReadOnceChoiceIterator

    def label_from_instance(self, obj) -> str:
        return f"{obj.muse.name} — {obj.keywords}"


class PostForm(forms.Form):
    muse = MuseChoiceField(queryset=None, empty_label=None, label="Post as")
    icon = IconChoiceField(
        queryset=None,
        required=False,
        empty_label="Main avatar",
        help_text="An icon from the muse’s gallery, shown beside this post.",
    )
    body = forms.CharField(
        label="Your reply",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        max_length=settings.TANDEM_POST_MAX_CHARS,
        error_messages={
            "max_length": "This post is %(show_value)s characters; the limit is %(limit_value)s. Split it into two posts.",
            "required": "A post needs some words.",
        },
    )
    seen_post_count = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # A fresh key each time an empty form is shown; a bound form (a refused submit shown
    # again) keeps the key it was sent with, so its retry is still the same submission.
    # (Its length is checked by post_create, whose refusal the page shows as a form error.)
    submission_key = forms.CharField(
        required=False, widget=forms.HiddenInput, initial=lambda: secrets.token_urlsafe(24)
    )

    def __init__(self, *args, muses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muse"].queryset = muses
        self.fields["icon"].queryset = MuseIcon.objects.filter(muse__in=muses).select_related(
            "muse"
        )
        self.fields["body"].widget.attrs.update(
            {"data-composer": "body", "aria-keyshortcuts": "Control+Enter Meta+Enter"}
        )

    def clean(self):
        cleaned = super().clean()
        icon, muse = cleaned.get("icon"), cleaned.get("muse")
        if icon is not None and muse is not None and icon.muse_id != muse.pk:
            self.add_error("icon", f"That icon belongs to {icon.muse.name}, not {muse.name}.")
        return cleaned


class PostEditForm(forms.Form):
    body = forms.CharField(
        label="Post text",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16}),
        max_length=settings.TANDEM_POST_MAX_CHARS,
        error_messages={
            "max_length": "This post is %(show_value)s characters; the limit is %(limit_value)s. Split it into two posts.",
            "required": "A post needs some words.",
        },
    )


class OocForm(forms.Form):
    body = forms.CharField(
        label="Out of character",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Plotting, check-ins, “sorry for the wait!” — never counted as a turn.",
        error_messages={"required": "Write something first."},
    )


class PreviewForm(forms.Form):
    body = forms.CharField(strip=False, required=False)


class DirectoryForm(forms.Form):
    """The directory's filters (a GET form). A value that does not parse is left out, so a
    hand-edited or stale link still lists threads (an unknown sort gives the default)."""

    tag = forms.CharField(label="Tag", required=False, max_length=MAX_TAG_LENGTH)
    rating = forms.ChoiceField(label="Rating", required=False, choices=[("", "Any rating")])
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status")])
    turn_mode = forms.ChoiceField(label="Turns", required=False, choices=[("", "Any turn mode")])
    open_slot = forms.BooleanField(label="Has an open slot", required=False)
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[(key, label) for key, (label, _) in SORTS.items()],
        initial=DEFAULT_SORT,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].choices += Rating.choices
        self.fields["status"].choices += Status.choices
        self.fields["turn_mode"].choices += [
            (value, label.split(" — ")[0]) for value, label in TurnMode.choices
        ]

    def filters(self) -> DirectoryFilters:
        if not self.is_bound:
            return DirectoryFilters()
        self.is_valid()
        data = self.cleaned_data
        return DirectoryFilters(
            tag=data.get("tag") or "",
            rating=data.get("rating") or "",
            status=data.get("status") or "",
            turn_mode=data.get("turn_mode") or "",
            open_slot=bool(data.get("open_slot")),
            sort=data.get("sort") or DEFAULT_SORT,
        )
