from __future__ import annotations

from django import forms

from tandem.tracking import services, spreadsheet
from tandem.tracking.models import TrackedThread, Turn


class TrackedForm(forms.ModelForm):
    """Add or edit a tracked thread; the services check it again (``full_clean``)."""

    url = forms.URLField(
        label="Link",
        max_length=500,
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://…"}),
    )

    class Meta:
        model = TrackedThread
        fields = list(services.EDITABLE)
        widgets = {
            "turn": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"site": "Left empty, the link’s site (e.g. tumblr.com)."}

    def __init__(self, *args, muses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["muse"].queryset = muses
        self.fields["muse"].required = False
        self.fields["muse"].empty_label = "— none —"
        self.fields["muse"].label_from_instance = lambda muse: muse.name

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in services.EDITABLE}


class TurnForm(forms.Form):
    turn = forms.ChoiceField(choices=Turn.choices)
    next = forms.CharField(required=False)


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Tracker spreadsheet (CSV)",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=f"UTF-8 CSV, at most {spreadsheet.MAX_BYTES // 1000} KB and "
        f"{spreadsheet.MAX_ROWS} rows. A Tumblr thread tracker export is recognised; any other "
        "CSV, you say which column is which.",
    )


class MappingForm(forms.Form):
    """Which column of the uploaded CSV is which field; the CSV rides along in a hidden
    field, so nothing is stored before the writer confirms."""

    csv_text = forms.CharField(widget=forms.HiddenInput, strip=False)

    def __init__(self, *args, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "— not in this file —")] + [
            (str(index), header or f"Column {index + 1}") for index, header in enumerate(headers)
        ]
        for name, label in spreadsheet.FIELDS.items():
            self.fields[f"col_{name}"] = forms.TypedChoiceField(
                label=label,
                choices=choices,
                required=name == "title",
                coerce=int,
                empty_value=None,
            )

    def mapping(self) -> dict[str, int]:
        return {
            name: self.cleaned_data[f"col_{name}"]
            for name in spreadsheet.FIELDS
            if self.cleaned_data.get(f"col_{name}") is not None
        }
