from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.html import format_html

from synchrony.accounts.models import User
from synchrony.activity.forms import VersionedModelForm
from synchrony.lib.forms import form_field
from synchrony.webhooks.models import SUBSCRIBABLE, Endpoint

FIELDS = ["url", "description", "event_types", "owner", "enabled"]

# Each event's label, and beside it the type a receiver matches on (`launch.held`).
EVENT_CHOICES = [
    (value, format_html('{} <code class="event-type">{}</code>', label, value))
    for value, label in SUBSCRIBABLE
]


def url_help() -> str:
    """Where an outbound URL may point, as this server is set up."""
    allowed = ", ".join(settings.OUTBOUND_ALLOWED_NETWORKS)
    also = f" (or in {allowed}, which this server allows)" if allowed else ""
    return (
        f"Where events are POSTed: a public http:// or https:// address{also}. It is "
        "checked now and again before every send."
    )


def _shape(form: forms.ModelForm) -> None:
    form.fields["url"].widget = forms.URLInput(attrs={"placeholder": "https://example.com/hooks"})
    form.fields["url"].help_text = url_help()
    form.fields["description"].help_text = "What listens there, e.g. “CRM sync”."
    owner = form_field(form, "owner", forms.ModelChoiceField)
    owner.queryset = User.objects.filter(is_staff=True, is_active=True).order_by("username")
    owner.help_text = "An admin, told when the endpoint is disabled after repeated failures."
    form.fields["enabled"].help_text = "Off: nothing is sent to it."


class EndpointForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,  # none chosen: the model says so, once (Endpoint.clean)
    )

    class Meta:
        model = Endpoint
        fields = FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "new_%s")
        super().__init__(*args, **kwargs)
        _shape(self)


class EndpointEditForm(VersionedModelForm):
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,  # none chosen: the model says so, once (Endpoint.clean)
    )

    class Meta:
        model = Endpoint
        fields = FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _shape(self)
