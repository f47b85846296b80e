"""Recording changes, refusing stale edits, and telling people.

Every write in Synchrony goes through a service that ends here: the change is
recorded as an ActivityEvent (who, what, before → after) in the same transaction,
and notifications are e-mailed only after that transaction commits.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import formats, timezone

from synchrony.activity.models import ActivityEvent, Notification
from synchrony.lib.durations import setting_span

if TYPE_CHECKING:
    from synchrony.accounts.models import User
    from synchrony.projects.models import Project

M = TypeVar("M", bound=models.Model)

# Bookkeeping that follows from another change (a status, an approval): saved, but not
# listed in the history, where a time would show in the writer's zone, not the reader's.
# A launch's UTC go_live follows from its wall time and zone, which are listed instead.
QUIET_FIELDS = frozenset(
    {
        "responded_at",
        "responded_by",
        "completed_at",
        "budget_approved_at",
        "go_live",
        "next_check_at",  # the launch engine's bookkeeping
    }
)


class StaleEdit(Exception):
    """Someone saved a newer version since the editor opened the form."""

    def __init__(self, current: models.Model, since_version: int) -> None:
        self.current = current
        self.events = list(
            ActivityEvent.objects.filter(
                target_type=current._meta.label_lower,
                target_id=current.pk,
                target_version__gt=since_version,
            )
            .select_related("actor")
            .order_by("created_at", "id")
        )
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = []
        for event in self.events:
            when = formats.date_format(timezone.localtime(event.created_at), "j M H:i")
            what = "; ".join(
                f"{c['label']}: {c['before'] or '—'} → {c['after'] or '—'}"
                for c in event.changes.values()
            )
            parts.append(f"{event.actor or 'Someone'} ({when}) changed {what or 'it'}")
        who = ". ".join(parts) if parts else "Someone else saved it"
        return (
            f"Not saved: this {self.current._meta.verbose_name} changed since you opened it. "
            f"{who}. Your edits are kept below; check them against the new values and save again."
        )


def describe(instance: models.Model, name: str, value: Any) -> str:
    """A value as a person reads it in the history: labels, not codes."""
    field = instance._meta.get_field(name)
    if value is None or value == "":
        return ""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        return ", ".join(sorted(str(v) for v in value))
    # A relation (ForeignObjectRel) has no choices.
    choices = getattr(field, "choices", None)
    if choices:
        return str(dict(choices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        # Aware moments read in the current zone; naive ones are wall times, kept as written.
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(local, "j M Y H:i")
    if isinstance(value, dt.date):
        return formats.date_format(value, "j M Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    text = str(value)
    return text if len(text) <= 120 else text[:119] + "…"


def record_event(
    *,
    actor: User | None,
    project: Project | None,
    verb: str,
    target: models.Model,
    changes: Mapping[str, Mapping[str, Any]] | None = None,
    message: str = "",
) -> ActivityEvent:
    return ActivityEvent.objects.create(
        project=project,
        actor=actor,
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=target.pk,
        target_label=f"{target._meta.verbose_name} “{target}”",
        target_version=getattr(target, "version", None),
        changes=dict(changes or {}),
        message=message,
    )


def record_created(*, actor: User, project: Project | None, target: models.Model) -> None:
    record_event(actor=actor, project=project, verb="created", target=target)


def record_deleted(*, actor: User, project: Project | None, target: models.Model) -> None:
    record_event(actor=actor, project=project, verb="deleted", target=target)


def update_versioned(
    *,
    actor: User,
    project: Project | None,
    instance: M,
    version: int,
    changes: Mapping[str, Any],
    m2m: Mapping[str, Iterable[models.Model]] | None = None,
    verb: str = "updated",
    message: str = "",
    check: Callable[[M], None] | None = None,
) -> tuple[M, dict[str, dict[str, Any]]]:
    """Apply changes to the row only if nobody saved a newer version meanwhile.

    The row is locked for the check and the write, so two saves of the same
    version cannot both win. The changed row is validated by `check` (its
    `full_clean` unless given) before it is saved. Returns the saved row and the
    recorded diff.
    """
    model = type(instance)
    with transaction.atomic():
        current = model._default_manager.select_for_update().get(pk=instance.pk)
        if current.version != version:  # type: ignore[attr-defined]
            raise StaleEdit(current, since_version=version)
        diff: dict[str, dict[str, Any]] = {}
        for name, value in changes.items():
            before = getattr(current, name)
            if before != value:
                diff[name] = field_change(current, name, before, value)
                setattr(current, name, value)
        for name, values in (m2m or {}).items():
            before_set = set(getattr(current, name).all())
            after_set = set(values)
            if before_set != after_set:
                diff[name] = field_change(current, name, before_set, after_set)
        if not diff:
            return current, diff
        if check is None:
            current.full_clean()
        else:
            check(current)
        current.version += 1  # type: ignore[attr-defined]
        current.save()
        for name, values in (m2m or {}).items():
            if name in diff:
                getattr(current, name).set(values)
        shown = {name: change for name, change in diff.items() if name not in QUIET_FIELDS}
        record_event(
            actor=actor, project=project, verb=verb, target=current, changes=shown, message=message
        )
    return current, diff


def field_change(instance: models.Model, name: str, before: Any, after: Any) -> dict[str, Any]:
    """One field's change as recorded: its label, before and after as people read them
    (the history pages, a stale form's message), and as values (`before_value`,
    `after_value`: the API's 412, whose clients write codes and ids, not labels)."""
    field = instance._meta.get_field(name)
    label = str(getattr(field, "verbose_name", name)).capitalize()
    return {
        "label": label,
        "before": describe(instance, name, before),
        "after": describe(instance, name, after),
        "before_value": value_of(instance, name, before),
        "after_value": value_of(instance, name, after),
    }


def value_of(instance: models.Model, name: str, value: Any) -> Any:
    """A value as the API writes it, in JSON: the code of a choice, the id of a row (ids,
    sorted, for several), ISO 8601 for days and times (UTC for moments), a decimal as text
    with the field's places."""
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (set, frozenset, models.QuerySet)):
        return sorted(value_of(instance, name, v) for v in value)
    if isinstance(value, (list, tuple)):
        return [value_of(instance, name, v) for v in value]
    if isinstance(value, dict):
        return {str(k): value_of(instance, name, v) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        places = getattr(instance._meta.get_field(name), "decimal_places", None)
        if places is not None and value.is_finite():
            value = value.quantize(Decimal(1).scaleb(-places))
        return format(value, "f")
    return str(value)


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    url: str = "",
    body: str = "",
    project: Project | None = None,
    actor: User | None = None,
    dedupe_key: str = "",
) -> list[Notification]:
    """Tell people in the app, and by e-mail where they chose to receive this kind.

    The actor is never told about their own action. With a dedupe_key, a person
    is told at most once, however often this runs.
    """
    from synchrony.activity.tasks import send_notification_email

    people = {u.pk: u for u in recipients if u is not None and u.is_active}
    if actor is not None:
        people.pop(actor.pk, None)
    if dedupe_key:
        already = Notification.objects.filter(
            recipient_id__in=people, dedupe_key=dedupe_key
        ).values_list("recipient_id", flat=True)
        for pk in already:
            people.pop(pk, None)
    now = timezone.now()
    created = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                project=project,
                kind=kind,
                title=title[:300],
                body=body,
                url=url,
                dedupe_key=dedupe_key,
                email_due_at=now if user.wants_email(kind) else None,
            )
            for user in people.values()
        ],
        ignore_conflicts=bool(dedupe_key),
    )
    if dedupe_key:
        # ignore_conflicts returns rows without ids; fetch the ones that went in.
        created = list(
            Notification.objects.filter(
                recipient_id__in=people, dedupe_key=dedupe_key, emailed_at__isnull=True
            )
        )
    for notification in created:
        if notification.email_due_at is not None:
            send_notification_email.delay_on_commit(notification.pk)
    return created


def mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


# ── Notification e-mail ───────────────────────────────────────────────────────
#
# At least once, and once in the normal path: a worker claims the send with a conditional
# UPDATE (a lease, not the mark of a sent e-mail), sends, and only then sets emailed_at. A
# worker killed between claim and send leaves a claim that lapses; the sweep prompts the
# send again. A second copy goes out only when a send outlives its lease (a mail server
# slower than NOTIFICATION_EMAIL_LEASE_SECONDS) or the server took it and the worker died
# before writing emailed_at.


EMAIL_SWEEP_BATCH = 500


def notification_email_claim(*, notification_id: int, now: dt.datetime) -> Notification | None:
    """Take the send of a notification's e-mail; None when it is sent, claimed by a worker
    whose lease still runs, or out of attempts."""
    lapsed = now - setting_span("NOTIFICATION_EMAIL_LEASE_SECONDS")
    claimed = (
        Notification.objects.email_unsent()
        .filter(pk=notification_id)
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=lapsed))
        .update(email_claimed_at=now, email_attempts=F("email_attempts") + 1)
    )
    if not claimed:
        return None
    return Notification.objects.select_related("recipient").get(pk=notification_id)


def notification_email_send(*, notification_id: int, retry_in: float) -> bool:
    """Send one notification's e-mail; True when this call sent it.

    When the send fails, the claim is given back and the next try is expected `retry_in`
    seconds on (the task's retry), so the sweep does not run ahead of it; the error is
    raised for the task to retry.
    """
    now = timezone.now()
    notification = notification_email_claim(notification_id=notification_id, now=now)
    if notification is None:
        return False
    link = f"{settings.SITE_URL}{notification.url}" if notification.url else settings.SITE_URL
    lines = [notification.title, "", notification.body, "", f"Open in Synchrony: {link}", ""]
    lines.append(f"Choose which e-mails you get: {settings.SITE_URL}/accounts/settings/")
    ours = Notification.objects.filter(pk=notification_id, email_claimed_at=now)
    try:
        send_mail(
            subject=f"[Synchrony] {notification.title}"[:200],
            message="\n".join(lines),
            from_email=None,
            recipient_list=[notification.recipient.email],
        )
    except Exception:
        ours.update(email_claimed_at=None, email_due_at=now + dt.timedelta(seconds=retry_in))
        raise
    # Whoever holds the claim now, the e-mail went: no one sends it again.
    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())
    return True


