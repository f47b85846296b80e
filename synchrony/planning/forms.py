from __future__ import annotations

from typing import Any

from django import forms

from synchrony.accounts.models import User
from synchrony.activity.forms import VersionedModelForm
from synchrony.launches.models import Channel
from synchrony.lib.forms import form_field
from synchrony.planning.models import (
    ASSIGNABLE_ROLES,
    BudgetLine,
    ContentItem,
    ContentStatus,
    Task,
    TaskStatus,
)
from synchrony.projects.models import Project


class ProjectScopedForm(VersionedModelForm):
    """A form for a project's row: people to pick are the project's contributors."""

    person_fields: tuple[str, ...] = ("owner",)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        self.project = project
        super().__init__(*args, **kwargs)
        self.instance.project = project
        people = User.objects.filter(
            memberships__project=project, memberships__role__in=ASSIGNABLE_ROLES
        )
        for name in self.person_fields:
            # Whoever holds the work now stays selectable, even after leaving the project.
            holder = getattr(self.instance, f"{name}_id", None)
            choices = people if holder is None else people | User.objects.filter(pk=holder)
            form_field(self, name, forms.ModelChoiceField).queryset = choices.distinct()
        if not self.instance.pk:
            del self.fields["version"]

    def _extra_kwargs(self) -> dict[str, Any]:
        return {"project": self.project}


class TaskForm(ProjectScopedForm):
    class Meta:
        model = Task
        fields = [
            "title",
            "owner",
            "due_date",
            "stage",
            "status",
            "blocked_reason",
            "depends_on",
            "description",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "depends_on": forms.SelectMultiple(attrs={"size": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        deps = self.project.tasks.all()
        if self.instance.pk:
            deps = deps.exclude(pk=self.instance.pk)
        form_field(self, "depends_on", forms.ModelChoiceField).queryset = deps
        self.fields[
            "depends_on"
        ].help_text = "Tasks that must be done first (Ctrl-click to pick several)."


class TaskStatusForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    status = forms.ChoiceField(choices=TaskStatus.choices)
    blocked_reason = forms.CharField(max_length=300, required=False)


class ContentForm(ProjectScopedForm):
    person_fields = ("owner", "reviewer")
    link = forms.URLField(required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = ContentItem
        fields = ["title", "kind", "channel", "owner", "reviewer", "due_date", "link", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "channel", forms.ModelChoiceField).queryset = Channel.objects.filter(
            is_active=True
        )


class ReviewForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # No default: approving is a decision, never what a hurried click leaves selected.
    decision = forms.ChoiceField(
        choices=[
            (ContentStatus.APPROVED, "Approve"),
            (ContentStatus.CHANGES_REQUESTED, "Request changes"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Approve it or request changes."},
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class BudgetLineForm(ProjectScopedForm):
    class Meta:
        model = BudgetLine
        fields = ["category", "description", "planned", "actual", "owner"]


class BudgetApprovalForm(forms.Form):
    budget_version = forms.IntegerField(min_value=1)
