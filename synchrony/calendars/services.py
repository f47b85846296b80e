"""Saved calendar filters, share links, ICS feed tokens, and move notices to subscribers."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from synchrony.activity.models import NotificationKind
from synchrony.activity.services import notify
from synchrony.calendars.models import FeedToken, SavedFilter, ShareLink
from synchrony.calendars.selectors import ALL_KINDS, Filters
from synchrony.lib.tokens import hash_token, new_token
from synchrony.projects.models import Membership, Role
from synchrony.projects.selectors import projects_for_user

if TYPE_CHECKING:
    from synchrony.accounts.models import Team, User
    from synchrony.launches.models import Channel, Launch
    from synchrony.projects.models import Project


def saved_filter_create(
    *,
    actor: User,
    name: str,
    channels: Iterable[Channel] = (),
    projects: Iterable[Project] = (),
    teams: Iterable[Team] = (),
    kinds: Iterable[str] = (),
    notify_moves: bool = True,
) -> SavedFilter:
    kinds = [k for k in kinds if k in ALL_KINDS] or list(ALL_KINDS)
    saved = SavedFilter(owner=actor, name=name.strip(), kinds=kinds, notify_moves=notify_moves)
    saved.full_clean()
    visible = set(projects_for_user(actor).values_list("pk", flat=True))
    projects = list(projects)
    if any(p.pk not in visible for p in projects):
        raise ValidationError({"projects": "You can only filter on projects you are in."})
    with transaction.atomic():
        saved.save()
        saved.channels.set(channels)
        saved.projects.set(projects)
        saved.teams.set(teams)
    return saved


def filters_of(saved: SavedFilter) -> Filters:
    return Filters(
        channels=tuple(c.pk for c in saved.channels.all()),
        projects=tuple(p.pk for p in saved.projects.all()),
        teams=tuple(t.pk for t in saved.teams.all()),
        kinds=tuple(saved.kinds or ALL_KINDS),
    )


def share_link_create(
    *, actor: User, saved_filter: SavedFilter, expires_at: dt.datetime | None = None
) -> tuple[ShareLink, str]:
    """A read-only link; the token is returned once and only its hash is kept."""
    if saved_filter.owner_id != actor.pk:
        raise PermissionDenied("Only the filter's owner shares it.")
    if not Membership.objects.filter(user=actor, role=Role.MANAGER).exists():
        raise PermissionDenied("Only managers create share links.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The link would expire before it is used."})
    token = new_token()
    link = ShareLink.objects.create(
        saved_filter=saved_filter,
        token_hash=hash_token(token),
        created_by=actor,
        expires_at=expires_at,
    )
    return link, token


def share_link_revoke(*, actor: User, link: ShareLink) -> None:
    if link.saved_filter.owner_id != actor.pk:
        raise PermissionDenied("Only the filter's owner revokes its links.")
    ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def share_link_by_token(token: str) -> ShareLink | None:
    link = (
        ShareLink.objects.select_related("saved_filter__owner")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if link is None or not link.is_active or not link.saved_filter.owner.is_active:
        return None
    ShareLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    return link


def feed_token_rotate(*, user: User) -> str:
    """A new feed token for the user; the old ones stop working. Returned once."""
    token = new_token()
    with transaction.atomic():
        FeedToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        FeedToken.objects.create(user=user, token_hash=hash_token(token))
    return token


def feed_user_by_token(token: str) -> User | None:
    feed = (
        FeedToken.objects.select_related("user")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.user.is_active:
        return None
    FeedToken.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed.user


def notify_move(*, launch: Launch, before: dt.datetime, actor: User) -> None:
    """Tell subscribers of filters showing this launch that it moved, if it is near.

    Calendar apps refresh subscribed feeds only every 8 to 24 hours, so a move within
    the next 7 days is announced in the app and by e-mail as well.
    """
    now = timezone.now()
    soon = now + dt.timedelta(days=7)
    if not (now <= before <= soon or now <= launch.go_live <= soon):
        return
    channel_ids = list(launch.activations.values_list("channel_id", flat=True))
    candidates = (
        SavedFilter.objects.filter(notify_moves=True)
        .filter(Q(projects__isnull=True) | Q(projects=launch.project_id))
        .filter(Q(channels__isnull=True) | Q(channels__in=channel_ids))
        .filter(owner__memberships__project=launch.project_id)
        .select_related("owner")
        .distinct()
    )
    # The kinds are checked here, not in SQL: SQLite (the embedded default) has no JSON
    # containment lookup, and a project's saved filters are few.
    owners = {f.owner for f in candidates if not f.kinds or "launch" in f.kinds}
    if not owners:
        return
    # Recipients live in many zones: name the launch's own wall time and zone.
    zone = zoneinfo.ZoneInfo(launch.time_zone)
    new, old = launch.go_live.astimezone(zone), before.astimezone(zone)
    notify(
        recipients=owners,
        kind=NotificationKind.LAUNCH_MOVED,
        title=f"“{launch}” moved to {new:%a %-d %b %H:%M} ({launch.time_zone})",
        body=f"It was due {old:%a %-d %b %H:%M}. "
        "Calendar apps may show the old time for up to a day.",
        url=launch.get_absolute_url(),
        project=launch.project,
        actor=actor,
    )
