"""Facilitator mode, live: everyone on a meeting's page sees the notes, decisions, action
items, ticks and attendance that others save, and its start and end.

The app-wide stream (activity.live) forwards a change to whoever can see its project,
and open calendars, timelines and launch pages re-read themselves on each one: a
meeting's notes concern none of them, and a team's stand-up has no project at all. So
a meeting has a key of its own on the same Redis channel, its id negated, which is no
project's (their ids are positive): the app-wide stream never forwards it, and the
facilitator-mode page opens a stream of that key alone, once its reader may see the
meeting. As everywhere, the message only names what changed; the page re-fetches its
parts through the permission-checked view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synchrony.activity.live import publish_change

if TYPE_CHECKING:
    from synchrony.accounts.models import User

# Something saved while the meeting runs (a note, a tick, an action item, attendance),
# and a change of its state (started, ended, skipped, restored, its agenda rewritten).
KIND, STATE = "standup-run", "standup-run-state"


def meeting_key(meeting_id: int) -> int:
    """The meeting's key where a project's id would be: never a project's."""
    return -meeting_id


def publish_run(meeting_id: int, actor: User | None, *, state: bool = False) -> None:
    """After the change commits, tell the meeting's open pages to re-fetch."""
    publish_change(
        kind=STATE if state else KIND,
        obj_id=meeting_id,
        project_id=meeting_key(meeting_id),
        actor=actor,
    )
