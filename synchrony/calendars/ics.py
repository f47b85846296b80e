"""ICS (RFC 5545) for a calendar's items, written with the icalendar library.

UIDs are stable per object; SEQUENCE follows the object's version, so every change
raises it; launch times are written in UTC (the planned wall time and zone are in the
description), all-day items as dates;
cancelled launches stay in the feed as STATUS:CANCELLED so subscribers drop them.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from synchrony.calendars.selectors import Item
from synchrony.launches.models import LaunchStatus

LAUNCH_LENGTH = dt.timedelta(minutes=30)


def build_calendar(items: list[Item], name: str) -> bytes:
    host = urlsplit(settings.SITE_URL).hostname or "synchrony"
    calendar = Calendar()
    calendar.add("prodid", "-//Synchrony//Launch calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    now = timezone.now()
    for item in items:
        event = Event()
        event.add("summary", f"{item.title} · {item.where}")
        event.add("url", f"{settings.SITE_URL}{item.url}")
        if item.kind == "launch" and item.launch is not None:
            launch = item.launch
            # UTC is read the same by every client (long VTIMEZONE RDATE lists are not);
            # calendar apps show it in the reader's own zone.
            start = launch.go_live.astimezone(dt.UTC)
            event.add("uid", f"launch-{launch.pk}@{host}")
            event.add("sequence", launch.version - 1)
            event.add("dtstamp", launch.updated_at or now)
            event.add("dtstart", start)
            event.add("dtend", start + LAUNCH_LENGTH)
            channels = ", ".join(c.name for c in item.channels) or "no channels yet"
            event.add(
                "description",
                f"Coordinated launch on {channels}. Planned for "
                f"{launch.local_date:%-d %b %Y} {launch.local_time:%H:%M} {launch.time_zone}.",
            )
            event.add(
                "status",
                {
                    LaunchStatus.CANCELLED: "CANCELLED",
                    LaunchStatus.DRAFT: "TENTATIVE",
                }.get(LaunchStatus(launch.status), "CONFIRMED"),
            )
        elif item.moment is not None:
            # A stand-up's meeting: in UTC too, so each attendee's app shows it in their
            # zone, daylight-saving changes included; a skipped one is cancelled.
            uid, sequence = _identity(item)
            event.add("uid", f"{uid}@{host}")
            event.add("sequence", sequence)
            event.add("dtstamp", now)
            event.add("dtstart", item.moment[0].astimezone(dt.UTC))
            event.add("dtend", item.moment[1].astimezone(dt.UTC))
            event.add("status", "CANCELLED" if item.status == "cancelled" else "CONFIRMED")
        else:
            uid, sequence = _identity(item)
            event.add("uid", f"{uid}@{host}")
            event.add("sequence", sequence)
            event.add("dtstamp", now)
            event.add("dtstart", item.day)
            event.add("dtend", item.day + dt.timedelta(days=1))
            event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()


def _identity(item: Item) -> tuple[str, int]:
    """A stable UID and the SEQUENCE for non-launch items."""
    kind, ref = item.kind, item.ref
    return f"{kind}-{ref[0]}", max(ref[1] - 1, 0)
