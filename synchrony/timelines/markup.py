"""The portfolio's rows as HTML: each project's label, bands and markers.

The portfolio draws thousands of items in hundreds of rows: the template engine costs
several microseconds per variable (and a reverse() per {% url %}), a formatted string a
fraction of that. The markup is the same as templates/timelines/includes/band.html and
marker.html (without the marker's text), escaped as the template would escape it
(Django's escape is html.escape).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from synchrony.projects.models import Stage

if TYPE_CHECKING:
    from synchrony.timelines.selectors import Band, Marker, PortfolioRow

STAGE_NAMES = {
    stage.value: f'<span class="band-name">{escape(stage.label)}</span>' for stage in Stage
}


@functools.lru_cache(maxsize=256)
def _classes(css: str) -> str:
    """Class lists escaped once each: a few dozen distinct ones among thousands of items."""
    return escape(css)


def bands(items: Iterable[Band], tz: dt.tzinfo) -> SafeString:
    """The drawn bands, in order, described in the zone `tz`; those outside are left out."""
    return mark_safe(  # noqa: S308 - every value below is escaped
        "".join(
            f'<span class="{_classes(b.css)}" style="{b.place.style}" role="img"'
            f' title="{escape(b.describe(tz))}">{STAGE_NAMES[b.stage]}</span>'
            for b in items
            if b.place
        )
    )


def markers(items: Iterable[Marker]) -> SafeString:
    """The drawn markers, in order, without their text beside them."""
    return mark_safe(  # noqa: S308 - every value below is escaped
        "".join(
            f'<span class="{_classes(m.css)}" style="{m.place.style}" role="img"'
            f' title="{escape(m.description)}"><span class="marker-shape"></span></span>'
            for m in items
            if m.place
        )
    )


def portfolio_rows(rows: Iterable[PortfolioRow], zoom: str) -> SafeString:
    """One <li> per project: its link and stage, then its bands and markers."""
    link = reverse("timelines:project", args=[0]).replace("/0/", "/{}/") + f"?zoom={zoom}"
    out = []
    for row in rows:
        project, plan = row.project, row.plan
        late = plan.current is not None and plan.current.late
        since = f" since {plan.closed_on.day} {plan.closed_on:%b %Y}" if plan.closed_on else ""
        role = project.user_role or ""
        unplanned = (
            '<span class="visually-hidden">No planned end: '
            f"{escape(', '.join(plan.unplanned))}</span>"
            if plan.unplanned
            else ""
        )
        out.append(
            '<li class="tl-row tl-project">\n<div class="tl-label">\n'
            f'<a href="{escape(link.format(project.pk))}">{escape(project.name)}</a>\n'
            f'<small class="muted">{escape(Stage(project.stage).label)}{since}'
            f" · {escape(role[:1].upper() + role[1:])}</small>\n"
            + ('<span class="pill overdue">stage overdue</span>' if late else "")
            + '\n</div>\n<div class="tl-track">\n'
            f"{bands(plan.bands, row.tz)}\n{markers(row.markers)}\n{unplanned}\n</div>\n</li>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
