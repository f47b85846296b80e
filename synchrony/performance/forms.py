from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from synchrony.activity.forms import DateInput
from synchrony.lib.forms import form_field
from synchrony.performance.models import (
    Aggregation,
    BuiltinMetric,
    CustomMetric,
    MetricKind,
    metric_key_validator,
    source_validator,
)
from synchrony.projects.models import Project


def metric_choices(project: Project) -> list[tuple[str, str]]:
    custom = list(CustomMetric.objects.filter(project=project).values_list("key", "name"))
    return [*BuiltinMetric.choices, *custom]


class SampleForm(forms.Form):
    """One figure entered by hand: a channel (or one of its activations), a metric, a day."""

    channel = forms.ChoiceField()
    metric = forms.ChoiceField()
    date = forms.DateField(widget=DateInput())
    value = forms.DecimalField(max_digits=17, decimal_places=2)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "sample_%s")
        super().__init__(*args, **kwargs)
        from synchrony.launches.models import Activation, Channel

        channels = [(f"c{c.pk}", c.name) for c in Channel.objects.filter(projects=project)]
        activations = [
            (f"a{a.pk}", f"{a.channel.name} · {a.launch.name}")
            for a in Activation.objects.filter(launch__project=project).select_related(
                "channel", "launch"
            )
        ]
        form_field(self, "channel", forms.ChoiceField).choices = [
            ("Channels", channels),
            ("Activations", activations),
        ]
        self.fields["channel"].label = "Channel or activation"
        form_field(self, "metric", forms.ChoiceField).choices = metric_choices(project)
        self.fields["date"].initial = timezone.localdate()

    def row(self) -> dict[str, Any]:
        target = self.cleaned_data["channel"]
        row = {
            "metric": self.cleaned_data["metric"],
            "date": self.cleaned_data["date"],
            "value": self.cleaned_data["value"],
        }
        row["activation" if target.startswith("a") else "channel"] = int(target[1:])
        return row


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file")
    source = forms.CharField(
        max_length=40,
        required=False,
        initial="csv",
        validators=[source_validator],
        help_text="Where the figures come from, e.g. ga4 or linkedin-ads. Rows may name their own.",
    )


class CustomMetricForm(forms.Form):
    name = forms.CharField(max_length=80)
    key = forms.CharField(
        max_length=40,
        validators=[metric_key_validator],
        help_text="Used in CSV files and the API, e.g. renewals.",
    )
    kind = forms.ChoiceField(choices=MetricKind.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "metric_%s")
        super().__init__(*args, **kwargs)


class TrackingForm(forms.Form):
    aggregation = forms.ChoiceField(choices=Aggregation.choices, label="Measured as")
    metric = forms.ChoiceField()
    denominator = forms.ChoiceField(required=False, label="Of (for a percentage)")

    def __init__(self, *args: Any, project: Project, prefix_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"track{prefix_id}_%s")
        super().__init__(*args, **kwargs)
        choices = metric_choices(project)
        form_field(self, "metric", forms.ChoiceField).choices = choices
        form_field(self, "denominator", forms.ChoiceField).choices = [("", "—"), *choices]


class SnapshotForm(forms.Form):
    title = forms.CharField(max_length=200, required=False)
    as_of = forms.DateField(widget=DateInput(), label="Figures as of")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "snapshot_%s")
        super().__init__(*args, **kwargs)
        self.fields["as_of"].initial = timezone.localdate()
