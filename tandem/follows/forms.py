from django import forms

from tandem.follows.services import NOTE_MAX_CHARS


class FollowForm(forms.Form):
    action = forms.ChoiceField(choices=[("follow", "Follow"), ("unfollow", "Unfollow")])


class BookmarkForm(forms.Form):
    action = forms.ChoiceField(choices=[("save", "Save"), ("remove", "Remove")], required=False)
    # Absent: the bookmark button on a post, which keeps any note already written.
    note = forms.CharField(
        required=False,
        strip=False,
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Private note",
    )
