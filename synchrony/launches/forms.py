from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from synchrony.accounts.models import Team, User, time_zone_names
from synchrony.activity.forms import DateInput, VersionedModelForm
from synchrony.launches.models import (
    Activation,
    Channel,
    GateStatus,
    Launch,
    LaunchStatus,
    Milestone,
    ReadinessGate,
)
from synchrony.launches.selectors import launchable_channels
from synchrony.lib.forms import form_field

if TYPE_CHECKING:
    from synchrony.projects.models import Project


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self) -> None:
        super().__init__(format="%H:%M")


class LaunchForm(VersionedModelForm):
    local_date = forms.DateField(label="Go-live date", widget=DateInput)
    local_time = forms.TimeField(label="Go-live time", widget=TimeInput)
    time_zone = forms.ChoiceField(label="Time zone", help_text="The zone the launch is planned in.")
    channels = forms.ModelMultipleChoiceField(
        queryset=Channel.objects.none(),  # the project's (__init__)
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Launch
        fields = ["name", "local_date", "local_time", "time_zone", "policy", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "policy": forms.RadioSelect}

    def __init__(
        self, *args: Any, project: Project | None = None, zone: str = "UTC", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "time_zone", forms.ChoiceField).choices = [
            (z, z.replace("_", " ")) for z in time_zone_names()
        ]
        self.fields["local_date"].widget = DateInput()
        if self.instance.pk:
            del self.fields["channels"]
        else:
            assert project is not None, "a new launch belongs to a project"
            channels = form_field(self, "channels", forms.ModelMultipleChoiceField)
            channels.queryset = launchable_channels(project)
            channels.help_text = (
                "The project's channels that are switched on; others are added in Edit project."
                if channels.queryset.exists()
                else "This project has no channels switched on: choose them in Edit project, "
                "then plan the launch on them (or plan it now and add them on its page then)."
            )
            del self.fields["version"]
            self.initial.setdefault("time_zone", zone)

    def moment(self) -> dict[str, Any]:
        import datetime as dt

        data = self.cleaned_data
        return {
            "local_go_live": dt.datetime.combine(data["local_date"], data["local_time"]),
            "time_zone": data["time_zone"],
        }


class ChannelForm(VersionedModelForm):
    """How a channel goes out; its owner or an admin sets it (services.channel_update)."""

    class Meta:
        model = Channel
        fields = ["adapter", "endpoint_url", "recipients", "timeout_seconds", "max_attempts"]
        labels = {
            "adapter": "Sent by",
            "timeout_seconds": "Timeout (seconds)",
            "max_attempts": "Attempts at most",
        }
        help_texts = {
            "endpoint_url": "Webhook and Slack channels: an http:// or https:// address.",
            "timeout_seconds": "How long one attempt waits for an answer (1–30).",
            "max_attempts": "Failed attempts are retried with backoff up to this many (1–10).",
        }
        widgets = {"endpoint_url": forms.URLInput}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "channel_%s")
        super().__init__(*args, **kwargs)
        self.fields["timeout_seconds"].widget.attrs.update(min=1, max=30)
        self.fields["max_attempts"].widget.attrs.update(min=1, max=10)


class MoveForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    local_date = forms.DateField(input_formats=["%Y-%m-%d"])
    local_time = forms.TimeField(input_formats=["%H:%M", "%H:%M:%S"])


class StatusForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    status = forms.ChoiceField(choices=LaunchStatus.choices)


class HoldForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    reason = forms.CharField(required=False, max_length=2000)  # the service says what fits


class ActivationForm(VersionedModelForm):
    link = forms.URLField(required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Activation
        fields = ["subject", "audience", "link", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}


class AddChannelForm(forms.Form):
    # Any channel is read; the service refuses one the launch may not go out on, by name
    # (a page opened before the channel left the project still offers it).
    channel = forms.ModelChoiceField(queryset=Channel.objects.all())


class GateForm(forms.ModelForm):
    class Meta:
        model = ReadinessGate
        fields = ["title", "owner", "team", "due_date", "required"]
        widgets = {"due_date": DateInput}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "gate_%s")
        super().__init__(*args, **kwargs)
        form_field(self, "owner", forms.ModelChoiceField).queryset = User.objects.filter(
            is_active=True
        )
        form_field(self, "team", forms.ModelChoiceField).queryset = Team.objects.all()


class GateStatusForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    status = forms.ChoiceField(choices=GateStatus.choices)


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "date"]
        widgets = {"date": DateInput}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "milestone_%s")
        super().__init__(*args, **kwargs)
