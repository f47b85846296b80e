from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from synchrony.accounts.models import Team, User
from synchrony.activity.forms import DateInput, VersionedModelForm
from synchrony.launches.models import Channel
from synchrony.lib.forms import form_field
from synchrony.projects.models import Goal, InputRequest, Project, RequestKind, RequestStatus, Role


class ProjectForm(VersionedModelForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "summary",
            "scope",
            "owner",
            "promotion_start",
            "promotion_end",
            "development_due",
            "planning_due",
            "activation_due",
            "performance_due",
            "review_due",
            "budget",
            "channels",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "scope": forms.Textarea(attrs={"rows": 4}),
            "channels": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Switched-on channels, and those the project already has (kept, not silently
        # dropped, when one is switched off).
        form_field(self, "channels", forms.ModelChoiceField).queryset = Channel.objects.filter(
            Q(is_active=True) | Q(pk__in=self.instance.channels.all() if self.instance.pk else [])
        )
        if self.instance.pk:
            form_field(self, "owner", forms.ModelChoiceField).queryset = User.objects.filter(
                memberships__project=self.instance, memberships__role=Role.MANAGER
            )
        else:
            # A new project is owned by whoever creates it.
            del self.fields["owner"]
            del self.fields["version"]


class GoalForm(VersionedModelForm):
    class Meta:
        model = Goal
        fields = ["metric", "baseline", "target", "unit", "due_date"]
        widgets = {"due_date": DateInput}
        help_texts = {"metric": "For example: qualified leads, sign-ups, pipeline value."}

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        self.project = project
        super().__init__(*args, **kwargs)
        self.instance.project = project
        if not self.instance.pk:
            del self.fields["version"]

    def _extra_kwargs(self) -> dict[str, Any]:
        return {"project": self.project}


class InputRequestForm(forms.ModelForm):
    class Meta:
        model = InputRequest
        fields = [
            "kind",
            "title",
            "details",
            "requested_from_user",
            "requested_from_team",
            "required",
            "due_date",
        ]
        widgets = {"details": forms.Textarea(attrs={"rows": 2}), "due_date": DateInput}

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project
        from_user = form_field(self, "requested_from_user", forms.ModelChoiceField)
        from_user.queryset = User.objects.filter(is_active=True)
        from_user.empty_label = "— or choose a team —"
        from_team = form_field(self, "requested_from_team", forms.ModelChoiceField)
        from_team.queryset = Team.objects.all()
        from_team.empty_label = "— or choose a person —"


class AnswerForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # No default: a sign-off is a decision, never what a hurried click leaves selected.
    decision = forms.ChoiceField(widget=forms.RadioSelect)
    response = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )

    def __init__(self, *args: Any, request: InputRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        decision = form_field(self, "decision", forms.ChoiceField)
        if request.kind == RequestKind.SIGNOFF:
            decision.choices = [
                (RequestStatus.APPROVED, "Sign off"),
                (RequestStatus.CHANGES_REQUESTED, "Request changes"),
            ]
            decision.error_messages["required"] = "Choose sign off or request changes."
        else:
            # Input has one way to answer: nothing to decide, so it stays chosen.
            decision.choices = [(RequestStatus.ANSWERED, "Answer")]
            self.initial.setdefault("decision", RequestStatus.ANSWERED)
        self.initial.setdefault("version", request.version)


class MoveForm(forms.Form):
    to_stage = forms.CharField(max_length=20)
    expected_stage = forms.CharField(max_length=20)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
    override = forms.BooleanField(required=False)


class MemberForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True))
    role = forms.ChoiceField(choices=Role.choices)


class ReaskForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(
        label="What changed", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
