from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from synchrony.accounts.models import Team
from synchrony.calendars.models import KINDS
from synchrony.calendars.selectors import ALL_KINDS, Filters
from synchrony.launches.models import Channel
from synchrony.lib.forms import form_field
from synchrony.projects.models import Project

VIEWS = [("month", "Month"), ("week", "Week"), ("agenda", "Agenda")]


class CalendarForm(forms.Form):
    """The calendar's query string, validated: a bad value is named, never a 500."""

    view = forms.ChoiceField(choices=VIEWS, required=False)
    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    channel = forms.ModelMultipleChoiceField(queryset=Channel.objects.all(), required=False)
    project = forms.ModelMultipleChoiceField(queryset=Project.objects.none(), required=False)
    team = forms.ModelMultipleChoiceField(queryset=Team.objects.all(), required=False)
    kind = forms.MultipleChoiceField(choices=KINDS, required=False)

    def __init__(self, *args: Any, projects: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "project", forms.ModelChoiceField).queryset = projects

    def values(self, today: dt.date) -> tuple[str, dt.date, Filters]:
        """The valid parts of the query; invalid parts fall back to their defaults."""
        errors = self.errors if self.is_bound else {}  # runs validation
        data = getattr(self, "cleaned_data", {})
        ok = {name: data.get(name) for name in self.fields if name not in errors}
        filters = Filters(
            channels=tuple(c.pk for c in ok.get("channel") or ()),
            projects=tuple(p.pk for p in ok.get("project") or ()),
            teams=tuple(t.pk for t in ok.get("team") or ()),
            kinds=tuple(ok.get("kind") or ALL_KINDS),
        )
        return ok.get("view") or "month", ok.get("date") or today, filters


class SaveFilterForm(CalendarForm):
    name = forms.CharField(max_length=100)
    notify_moves = forms.BooleanField(required=False)


class ShareLinkForm(forms.Form):
    """How long a share link lasts: 1 to 365 days, or empty for never (0 is refused: it
    read as "never" while looking like "at once")."""

    days = forms.IntegerField(min_value=1, max_value=365, required=False)
