from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from synchrony.accounts.models import User
from synchrony.activity.forms import DateInput, VersionedModelForm
from synchrony.launches.models import FINAL_STATUSES, Channel, Launch
from synchrony.lib.forms import form_field
from synchrony.planning.models import ASSIGNABLE_ROLES
from synchrony.projects.models import Project, Stage
from synchrony.reviews.models import (
    LESSON_STAGES,
    ApplicationStatus,
    LaunchKind,
    Lesson,
    Outcome,
    Prompt,
    Retrospective,
)


def members_of(project: Project) -> QuerySet[User]:
    return User.objects.filter(memberships__project=project, is_active=True).order_by(
        "first_name", "last_name", "username"
    )


class StartForm(forms.Form):
    launch = forms.ModelChoiceField(
        queryset=Launch.objects.none(),
        required=False,
        empty_label="— the whole project —",
        label="Retrospective of",
        help_text="The project's own retrospective, held in Review, or one for a launch that "
        "went out.",
    )
    facilitator = forms.ModelChoiceField(
        queryset=User.objects.none(),
        help_text="Reveals the board phase by phase, groups items and keeps time.",
    )
    participants = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Everyone on the project, sales and customer success too, may take part.",
    )
    votes_per_person = forms.IntegerField(min_value=1, max_value=20, initial=3)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        kwargs["auto_id"] = "start_%s"
        super().__init__(*args, **kwargs)
        people = members_of(project)
        form_field(self, "facilitator", forms.ModelChoiceField).queryset = people
        form_field(self, "participants", forms.ModelChoiceField).queryset = people
        launch = form_field(self, "launch", forms.ModelChoiceField)
        launch.queryset = project.launches.filter(status__in=FINAL_STATUSES).exclude(
            retrospectives__isnull=False
        )
        held = project.retrospectives.filter(launch__isnull=True).exists()
        if project.stage != Stage.REVIEW or held:
            # Only a launch's retrospective can be started now.
            launch.required = True
            launch.empty_label = None
        if not self.is_bound:
            self.initial.setdefault("participants", list(people.values_list("pk", flat=True)))


class RetrospectiveForm(VersionedModelForm):
    class Meta:
        model = Retrospective
        fields = ["facilitator", "votes_per_person"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "facilitator", forms.ModelChoiceField).queryset = members_of(
            self.instance.project
        )
        self.fields["facilitator"].required = True


class ParticipantForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Invite")

    def __init__(self, *args: Any, retro: Retrospective, **kwargs: Any) -> None:
        kwargs["auto_id"] = "invite_%s"
        super().__init__(*args, **kwargs)
        active = retro.participants.filter(removed_at__isnull=True).values("user")
        form_field(self, "user", forms.ModelChoiceField).queryset = members_of(
            retro.project
        ).exclude(pk__in=active)


class PhaseForm(forms.Form):
    to_phase = forms.CharField(max_length=10)
    expected_phase = forms.CharField(max_length=10)


class ItemForm(forms.Form):
    prompt = forms.ChoiceField(choices=Prompt.choices, widget=forms.HiddenInput)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        strip=True,
        error_messages={"required": "Write something first."},
    )
    anonymous = forms.BooleanField(
        required=False,
        label="Post anonymously",
        help_text="Nobody, not even the facilitator or an administrator, can see who wrote it.",
    )
    confirmed = forms.BooleanField(required=False, label="Post as written")

    def __init__(self, *args: Any, prompt: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"item_{prompt or 'x'}_%s")
        super().__init__(*args, **kwargs)
        if prompt:
            self.initial.setdefault("prompt", prompt)


class ItemEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        error_messages={"required": "Write something first."},
    )
    confirmed = forms.BooleanField(required=False, label="Save as written")


class BlameCheckForm(forms.Form):
    text = forms.CharField(max_length=5000, required=False)


class GroupForm(forms.Form):
    target = forms.CharField(max_length=60, label="Group with")


