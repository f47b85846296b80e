from __future__ import annotations

from typing import Any, Self

from django import forms
from django.core.exceptions import ValidationError

from synchrony.activity.services import StaleEdit


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class VersionedModelForm(forms.ModelForm):
    """An edit form that carries the version it was opened at.

    The service refuses the save if the row moved on; `stale()` turns that refusal
    into a form that keeps the user's input, names what changed, and carries the
    new version so a deliberate second save goes through.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Several forms share a page (add a goal, add a task): keep their ids apart.
        instance = kwargs.get("instance")
        name = self._meta.model._meta.model_name
        kwargs.setdefault("auto_id", f"{name}{instance.pk if instance else ''}_%s")
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = DateInput()

    def changes(self) -> dict[str, Any]:
        """The cleaned model fields to save, without many-to-many fields and the version."""
        m2m = {f.name for f in self.instance._meta.many_to_many}
        fields = self._meta.fields or ()  # every versioned form names its Meta.fields
        return {k: v for k, v in self.cleaned_data.items() if k in fields and k not in m2m}

    def stale(self, error: StaleEdit) -> Self:
        """The refused form, ready for a deliberate second save.

        Fields someone else changed meanwhile take their new value, with the user's
        own entry quoted at the field, so saving again never silently reverts the
        other person's change; every other field keeps what the user typed.
        """
        current = type(self)(instance=error.current, **self._extra_kwargs())
        theirs = {name for event in error.events for name in event.changes if name in self.fields}
        data = self.data.copy()  # type: ignore[attr-defined]
        data[self.add_prefix("version")] = str(error.current.version)  # type: ignore[attr-defined]
        notes = {}
        for name in theirs:
            key = self.add_prefix(name)
            mine, now = self[name].value(), current[name].value()
            if isinstance(now, (list, tuple)):
                data.setlist(key, [str(getattr(v, "pk", v)) for v in now])
            elif now is None:
                data[key] = ""
            else:
                data[key] = now.isoformat() if hasattr(now, "isoformat") else str(now)
            notes[name] = (
                f"Changed by someone else meanwhile. You had entered: {self._label(name, mine)}"
            )
        form = type(self)(data, instance=error.current, **self._extra_kwargs())
        form.is_valid()
        form.add_error(None, error.message)
        for name, note in notes.items():
            form.add_error(name, note)
        return form

    def _label(self, name: str, raw: Any) -> str:
        """What the user entered, as they saw it (choice labels, not ids)."""
        values = raw if isinstance(raw, (list, tuple)) else [raw]
        choices = getattr(self.fields[name], "choices", None)
        labels = {str(k): str(v) for k, v in choices} if choices is not None else {}
        shown = [labels.get(str(v), str(v)) for v in values if v not in (None, "")]
        return ", ".join(f"“{v}”" for v in shown) or "nothing"

    def _extra_kwargs(self) -> dict[str, Any]:
        return {}


def error_text(error: ValidationError | StaleEdit) -> str:
    """A refused change as one message line (for django.contrib.messages)."""
    if isinstance(error, StaleEdit):
        return error.message
    return " ".join(error.messages)


def apply_errors(form: forms.BaseForm, error: Any) -> None:
    """Put a service's ValidationError on the form: at its field where it names one."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class VersionForm(forms.Form):
    """For actions on a row that post nothing but the version they were shown."""

    version = forms.IntegerField(min_value=1)
