import re

from django import forms

from tandem.series.models import LinkKind, Series

# A thread's address as pasted from the browser ("https://…/t/<id>/#post-3") or its bare id.
_THREAD_ID = re.compile(r"(?:/t/)?([A-Za-z0-9_-]{1,16})/?(?:[?#].*)?$")


class SeriesForm(forms.ModelForm):
    class Meta:
        model = Series
        fields = ["title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class AddToSeriesForm(forms.Form):
    series = forms.ModelChoiceField(
        queryset=Series.objects.none(), label="Series", empty_label=None, to_field_name="public_id"
    )

    def __init__(self, *args, owner, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["series"].queryset = Series.objects.filter(owner=owner)


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class LinkForm(forms.Form):
    target = forms.CharField(
        max_length=500,
        label="Linked thread",
        help_text="Paste the thread’s address, e.g. https://…/t/AbC123xyz/",
    )
    kind = forms.ChoiceField(choices=LinkKind.choices, label="It is a")

    def clean_target(self) -> str:
        match = _THREAD_ID.search(self.cleaned_data["target"].strip())
        if not match:
            raise forms.ValidationError("That is not a thread’s address.")
        return match.group(1)
