from django import forms

FORMAT_CHOICES = [
    ("epub", "EPUB (e-readers)"),
    ("html", "HTML (one file, styled like this page)"),
    ("archive", "HTML for an archive’s editor (posts only)"),
    ("md", "Markdown"),
    ("txt", "Plain text"),
    ("json", "JSON (complete, for backup or another Tandem)"),
]


class ThreadExportForm(forms.Form):
    format = forms.ChoiceField(choices=FORMAT_CHOICES, initial="epub", label="Format")
    include_ooc = forms.BooleanField(
        required=False, label="Include OOC talk (JSON only; writers of the thread)"
    )


class RestoreForm(forms.Form):
    file = forms.FileField(
        label="Backup or thread file",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,.json"}),
        help_text="An account backup (.zip) or a thread export (.json) from any Tandem.",
    )
    username_map = forms.CharField(
        label="Map usernames",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, old=new. Map a name to an existing account to attach to it; "
        "existing accounts are never overwritten.",
    )
    trust_owners = forms.BooleanField(
        label="Trust the owners of existing accounts",
        required=False,
        help_text="Needed to attach to an existing account: its owner is not asked before "
        "the file's threads, posts and muses become theirs.",
    )

    def clean_username_map(self) -> dict[str, str]:
        mapping = {}
        for line in self.cleaned_data["username_map"].splitlines():
            if not line.strip():
                continue
            old, sep, new = line.partition("=")
            if not sep or not old.strip() or not new.strip():
                raise forms.ValidationError(f"“{line.strip()}” is not old=new.")
            mapping[old.strip()] = new.strip()
        return mapping
