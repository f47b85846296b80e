"""The portfolio's bands and markers as HTML, one string per row.

The portfolio draws thousands of items: the template engine costs several microseconds
per variable, a formatted string a fraction of that. The markup is the same as
templates/timelines/includes/band.html and marker.html (without the marker's text),
escaped as the template would escape it (Django's escape is html.escape).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe

from synchrony.projects.models import Stage

if TYPE_CHECKING:
    from synchrony.timelines.selectors import Band, Marker

STAGE_NAMES = {
    stage.value: f'<span class="band-name">{escape(stage.label)}</span>' for stage in Stage
}


def bands(items: Iterable[Band], tz: dt.tzinfo) -> SafeString:
    """The drawn bands, in order, described in the zone `tz`; those outside are left out."""
    return mark_safe(  # noqa: S308 - every value below is escaped
        "".join(
            f'<span class="{escape(b.css)}" style="{b.place.style}" role="img"'
            f' title="{escape(b.describe(tz))}">{STAGE_NAMES[b.stage]}</span>'
            for b in items
            if b.place
        )
    )


def markers(items: Iterable[Marker]) -> SafeString:
    """The drawn markers, in order, without their text beside them."""
    return mark_safe(  # noqa: S308 - every value below is escaped
        "".join(
            f'<span class="{escape(m.css)}" style="{m.place.style}" role="img"'
            f' title="{escape(m.description)}"><span class="marker-shape"></span></span>'
            for m in items
            if m.place
        )
    )
