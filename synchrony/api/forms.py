from __future__ import annotations

from django import forms


class TokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What uses it, e.g. “Ads importer”.")
    read_only = forms.BooleanField(
        required=False, label="Read-only", help_text="It may read, never write."
    )
