from django import forms

from tandem.muses.models import hex_colour


class MuseForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="As partners will see it, e.g. ivy or Ivy Marsh."
    )
    pronouns = forms.CharField(max_length=40, required=False, help_text="e.g. she/her")
    fandom = forms.CharField(max_length=120, required=False, help_text="Or “original character”.")
    nicknames = forms.CharField(
        label="Also called",
        max_length=200,
        required=False,
        help_text="Nicknames and surname, comma-separated, e.g. ives, Marsh. "
        "Used to recognise the muse in imported threads.",
    )
    bio = forms.CharField(
        label="Short bio", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    accent_colour = forms.CharField(
        max_length=7,
        initial="#7a3e9d",
        validators=[hex_colour],
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text="Marks the muse’s avatar and posts.",
    )
    avatar = forms.FileField(
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
        help_text="PNG, JPEG, GIF or WebP, at most 5 MB. It is cropped to a square.",
    )
    # Offered only while the muse has an avatar (see __init__): without one, the muse's
    # initial on its colour is shown.
    remove_avatar = forms.BooleanField(
        required=False,
        label="Remove the avatar",
        help_text="The muse’s initial on its colour is shown instead. A new picture above "
        "replaces the avatar without this.",
    )

    def __init__(self, *args, has_avatar: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_avatar:
            del self.fields["remove_avatar"]


class IconForm(forms.Form):
    image = forms.FileField(
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
        help_text="PNG, JPEG, GIF or WebP, at most 5 MB.",
    )
    keywords = forms.CharField(max_length=200, help_text="e.g. smiling, winter coat")


class MuseImportForm(forms.Form):
    file = forms.FileField(
        label="Character file",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.png"}),
        help_text="A Tupperbox export (tuppers.json), a PluralKit export, or a character "
        "card (JSON, or a PNG carrying one).",
    )
