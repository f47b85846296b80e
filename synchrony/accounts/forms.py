from __future__ import annotations

from typing import Any

from django import forms

from synchrony.accounts.models import Digest, User, time_zone_names
from synchrony.activity.models import NotificationKind
from synchrony.lib.forms import form_field

# Notices only admins can get: only an admin owns a webhook endpoint (Endpoint.clean).
STAFF_ONLY_KINDS = {NotificationKind.WEBHOOK_DISABLED}


class SettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=[], help_text="Every date and time is shown to you in this zone."
    )
    email_kinds = forms.MultipleChoiceField(
        label="E-mail me when",
        choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="You always see every notification in the app.",
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "time_zone", "digest"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "time_zone", forms.ChoiceField).choices = [
            (z, z.replace("_", " ")) for z in time_zone_names()
        ]
        self.fields["email"].required = True
        # Radio buttons: one choice always shows as taken. Not required, so a form posted
        # without it (an older page, a script) keeps the user's digest as it was.
        self.fields["digest"].widget = forms.RadioSelect(choices=Digest.choices)
        self.fields["digest"].required = False
        kinds = form_field(self, "email_kinds", forms.MultipleChoiceField)
        kinds.choices = [
            (value, label)
            for value, label in NotificationKind.choices
            if self.instance.is_staff or value not in STAFF_ONLY_KINDS
        ]
        self.offered_kinds = [value for value, _ in kinds.choices]
        self.initial["email_kinds"] = [
            k for k in self.offered_kinds if k not in self.instance.email_opt_out
        ]

    def clean_digest(self) -> str:
        return self.cleaned_data["digest"] or self.instance.digest

    def save(self, commit: bool = True) -> User:
        chosen = set(self.cleaned_data["email_kinds"])
        # A kind not offered keeps its choice: an admin who stops being one and becomes
        # one again finds it as they left it.
        kept = set(self.instance.email_opt_out) - set(self.offered_kinds)
        opted_out = {k for k in self.offered_kinds if k not in chosen} | kept
        self.instance.email_opt_out = [k for k in NotificationKind.values if k in opted_out]
        return super().save(commit)
