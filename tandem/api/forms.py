from __future__ import annotations

from django import forms

from tandem.api.models import TokenScope


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=80,
        help_text="What will use it, e.g. “my Discord bot” or “phone shortcut”.",
        error_messages={"required": "Give the token a name, such as the tool that will use it."},
    )
    scope = forms.ChoiceField(
        label="Access",
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text="Read only is enough to ask whose turn it is; posting needs read and write.",
    )