def notification_email_sweep(now: dt.datetime | None = None) -> int:
    """Prompt again the e-mails owed whose message is overdue by the grace (lost with Redis,
    or a retry that never came back) or whose worker's claim lapsed (killed mid-send).

    Only for notifications younger than the max age: an e-mail hours late helps nobody,
    and the bell has it. Each is prompted once per grace (its due time moves to now).
    Returns how many.
    """
    from synchrony.activity.tasks import send_notification_email

    now = now or timezone.now()
    overdue = now - setting_span("NOTIFICATION_EMAIL_GRACE_SECONDS")
    lapsed = now - setting_span("NOTIFICATION_EMAIL_LEASE_SECONDS")
    stalled = (
        Notification.objects.email_unsent()
        .filter(created_at__gte=now - setting_span("NOTIFICATION_EMAIL_MAX_AGE_SECONDS"))
        .filter(email_due_at__lt=overdue)
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=lapsed))
    )
    with transaction.atomic():
        pks = list(
            stalled.select_for_update(skip_locked=True)
            .order_by("email_due_at")
            .values_list("pk", flat=True)[:EMAIL_SWEEP_BATCH]
        )
        Notification.objects.filter(pk__in=pks).update(email_due_at=now)
        for pk in pks:
            send_notification_email.delay_on_commit(pk)
    return len(pks)
