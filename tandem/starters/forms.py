from django import forms
from django.conf import settings

from tandem.starters.models import LOOKING_FOR_MAX_CHARS, MAX_OPEN_SLOTS, MESSAGE_MAX_CHARS
from tandem.threads.forms import ThreadCreateForm
from tandem.threads.models import Rating


class StarterTermsForm(forms.Form):
    open_slots = forms.IntegerField(
        min_value=1,
        max_value=MAX_OPEN_SLOTS,
        initial=1,
        label="Open slots",
        help_text=f"How many muses may join (1–{MAX_OPEN_SLOTS}). Full starters leave the board.",
    )
    looking_for = forms.CharField(
        max_length=LOOKING_FOR_MAX_CHARS,
        required=False,
        label="What you look for",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: slow burn, weekly replies, 500+ words.",
    )


class StarterCreateForm(StarterTermsForm, ThreadCreateForm):
    """The new-thread form (title, muse, tags of every kind…) with the opening post and the
    starter's terms. A starter is always public: it is meant to be found."""

    opening = forms.CharField(
        label="Opening post",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=settings.TANDEM_POST_MAX_CHARS,
        help_text="The first scene: partners choose a starter by it.",
        error_messages={"required": "A starter needs its opening post."},
    )
    field_order = ["title", "muse", "opening", "open_slots", "looking_for", "summary"]

    def __init__(self, *args, muses, **kwargs):
        super().__init__(*args, muses=muses, **kwargs)
        del self.fields["visibility"]


class JoinRequestForm(forms.Form):
    muse = forms.ModelChoiceField(queryset=None, empty_label=None, label="Join with which muse?")
    message = forms.CharField(
        max_length=MESSAGE_MAX_CHARS,
        required=False,
        label="A note to the writer (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your idea for your muse, your pace, anything they asked about.",
    )

    def __init__(self, *args, muses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muse"].queryset = muses


class BoardFilterForm(forms.Form):
    tag = forms.CharField(max_length=100, required=False, label="Tag")
    rating = forms.ChoiceField(
        choices=[("", "Any rating"), *Rating.choices], required=False, label="Rating"
    )
