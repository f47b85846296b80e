from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from synchrony.accounts.models import Team, User, time_zone_names
from synchrony.activity.forms import DateInput, VersionedModelForm
from synchrony.launches.forms import TimeInput
from synchrony.lib.forms import form_field
from synchrony.projects.models import Project, Role
from synchrony.projects.selectors import projects_for_user
from synchrony.standups.models import (
    DURATION_MAX,
    DURATION_MIN,
    MeetingNote,
    NoteKind,
    StandupSeries,
)


class SeriesForm(VersionedModelForm):
    time_zone = forms.ChoiceField(label="Time zone", help_text="The zone the time is kept in.")
    # The model's bounds, not the 0 a positive field's default form field would allow: one
    # message for every value out of range, and the input's min and max say the same.
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=DURATION_MIN, max_value=DURATION_MAX, initial=30
    )

    class Meta:
        model = StandupSeries
        fields = [
            "name",
            "projects",
            "team",
            "cadence_weeks",
            "weekday",
            "local_time",
            "time_zone",
            "duration_minutes",
            "starts_on",
            "shift_gap",
            "facilitator",
            "attendees",
        ]
        widgets = {
            "projects": forms.CheckboxSelectMultiple,
            "attendees": forms.CheckboxSelectMultiple,
            "local_time": TimeInput,
        }
        help_texts = {
            "projects": "Their tasks, launches and channels fill the agenda; their managers "
            "can run the stand-up.",
            "attendees": "Each gets the agenda and the summary by e-mail, in their own zone.",
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["version"]
            self.initial.setdefault("time_zone", user.time_zone)
        form_field(self, "time_zone", forms.ChoiceField).choices = [
            (z, z.replace("_", " ")) for z in time_zone_names()
        ]
        self.fields["local_time"].widget = TimeInput()
        form_field(self, "local_time", forms.TimeField).input_formats = ["%H:%M", "%H:%M:%S"]
        self.fields["starts_on"].widget = DateInput()
        # Projects you manage, and those already on the series (kept, even if you do not).
        managed = projects_for_user(user).exclude(stage="closed")
        if not user.is_superuser:
            managed = managed.filter(user_role=Role.MANAGER)
        current = self.instance.projects.all() if self.instance.pk else Project.objects.none()
        form_field(self, "projects", forms.ModelChoiceField).queryset = Project.objects.filter(
            Q(pk__in=managed.values("pk")) | Q(pk__in=current.values("pk"))
        ).order_by("name")
        self.fields["projects"].required = False
        form_field(self, "team", forms.ModelChoiceField).queryset = Team.objects.all()
        people = User.objects.filter(is_active=True).order_by("first_name", "username")
        form_field(self, "facilitator", forms.ModelChoiceField).queryset = people
        form_field(self, "attendees", forms.ModelChoiceField).queryset = people
        self.fields["facilitator"].initial = self.initial.get("facilitator", user.pk)

    def changes(self) -> dict[str, Any]:
        data = super().changes()
        data.pop("projects", None)
        data.pop("attendees", None)
        return data

    def _extra_kwargs(self) -> dict[str, Any]:
        return {"user": self.user}


class NoteForm(forms.Form):
    section = forms.CharField(max_length=60, widget=forms.HiddenInput)
    item_key = forms.CharField(max_length=60, required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        choices=NoteKind.choices, initial=NoteKind.NOTE, widget=forms.RadioSelect
    )
    body = forms.CharField(label="Note", max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class NoteEditForm(VersionedModelForm):
    class Meta:
        model = MeetingNote
        fields = ["kind", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 2}), "kind": forms.RadioSelect}


class ActionItemForm(forms.Form):
    section = forms.CharField(max_length=60, required=False, widget=forms.HiddenInput)
    item_key = forms.CharField(max_length=60, required=False, widget=forms.HiddenInput)
    title = forms.CharField(label="Action item", max_length=200)
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": "Choose a manager or contributor of the project: viewers read "
            "along and own no tasks."
        },
    )
    due_date = forms.DateField(label="Due", required=False, widget=DateInput)
    project = forms.ModelChoiceField(queryset=Project.objects.none(), required=False)

    def __init__(self, *args: Any, people: Any, projects: list[Project], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "action_%s")
        super().__init__(*args, **kwargs)
        form_field(self, "owner", forms.ModelChoiceField).queryset = people
        form_field(self, "project", forms.ModelChoiceField).queryset = Project.objects.filter(
            pk__in=[p.pk for p in projects]
        )
        if len(projects) == 1:
            self.fields["project"].initial = projects[0].pk
        if not projects:
            del self.fields["project"]


class AttendanceForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True))
    present = forms.BooleanField(required=False)


class DiscussedForm(forms.Form):
    key = forms.CharField(max_length=60)
    discussed = forms.BooleanField(required=False)


class SkipForm(forms.Form):
    reason = forms.CharField(max_length=300)


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search notes, decisions and action items", required=False, max_length=200
    )
