"""Wall times in named zones, with the daylight-saving edges made explicit."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass


class NonexistentTime(ValueError):
    """The wall time falls in a spring-forward gap: the clock never shows it."""

    def __init__(self, local: dt.datetime, zone: str, before: dt.datetime, after: dt.datetime):
        self.local, self.zone, self.before, self.after = local, zone, before, after
        super().__init__(
            f"{local:%H:%M} does not exist on {local:%-d %b %Y} in {zone}: the clocks jump "
            f"forward. Choose {before:%H:%M} or {after:%H:%M}."
        )


@dataclass(frozen=True)
class Resolved:
    utc: dt.datetime
    ambiguous: bool  # the wall time happens twice (clocks go back); the first is taken

    @property
    def note(self) -> str:
        if not self.ambiguous:
            return ""
        return "That time happens twice as the clocks go back; the first occurrence is used."


def resolve(local: dt.datetime, zone: str) -> Resolved:
    """The UTC moment of a naive wall time in `zone`, refusing times that do not exist."""
    tz = zoneinfo.ZoneInfo(zone)
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    utc = first.astimezone(dt.UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        # In a gap, fold=0 and fold=1 land on either side of it.
        before = second.astimezone(dt.UTC).astimezone(tz)
        after = first.astimezone(dt.UTC).astimezone(tz)
        raise NonexistentTime(naive, zone, min(before, after), max(before, after))
    return Resolved(utc=utc, ambiguous=first.utcoffset() != second.utcoffset())