class GroupTitleForm(forms.Form):
    title = forms.CharField(max_length=200)


class VoteForm(forms.Form):
    card = forms.CharField(max_length=60)
    action = forms.ChoiceField(choices=[("add", "add"), ("remove", "remove")])


class ActionForm(forms.Form):
    card = forms.CharField(max_length=60, required=False, widget=forms.HiddenInput)
    title = forms.CharField(max_length=200, label="Action")
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(),
        label="Task in project",
        help_text="Where the work happens. Review tasks of this project must be done "
        "before it closes; pick the next project for work that outlives this one.",
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    due_date = forms.DateField(required=False, widget=DateInput)

    def __init__(
        self, *args: Any, projects: QuerySet[Project], prefix_id: str = "action", **kwargs: Any
    ) -> None:
        kwargs["auto_id"] = f"{prefix_id}_%s"
        super().__init__(*args, **kwargs)
        form_field(self, "project", forms.ModelChoiceField).queryset = projects
        form_field(self, "owner", forms.ModelChoiceField).queryset = User.objects.filter(
            is_active=True,
            memberships__project__in=projects,
            memberships__role__in=ASSIGNABLE_ROLES,
        ).distinct()


class LessonForm(VersionedModelForm):
    card = forms.CharField(max_length=60, required=False, widget=forms.HiddenInput)

    class Meta:
        model = Lesson
        fields = ["title", "what_happened", "do_differently", "channels", "stage", "kind"]
        widgets = {
            "what_happened": forms.Textarea(attrs={"rows": 2}),
            "do_differently": forms.Textarea(attrs={"rows": 2}),
            "channels": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "title": "One line someone planning a launch should read.",
            "do_differently": "Concrete and about the process: a check, a hand-off, a date.",
            "channels": "Projects that pick one of these channels will see this lesson.",
        }

    def __init__(self, *args: Any, prefix_id: str = "", **kwargs: Any) -> None:
        if prefix_id:
            kwargs["auto_id"] = f"{prefix_id}_%s"
        super().__init__(*args, **kwargs)
        form_field(self, "channels", forms.ModelChoiceField).queryset = Channel.objects.filter(
            is_active=True
        )
        form_field(self, "stage", forms.ChoiceField).choices = [("", "—"), *LESSON_STAGES]
        form_field(self, "kind", forms.ChoiceField).choices = [("", "—"), *LaunchKind.choices]
        if not self.instance.pk:
            del self.fields["version"]


class ReadingForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    final_value = forms.DecimalField(
        label="Final figure", max_digits=14, decimal_places=2, required=False
    )
    reading = forms.CharField(
        label="The team's reading",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )

    def clean_final_value(self) -> Any:
        value = self.cleaned_data.get("final_value")
        if value is not None and not value.is_finite():
            raise forms.ValidationError("Enter a number.")
        return value


class NoteForm(forms.Form):
    date = forms.DateField(widget=DateInput)
    text = forms.CharField(max_length=300, label="What happened")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["auto_id"] = "note_%s"
        super().__init__(*args, **kwargs)


class AnswerForm(forms.Form):
    status = forms.ChoiceField(choices=ApplicationStatus.choices)
    note = forms.CharField(max_length=500, required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices, widget=forms.RadioSelect)
    outcome_note = forms.CharField(max_length=500, required=False, label="Note")


class SearchForm(forms.Form):
    q = forms.CharField(required=False, label="Search lessons", max_length=2000)
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.all(), required=False, empty_label="Any channel"
    )
    stage = forms.ChoiceField(choices=[("", "Any stage"), *LESSON_STAGES], required=False)
    kind = forms.ChoiceField(
        choices=[("", "Any kind of launch"), *LaunchKind.choices], required=False
    )


class ReportLinkForm(forms.Form):
    days = forms.IntegerField(
        min_value=0,
        max_value=365,
        required=False,
        label="Link expires after (days)",
        help_text="Empty or 0: never. You can revoke it at any time.",
    )
