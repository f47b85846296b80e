"""Calendar markup built in Python: items of the grid (short) and the agenda (long), and
the filter form's long lists of options.

A month shows about 200 items and the agenda about 200 more with their channels, move
forms and conflicts: through an {% include %} each, the template engine cost more than
reading the data (several microseconds a variable, tens of variables an item); a
formatted string costs a fraction of that. Every value is escaped as the template
would escape it (Django's escape is html.escape), and the markup is what the browser
tests, the drag-and-drop script and the accessibility checks read: classes, data-
attributes, the hidden text for screen readers and the conflict warnings.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from html import escape
from typing import TYPE_CHECKING, Any

from django.utils.safestring import SafeString, mark_safe

from synchrony.launches.models import LaunchStatus

if TYPE_CHECKING:
    from synchrony.calendars.selectors import Item
    from synchrony.launches.models import Launch


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def item_html(
    item: Item,
    *,
    long: bool = False,
    csrf_token: str = "",
    next_url: str = "",
    move_error: str = "",
    typed: Mapping[str, str] | None = None,
) -> str:
    """One item; `long` (the agenda) adds channels, project, quick move and every conflict.

    `csrf_token` and `next_url` (the page to come back to) are needed for a long item
    the viewer may move. With `move_error` (a refused move) its Move box is open, holds
    the `typed` values and says why, where the person is looking.
    """
    launch = item.launch if item.movable else None
    conflicts, n = item.conflicts, item.conflict_count
    parts = [
        f'<li class="cal-item kind-{escape(item.kind)} status-{escape(item.status)}'
        f'{" has-conflict" if n else ""}" style="--chip: {escape(item.colour)}"'
        + (
            f' draggable="true" data-move-url="{escape(item.move_url)}"'
            f' data-version="{launch.version}" data-day="{item.day.isoformat()}"'
            f' data-local-date="{launch.local_date.isoformat()}"'
            f' data-time="{launch.local_time:%H:%M}">'
            if launch is not None
            else ">"
        )
    ]
    text = (
        (f"<time>{item.time:%H:%M}</time> " if item.time is not None else "")
        + ("◆ " if item.kind == "milestone" else "")
        + escape(item.title)
        # "Planning ends" says nothing without its project: the grid, which shows no
        # project beside titles, names it; the agenda shows every item's project beside it.
        + (f" · {escape(item.where)}" if item.kind == "stage" and not long else "")
    )
    parts.append(f'<a href="{escape(item.url)}">{text}</a>' if item.url else f"<span>{text}</span>")
    if item.kind == "launch":
        parts.append(
            f'<span class="visually-hidden">, launch, {escape(_status_label(item.status))}</span>'
            + (
                "".join(
                    f'<span class="chip" style="--chip: {escape(c.colour)}">{escape(c.name)}</span>'
                    for c in item.channels
                )
                if long
                else ""
            )
        )
    if long:
        parts.append(f'<span class="muted small">· {escape(item.where)}</span>')
        if launch is not None:
            parts.append(_move_box(item, launch, csrf_token, next_url, move_error, typed))
    if move_error and launch is None:  # refused because it can no longer move at all
        parts.append(f'<p class="form-error small" role="alert">{escape(move_error)}</p>')
    if n:
        if long:
            parts.append(
                "".join(
                    f'<br><small class="conflict-text">⚠ {escape(c.message)}</small>'
                    for c in conflicts[:3]
                )
                + (
                    f'<br><small class="conflict-text">and {n - 3} more conflict{_s(n - 3)}'
                    " (see the launch)</small>"
                    if n > 3
                    else ""
                )
            )
        else:
            first = escape(conflicts[0].message)
            more = f" (and {n - 1} more)" if n > 1 else ""
            parts.append(
                f'<span class="conflict" title="{first}{more}" role="img"'
                f' aria-label="{n} conflict{_s(n)}: {first}">⚠{n if n > 1 else ""}</span>'
            )
    parts.append("</li>\n")
    return "\n".join(parts)


def _move_box(
    item: Item,
    launch: Launch,
    csrf_token: str,
    next_url: str,
    error: str,
    typed: Mapping[str, str] | None,
) -> str:
    """The agenda's Move box. It answers in place (htmx swaps the item for the server's
    answer); without JavaScript it posts and comes back to `next_url`. Its ids let a
    live refresh keep it open with what was typed (see synchrony.js)."""
    box_url = escape(item.box_url)
    box = f"move-{launch.pk}"
    values = {
        "local_date": launch.local_date.isoformat(),
        "local_time": f"{launch.local_time:%H:%M}",
        **(typed or {}),
    }
    invalid = f' aria-invalid="true" aria-describedby="{box}-error"' if error else ""
    # After a refusal the box is swapped in anew: focus goes back to its first field.
    first = f"{invalid} autofocus" if error else ""
    return (
        f'<details class="quick-move" id="{box}"{" open" if error else ""}>\n'
        "<summary>Move…</summary>\n"
        f'<form method="post" action="{box_url}" hx-post="{box_url}"'
        ' hx-target="closest li" hx-swap="outerHTML">'
        + (
            f'<p class="form-error small" role="alert" id="{box}-error">{escape(error)}</p>\n'
            if error
            else ""
        )
        + '<input type="hidden" name="csrfmiddlewaretoken"'
        f' value="{escape(csrf_token)}">\n'
        f'<input type="hidden" name="version" value="{launch.version}">\n'
        f'<input type="hidden" name="next" value="{escape(next_url)}">\n'
        f'<label>Date <input type="date" id="{box}-date" name="local_date"'
        f' value="{escape(values["local_date"])}" required{first}></label>\n'
        f'<label>Time <input type="time" id="{box}-time" name="local_time"'
        f' value="{escape(values["local_time"])}" required'
        f"{invalid}></label>\n"
        f'<span class="muted small">in {escape(launch.time_zone)}</span>\n'
        '<button type="submit" class="small primary">Move</button>\n'
        "</form>\n</details>"
    )


def _status_label(status: str) -> str:
    """What a screen reader hears for a launch's status: "partly launched", not its code."""
    try:
        return str(LaunchStatus(status).label).lower()
    except ValueError:
        return status.replace("_", " ")


def items_html(
    items: Iterable[Item], *, long: bool = False, csrf_token: str = "", next_url: str = ""
) -> SafeString:
    """The items of one day, in order, as the content of its list."""
    return mark_safe(  # noqa: S308 - item_html escapes every value
        "".join(item_html(i, long=long, csrf_token=csrf_token, next_url=next_url) for i in items)
    )


def channel_checkboxes(channels: Iterable[Any], checked: Collection[int]) -> SafeString:
    """The filter form's channel chips (rows with pk, name and colour)."""
    return mark_safe(  # noqa: S308 - every value below is escaped
        "".join(
            f'<label class="chip" style="--chip: {escape(c.colour)}"><input type="checkbox"'
            f' name="channel" value="{c.pk}"{" checked" if c.pk in checked else ""}>'
            f" {escape(c.name)}</label>"
            for c in channels
        )
    )


def options(rows: Iterable[Any], selected: Collection[int]) -> SafeString:
    """<option>s for rows with pk and name: a viewer may see hundreds of projects."""
    return mark_safe(  # noqa: S308 - every value below is escaped
        "".join(
            f'<option value="{r.pk}"{" selected" if r.pk in selected else ""}>'
            f"{escape(r.name)}</option>"
            for r in rows
        )
    )
