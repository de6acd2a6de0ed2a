from django import forms

from tandem.imports.services import MuseSpec

FORMAT_CHOICES = [
    ("auto", "Detect"),
    ("text", "Plain text"),
    ("md", "Markdown"),
    ("html", "HTML"),
    ("json", "JSON (posts already split)"),
]


class ImportForm(forms.Form):
    title = forms.CharField(max_length=200)
    text = forms.CharField(
        label="Paste the thread",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text="Posts separated by a line of ---, by name headers, or just as written: "
        "Tandem notices whose point of view each paragraph is in.",
    )
    file = forms.FileField(
        label="…or upload a file",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.md,.markdown,.html,.htm,.json"}),
        help_text=".txt, .md or .html, at most 10 MB; or .json with the posts already split "
        "(a list of muse, text and date, or a thread exported from a Tandem).",
    )
    format = forms.ChoiceField(choices=FORMAT_CHOICES, initial="auto", label="Format")
    muses = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Your muses in this thread",
    )
    other_muses = forms.CharField(
        label="Other muses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line. A partner’s muse as name=username (it must exist; they "
        "are asked to accept its posts); a name alone creates a new muse of yours.",
    )

    def __init__(self, *args, muses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muses"].queryset = muses

    def clean_other_muses(self) -> list[MuseSpec]:
        lines = self.cleaned_data["other_muses"].splitlines()
        return [MuseSpec.parse(line) for line in lines if line.strip()]

    def clean(self):
        data = super().clean()
        if not data.get("text", "").strip() and not data.get("file"):
            self.add_error(None, "Paste the thread or choose a file.")
        if not data.get("muses") and not data.get("other_muses"):
            self.add_error("muses", "Name at least one muse who writes in this thread.")
        return data
