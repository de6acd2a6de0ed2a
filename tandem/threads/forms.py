import secrets

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from tandem.muses.models import MuseIcon
from tandem.threads.models import Rating, Status, TurnMode, Visibility, Warning
from tandem.threads.services import MAX_TAGS, tag_names


class TagsField(forms.CharField):
    """Free tags, comma separated; too many or too long ones are refused with a sentence."""

    def to_python(self, value) -> list[str]:
        value = super().to_python(value)
        try:
            return tag_names(value.split(","))
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["tags"]) from error


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
    tags = TagsField(
        required=False,
        help_text=f"Comma separated, e.g. slow burn, coffee shop AU (at most {MAX_TAGS}).",
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices, initial=Visibility.PRIVATE, widget=forms.RadioSelect
    )
    turn_mode = forms.ChoiceField(
        choices=TurnMode.choices, initial=TurnMode.ORDERED, widget=forms.RadioSelect
    )


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


class InviteForm(forms.Form):
    username = forms.CharField(max_length=150, label="Writer's username")


class MuseChoiceForm(forms.Form):
    muse = forms.ModelChoiceField(queryset=None, empty_label=None, label="Bring which muse?")

    def __init__(self, *args, muses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muse"].queryset = muses


class IconChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.muse.name} — {obj.keywords}"


class PostForm(forms.Form):
    muse = forms.ModelChoiceField(queryset=None, empty_label=None, label="Post as")
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
