from django import forms

from tandem.moderation.models import AuditAction, Reason
from tandem.moderation.services import REPORT_TEXT_MAX, SUSPENSION_DAYS


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        choices=Reason.choices, widget=forms.RadioSelect, label="What is wrong?"
    )
    text = forms.CharField(
        label="Tell the moderators more",
        required=False,
        max_length=REPORT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Optional unless you chose “Something else”. Only moderators read this.",
    )


class ActionForm(forms.Form):
    action = forms.ChoiceField(choices=AuditAction.choices)
    days = forms.IntegerField(
        label="Days", required=False, min_value=SUSPENSION_DAYS[0], max_value=SUSPENSION_DAYS[1]
    )
    note = forms.CharField(
        label="Note for the audit log",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == AuditAction.SUSPEND and not data.get("days"):
            self.add_error("days", "Suspend for how many days (1–365)?")
        return data
