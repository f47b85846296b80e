from __future__ import annotations

from typing import Any

from django import forms

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
        return {
            k: v for k, v in self.cleaned_data.items() if k in self._meta.fields and k not in m2m
        }

    def stale(self, error: StaleEdit) -> VersionedModelForm:
        data = self.data.copy()
        data[self.add_prefix("version")] = str(error.current.version)  # type: ignore[attr-defined]
        form = type(self)(data, instance=error.current, **self._extra_kwargs())
        form.is_valid()
        form.add_error(None, error.message)
        return form

    def _extra_kwargs(self) -> dict[str, Any]:
        return {}


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
