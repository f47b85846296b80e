"""A form's field typed as the kind of field it is."""

from __future__ import annotations

from typing import TypeVar

from django import forms

F = TypeVar("F", bound=forms.Field)


def form_field(form: forms.BaseForm, name: str, kind: type[F]) -> F:
    """`form.fields[name]`, as a `kind`.

    `BaseForm.fields` holds plain `Field`s as far as a type checker knows, so what a form
    sets on its fields in `__init__` (a `ModelChoiceField`'s queryset, a `ChoiceField`'s
    choices) needs the field's own class: checked here, once, rather than cast at each use.
    """
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{type(form).__name__}.{name} is a {type(field).__name__}, not a {kind}")
    return field
