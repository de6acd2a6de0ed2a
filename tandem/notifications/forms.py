from django import forms

from tandem.notifications.models import EMAIL_KINDS, PUSH_KINDS, Channel, Kind


class PreferencesForm(forms.Form):
    """A checkbox per event × channel, plus digest and quiet hours."""

    daily_digest = forms.BooleanField(
        required=False,
        label="Send me one daily digest instead of an email per event",
    )
    reminder_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=365,
        label="Nudge me when a turn of mine has waited this many days",
        help_text="Leave empty for no reminders. Each thread can set its own.",
    )
    quiet_hours_start = forms.TimeField(
        required=False, label="Quiet hours from", widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_hours_end = forms.TimeField(
        required=False,
        label="until",
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text="In your own time zone. Emails wait until quiet hours end.",
    )

    def __init__(self, *args, prefs, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = []
        for kind, kind_label in Kind.choices:
            row = []
            for channel, channel_label in Channel.choices:
                if (channel == Channel.EMAIL and kind not in EMAIL_KINDS) or (
                    channel == Channel.PUSH and kind not in PUSH_KINDS
                ):
                    row.append(None)
                    continue
                name = f"{kind}__{channel}"
                self.fields[name] = forms.BooleanField(
                    required=False,
                    label=f"{kind_label} — {channel_label}",
                    initial=channel in prefs.channels_for(kind),
                )
                row.append(name)
            self.grid.append((kind_label, [self[n] if n else None for n in row]))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("quiet_hours_start"), cleaned.get("quiet_hours_end")
        if (start is None) != (end is None):
            raise forms.ValidationError("Give both ends of your quiet hours, or neither.")
        return cleaned

    def chosen_channels(self) -> dict[str, list[str]]:
        return {
            kind: [
                channel for channel in Channel.values if self.cleaned_data.get(f"{kind}__{channel}")
            ]
            for kind in Kind.values
        }


class WebhookForm(forms.Form):
    url = forms.URLField(
        label="Webhook URL",
        max_length=500,
        assume_scheme="https",
        help_text="For Discord: channel settings → Integrations → Webhooks → Copy URL.",
    )
    kinds = forms.MultipleChoiceField(
        label="Send these events",
        choices=Kind.choices,
        initial=[Kind.YOUR_TURN, Kind.INVITED],
        widget=forms.CheckboxSelectMultiple,
    )
