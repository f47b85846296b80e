"""The engine that fires coordinated launches: every channel together, once, on time.

The reliability contract (DESIGN.md): PostgreSQL is the truth; Celery and Redis only
prompt. Every step below claims its work with a conditional state transition or a
row lock, so a message delivered twice, a worker killed mid-launch or a flushed Redis
never causes a lost or doubled activation.

    scheduled ──dispatch: preflight at 24 h, 1 h, 5 min──► (held on the last failure)
    scheduled ──dispatch, go-live within the lead──► armed ──fire (short ETA)──► firing
    firing ──every activation settled──► launched | partly launched | failed

- Scheduling or releasing (services.launch_set_status): a check whose moment has passed
  runs at once (`check_on_scheduling`); a go-live that has passed, or a launch that the
  last check, due now, would hold (`would_hold`), is refused instead.
- `dispatch` (beat, every second): preflights that are due; arms launches due within
  LAUNCH_ARM_LEAD_SECONDS (a last check first: every check's occasion is recorded, so
  the one at the last offset and the one at arming are told apart) and enqueues `fire`
  with an ETA of seconds (never longer: Redis redelivers long-ETA messages after its
  visibility timeout); arms due retries the same way; marks manual steps overdue.
- `fire`: takes the launch armed → firing (only one taker wins), prepares every
  payload, marks the activations "sending" (committed before any byte leaves), waits
  for the moment and sends them all concurrently; then emits launch.fired, with each
  channel as it is at that moment.
- Every change to an activation raises its version (its ETag), as `transition` does a
  launch's: the engine's changes are conditional UPDATEs by state, never by version, and
  the only writes that check a version (content edits) are refused once it goes out.
- `deliver`: one retry of one activation, taken retrying → sending.
- `sweep` (beat, every 2 s): recovers work whose prompt was lost. An activation caught
  mid-send is resent only where the receiver deduplicates by idempotency key; on
  other channels its owner is asked to check by hand.
"""

from __future__ import annotations

import gc
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from synchrony.activity.live import publish_change
from synchrony.activity.models import NotificationKind
from synchrony.activity.services import StaleEdit, field_change, notify, record_event
from synchrony.launches.adapters import Result, Send, adapter_for
from synchrony.launches.models import (
    SETTLED_STATES,
    SUCCESS_STATES,
    Activation,
    ActivationState,
    AdapterKind,
    AttemptOutcome,
    Channel,
    CheckOccasion,
    DeliveryAttempt,
    GateStatus,
    Launch,
    LaunchPolicy,
    LaunchStatus,
    PreflightCheck,
)
from synchrony.lib.durations import setting_span
from synchrony.lib.text import sentences, short_span
from synchrony.webhooks.events import emit, launch_event, subscribers
from synchrony.webhooks.models import Event, EventType

if TYPE_CHECKING:
    from synchrony.accounts.models import User
    from synchrony.planning.models import Task

logger = logging.getLogger(__name__)

TICK_KEY = "launch-engine:last-tick"
BATCH = 200  # per tick and kind of work, so a tick stays short however much is due
# How long a firing task waits for its requests to be written before it records answers
# anyway (a write is one send on an open connection: milliseconds).
WRITE_WAIT_SECONDS = 5.0


# ── Preflight ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Problem:
    kind: str  # "gate", "content" or "channel"
    subject: str
    message: str
    channel_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def check_launch(launch: Launch) -> list[Problem]:
    """Is everything ready? Required gates, every activation's content, every channel."""
    problems = [
        Problem("gate", gate.title, f"Readiness gate “{gate.title}” is not ready.")
        for gate in launch.gates.filter(required=True, status=GateStatus.PENDING)
    ]
    activations = list(
        launch.activations.select_related("channel__owner").exclude(
            state__in=[ActivationState.DROPPED, ActivationState.CANCELLED]
        )
    )
    if not activations:
        problems.append(Problem("content", launch.name, "The launch has no channels."))
    for activation in activations:
        channel = activation.channel
        adapter = adapter_for(channel)
        for text in adapter.content_problems(activation):
            problems.append(
                Problem("content", channel.name, f"{channel} content {text}.", channel.pk)
            )
        channel_texts = adapter.channel_problems(channel)
        if not channel.is_active:
            channel_texts.insert(0, "is switched off")
        if channel.disabled_at:
            channel_texts.insert(0, f"is disabled: {channel.disabled_reason}")
        for text in channel_texts:
            message = f"Channel {channel} {text.rstrip('.')}."
            problems.append(Problem("channel", channel.name, message, channel.pk))
    return problems


def preflight_moments(go_live: datetime) -> list[datetime]:
    return sorted(go_live - timedelta(seconds=s) for s in settings.LAUNCH_PREFLIGHT_OFFSETS)


def moments_ahead(go_live: datetime, now: datetime) -> list[datetime]:
    return [m for m in preflight_moments(go_live) if m > now]


def next_check_at(go_live: datetime, now: datetime) -> datetime | None:
    """The next preflight moment still ahead; now, when the last one has passed."""
    ahead = moments_ahead(go_live, now)
    if ahead:
        return ahead[0]
    return now if settings.LAUNCH_PREFLIGHT_OFFSETS else None


def check_on_scheduling(
    launch: Launch, *, now: datetime, problems: list[Problem]
) -> PreflightCheck | None:
    """Scheduled or released after one of its checks' moments had passed: that check
    runs now rather than never, so the owners of what is not ready hear it at once, not
    at the next moment still ahead (scheduled 9 minutes before go-live, the 1-hour
    check's warning came only with the 5-minute one). Inside the last check's window it
    is that check, and final; the scheduling service refuses beforehand what it would
    hold (`would_hold`), so this never holds a launch it has just scheduled.

    None when no moment has passed, when the check for the latest passed moment ran
    already (a launch held by it and released), or when arming, seconds away, has the
    last word anyway.
    """
    passed = [m for m in preflight_moments(launch.go_live) if m <= now]
    if not passed or launch.go_live <= now + setting_span("LAUNCH_ARM_LEAD_SECONDS"):
        return None
    if launch.preflights.filter(go_live=launch.go_live, ran_at__gte=passed[-1]).exists():
        return None
    final = not moments_ahead(launch.go_live, now)
    return run_preflight(
        launch, now=now, final=final, problems=problems, occasion=CheckOccasion.SCHEDULING
    )


def _people_to_tell(launch: Launch, problems: Iterable[Problem]) -> list[User]:
    """The launch's managers, the owners of failing gates and channels."""
    from synchrony.projects.models import Role

    managers = launch.project.memberships.filter(role=Role.MANAGER).select_related("user")
    people = [m.user for m in managers]
    people.append(launch.project.owner)
    channel_ids = {p.channel_id for p in problems if p.channel_id}
    people += [c.owner for c in Channel.objects.filter(pk__in=channel_ids).select_related("owner")]
    titles = {p.subject for p in problems if p.kind == "gate"}
    for gate in launch.gates.filter(title__in=titles).select_related("owner", "team"):
        if gate.owner:
            people.append(gate.owner)
        elif gate.team:
            people += list(gate.team.members.all())
    return people


def control_room_url(launch: Launch) -> str:
    return reverse("launches:detail", args=[launch.pk])


def run_preflight(
    launch: Launch,
    *,
    now: datetime,
    final: bool,
    problems: list[Problem] | None = None,
    occasion: str = CheckOccasion.PLANNED,
) -> PreflightCheck:
    """Check, record, tell; on the final check, hold the launch (or drop channels)."""
    if problems is None:
        problems = check_launch(launch)
    check = PreflightCheck.objects.create(
        launch=launch,
        ran_at=now,
        go_live=launch.go_live,
        final=final,
        occasion=occasion,
        problems=[p.as_dict() for p in problems],
    )
    if problems:
        check.action = _hold_or_drop(launch, problems, now=now) if final else ""
        check.save(update_fields=["action"])
        left = launch.go_live - now
        notify(
            recipients=_people_to_tell(launch, problems),
            kind=NotificationKind.LAUNCH_PROBLEM,
            title=f"“{launch}” is not ready ({short_span(left.total_seconds())} to go-live): "
            + sentences([p.message for p in problems], limit=200),
            body="\n".join(p.message for p in problems)
            + (f"\n\n{check.action}" if check.action else ""),
            url=control_room_url(launch),
            project=launch.project,
            dedupe_key=f"preflight:{check.pk}",
        )
    publish_change(kind="launch", obj_id=launch.pk, project_id=launch.project_id, actor=None)
    return check


def would_hold(launch: Launch, problems: list[Problem]) -> bool:
    """Whether a final check finding `problems` holds the launch, rather than dropping
    the failing channels (the drop policy, when only channels fail and some are left)."""
    if not problems:
        return False
    if launch.policy != LaunchPolicy.DROP or any(not p.channel_id for p in problems):
        return True
    droppable = {p.channel_id for p in problems}
    remaining = launch.activations.exclude(
        Q(channel_id__in=droppable)
        | Q(state__in=[ActivationState.DROPPED, ActivationState.CANCELLED])
    )
    return not remaining.exists()


def _hold_or_drop(launch: Launch, problems: list[Problem], *, now: datetime) -> str:
    """What the final check does about problems; returns what it did, for the record."""
    if not would_hold(launch, problems):
        droppable = {p.channel_id for p in problems if p.channel_id}
        dropped = launch.activations.filter(channel_id__in=droppable)
        names = ", ".join(str(a.channel) for a in dropped.select_related("channel"))
        dropped.change(state=ActivationState.DROPPED, failed_at=now)
        record_event(
            actor=None,
            project=launch.project,
            verb="dropped channels from",
            target=launch,
            message=f"Dropped at the last preflight, by the launch's policy: {names}.",
        )
        return f"Dropped {names}; the other channels go live as planned."
    reason = sentences([p.message for p in problems], limit=500)
    transition(launch, LaunchStatus.HELD, message=reason, hold_reason=reason)
    return "Held: nothing goes out until a manager releases or reschedules the launch."


# ── State transitions ─────────────────────────────────────────────────────────


def transition(
    launch: Launch,
    status: LaunchStatus,
    *,
    actor: User | None = None,
    message: str = "",
    announce: bool = True,
    **fields: object,
) -> bool:
    """Move the launch on from the status it has in memory, if it still has it.

    The version goes up, so a form opened before the engine acted is refused as stale,
    and so does `updated_at`, so integrations polling `updated_since` see the change.
    Without `announce`, the caller emits the webhook event itself, once the event's
    body is true (`fire`: with the channels going out).
    """
    fields.setdefault("updated_at", timezone.now())
    taken = Launch.objects.filter(pk=launch.pk, status=launch.status).update(
        status=status, version=F("version") + 1, **fields
    )
    if not taken:
        return False
    before = launch.status
    launch.status = status
    launch.version += 1
    for name, value in fields.items():
        setattr(launch, name, value)
    record_event(
        actor=actor,
        project=launch.project,
        verb=f"status: {LaunchStatus(status).label.lower()}",
        target=launch,
        changes={"status": field_change(launch, "status", before, status)},
        message=message,
    )
    if announce:
        emit(launch_event(status), launch)
    publish_change(kind="launch", obj_id=launch.pk, project_id=launch.project_id, actor=actor)
    return True


# ── Dispatcher ────────────────────────────────────────────────────────────────


def dispatch(now: datetime | None = None) -> dict[str, int]:
    """One tick: preflights, arming, retries, overdue manual steps. Safe to overlap."""
    now = now or timezone.now()
    done = {
        "preflights": _run_due_preflights(now),
        "armed": _arm_due_launches(now),
        "retries": _arm_due_retries(now),
        "overdue": _mark_overdue_manual_steps(now),
    }
    cache.set(TICK_KEY, now.timestamp(), timeout=None)
    return done


def last_tick() -> datetime | None:
    value = cache.get(TICK_KEY)
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def _run_due_preflights(now: datetime) -> int:
    lead = setting_span("LAUNCH_ARM_LEAD_SECONDS")
    count = 0
    due_now = Launch.objects.filter(
        status=LaunchStatus.SCHEDULED, next_check_at__lte=now, go_live__gt=now + lead
    )
    if not due_now.exists():  # most ticks: no lock, no write transaction
        return 0
    with transaction.atomic():
        due = list(
            due_now.select_for_update(skip_locked=True, of=("self",))
            .select_related("project")
            .order_by("next_check_at")[:BATCH]
        )
        for launch in due:
            ahead = moments_ahead(launch.go_live, now)
            run_preflight(launch, now=now, final=not ahead)
            Launch.objects.filter(pk=launch.pk).update(next_check_at=ahead[0] if ahead else None)
            count += 1
    return count


def _arm_due_launches(now: datetime) -> int:
    from synchrony.launches.tasks import fire_launch

    lead = setting_span("LAUNCH_ARM_LEAD_SECONDS")
    prepare = setting_span("LAUNCH_FIRE_PREPARE_SECONDS")
    count = 0
    due_now = Launch.objects.filter(status=LaunchStatus.SCHEDULED, go_live__lte=now + lead)
    if not due_now.exists():
        return 0
    with transaction.atomic():
        due = list(
            due_now.select_for_update(skip_locked=True, of=("self",))
            .select_related("project")
            .order_by("go_live")[:BATCH]
        )
        for launch in due:
            if launch.go_live < now - setting_span("LAUNCH_MAX_LATE_SECONDS"):
                _hold_missed(launch, now)
                continue
            # The last word before go-live: even after a clean 5-minute check, a gate
            # could have been set back since.
            # Recorded clean or not: the control room shows the last word said.
            run_preflight(
                launch,
                now=now,
                final=True,
                problems=check_launch(launch),
                occasion=CheckOccasion.ARMING,
            )
            if launch.status != LaunchStatus.SCHEDULED:
                continue  # held
            if not transition(launch, LaunchStatus.ARMED, armed_at=now, next_check_at=None):
                continue
            launch.activations.filter(state=ActivationState.PENDING).update(due_at=launch.go_live)
            eta = max(launch.go_live - prepare, now)
            transaction.on_commit(partial(fire_launch.apply_async, (launch.pk,), eta=eta))
            count += 1
    return count


def _hold_missed(launch: Launch, now: datetime) -> None:
    late = short_span((now - launch.go_live).total_seconds())
    reason = (
        f"Missed its moment by {late} (was the engine down?). "
        "Move it to a new go-live and release it."
    )
    if transition(launch, LaunchStatus.HELD, message=reason, hold_reason=reason):
        notify(
            recipients=_people_to_tell(launch, []),
            kind=NotificationKind.LAUNCH_PROBLEM,
            title=f"“{launch}” was held: {reason}",
            url=control_room_url(launch),
            project=launch.project,
            dedupe_key=f"missed:{launch.pk}:{launch.go_live.isoformat()}",
        )


def _arm_due_retries(now: datetime) -> int:
    from synchrony.launches.tasks import deliver_activation

    lead = setting_span("LAUNCH_ARM_LEAD_SECONDS")
    due_now = Activation.objects.filter(
        state=ActivationState.RETRYING, next_attempt_at__lte=now + lead, retry_armed_at__isnull=True
    )
    if not due_now.exists():
        return 0
    with transaction.atomic():
        due = list(
            due_now.select_for_update(skip_locked=True).values_list("pk", "next_attempt_at")[:BATCH]
        )
        Activation.objects.filter(pk__in=[pk for pk, _ in due]).update(retry_armed_at=now)
        for pk, when in due:
            eta = max(when or now, now)
            transaction.on_commit(partial(deliver_activation.apply_async, (pk,), eta=eta))
    return len(due)


def _mark_overdue_manual_steps(now: datetime) -> int:
    late = now - setting_span("LAUNCH_MANUAL_GRACE_SECONDS")
    due_now = Activation.objects.filter(state=ActivationState.WAITING, due_at__lte=late)
    if not due_now.exists():
        return 0
    with transaction.atomic():
        overdue = list(
            due_now.select_for_update(skip_locked=True, of=("self",)).select_related(
                "launch__project", "channel__owner"
            )[:BATCH]
        )
        for activation in overdue:
            activation.version += 1
            activation.state = ActivationState.OVERDUE
            activation.failed_at = now
            activation.last_error = "Not ticked off by its owner in time."
            _tell_owner_of_failure(activation, now=now)
            activation.save()
    for launch_id in {a.launch_id for a in overdue}:
        settle(launch_id)
    return len(overdue)


# ── Firing ────────────────────────────────────────────────────────────────────


def _timed(
    send: Send, *, go: threading.Event | None = None, written: threading.Semaphore | None = None
) -> tuple[datetime, datetime, Result]:
    """Ready the send, wait for `go`, write, tell `written`, and wait for the answer."""
    started = None
    try:
        send.ready()
        if go is not None:
            go.wait()
        started = timezone.now()
        send.write()
        if written is not None:
            written.release()
            written = None
        result = send.answer()
    except Exception as error:  # an adapter bug must not leave the activation "sending"
        logger.exception("adapter failed")
        result = Result("failed", error=f"{type(error).__name__}: {error}"[:500])
    finally:
        if written is not None:
            written.release()
    return started or timezone.now(), timezone.now(), result


def _sleep_until(moment: datetime) -> None:
    wait = (moment - timezone.now()).total_seconds()
    if wait > 0:
        time.sleep(wait)


def fire(launch_id: int) -> bool:
    """Send every activation of an armed launch at its moment. Returns whether it fired."""
    now = timezone.now()
    launch = Launch.objects.select_related("project").filter(pk=launch_id).first()
    if launch is None or launch.status != LaunchStatus.ARMED:
        return False  # a duplicate or late message, or the launch was cancelled
    if now - launch.go_live > setting_span("LAUNCH_MAX_LATE_SECONDS"):
        # Re-prompted by the sweeper after a long outage: too late to be "together".
        _hold_missed(launch, now)
        return False
    # launch.fired is emitted at the moment, below: emitted here, its body showed every
    # channel still "pending", and it could reach a receiver before go-live.
    if not transition(launch, LaunchStatus.FIRING, fired_at=now, announce=False):
        return False
    activations = list(
        launch.activations.select_related("channel__owner").filter(state=ActivationState.PENDING)
    )
    for activation in activations:
        activation.launch = launch
    manual = [a for a in activations if not adapter_for(a.channel).automated]
    automated = [a for a in activations if adapter_for(a.channel).automated]
    sends = {a.pk: _prepare(a, launch.go_live) for a in automated}
    _mark_sending(automated, number=1, now=now)

    def start_manual_steps() -> None:
        # Once every request is written: the event tells what each channel is doing at
        # the moment, "sending" (automated) or "waiting" for its owner (manual). A task
        # that dies before this leaves it to the sweeper (_announce_unannounced).
        with transaction.atomic():
            for activation in manual:
                _start_manual_step(activation)
        emit(launch_event(LaunchStatus.FIRING), launch)

    _send_all(
        [(a, 1, sends[a.pk]) for a in automated], at=launch.go_live, meanwhile=start_manual_steps
    )
    settle(launch.pk)
    return True


def _prepare(activation: Activation, at: datetime) -> Send:
    try:
        return adapter_for(activation.channel).prepare(activation, at=at)
    except Exception as error:  # record it as this activation's failure, send the rest
        logger.exception("could not prepare activation %s", activation.pk)
        return Send.done(
            Result("failed", error=f"Could not prepare: {type(error).__name__}: {error}")
        )


def _mark_sending(activations: list[Activation], *, number: int, now: datetime) -> None:
    """Committed before any byte leaves: a crash after this leaves a trace to recover."""
    with transaction.atomic():
        Activation.objects.filter(pk__in=[a.pk for a in activations]).change(
            state=ActivationState.SENDING, attempts=number
        )
        DeliveryAttempt.objects.bulk_create(
            [DeliveryAttempt(activation=a, number=number, started_at=now) for a in activations]
        )


_collection_held = 0
_collection_lock = threading.Lock()


@contextmanager
def _no_collection() -> Iterator[None]:
    """No garbage collection (which stops every thread) while any launch in this process
    is between its last second and its last write; collected as usual afterwards."""
    global _collection_held
    with _collection_lock:
        _collection_held += 1
        gc.disable()
    try:
        yield
    finally:
        with _collection_lock:
            _collection_held -= 1
            if not _collection_held:
                gc.enable()


def _send_all(
    jobs: list[tuple[Activation, int, Send]],
    *,
    at: datetime,
    meanwhile: Callable[[], None] = lambda: None,
) -> None:
    """Send together at `at`, and record each answer as it comes (pages show it live).

    Every sender thread is started, connected and waiting before the moment, so at the
    moment one event releases them all and each only writes its bytes: the skew is not
    spent starting threads or opening connections one by one. This thread does nothing
    until every request is written, so recording the first answers (Python work, under
    the GIL) cannot hold back the last writes.
    """
    if not jobs:
        _sleep_until(at)
        _meanwhile(meanwhile)
        return
    go, written = threading.Event(), threading.Semaphore(0)
    with ThreadPoolExecutor(max_workers=min(64, len(jobs))) as pool:
        futures = {pool.submit(_timed, send, go=go, written=written): (a, n) for a, n, send in jobs}
        with _no_collection():
            _sleep_until(at)
            go.set()
            deadline = time.monotonic() + WRITE_WAIT_SECONDS
            for _ in jobs:
                if not written.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    break
        _meanwhile(meanwhile)  # e.g. manual steps, while the requests are in flight
        for future in as_completed(futures):
            activation, number = futures[future]
            started, finished, result = future.result()
            record_attempt(activation.pk, number, started, finished, result)


def _meanwhile(step: Callable[[], None]) -> None:
    """What happens while the requests are in flight must not keep their answers from
    being recorded: a failure is logged, and the sweeper redoes what it missed."""
    try:
        step()
    except Exception:
        logger.exception("a launch's step at its moment failed; the sweeper takes it over")


def backoff(number: int, retry_after: float | None) -> float:
    """Exponential with full jitter, bounded; a receiver's Retry-After is honoured."""
    base = settings.LAUNCH_RETRY_BASE_SECONDS * 2 ** (number - 1)
    delay = random.uniform(base / 2, base)  # noqa: S311 - jitter, not a secret
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, settings.LAUNCH_RETRY_MAX_SECONDS)


def record_attempt(
    activation_id: int, number: int, started: datetime, finished: datetime, result: Result
) -> None:
    with transaction.atomic():
        activation = (
            Activation.objects.select_for_update(of=("self",))
            .select_related("channel__owner", "launch__project")
            .get(pk=activation_id)
        )
        if activation.state != ActivationState.SENDING or activation.attempts != number:
            return  # the sweeper took it over meanwhile; its decision stands
        activation.version += 1
        outcome = {
            "delivered": AttemptOutcome.DELIVERED,
            "retry": AttemptOutcome.RETRY,
            "failed": AttemptOutcome.FAILED,
        }[result.outcome]
        channel = activation.channel
        if outcome == AttemptOutcome.RETRY and number >= channel.max_attempts:
            outcome = AttemptOutcome.FAILED
        DeliveryAttempt.objects.filter(activation=activation, number=number).update(
            started_at=started,
            finished_at=finished,
            status_code=result.status_code,
            outcome=outcome,
            error=result.error,
        )
        activation.sent_at = started
        if number == 1:
            activation.first_sent_at = started
        activation.answered_at = finished if result.status_code else None
        activation.status_code = result.status_code
        activation.last_error = result.error
        if outcome == AttemptOutcome.DELIVERED:
            activation.state = ActivationState.DELIVERED
        elif outcome == AttemptOutcome.RETRY:
            activation.state = ActivationState.RETRYING
            activation.next_attempt_at = finished + timedelta(
                seconds=backoff(number, result.retry_after)
            )
            activation.retry_armed_at = None
        else:
            activation.state = ActivationState.FAILED
            activation.failed_at = finished
            if result.gone:
                _disable_channel(channel, reason=result.error, now=finished)
            _tell_owner_of_failure(activation, now=timezone.now())
        activation.save()
        _announce(activation, None)


def _disable_channel(channel: Channel, *, reason: str, now: datetime) -> None:
    Channel.objects.filter(pk=channel.pk).update(
        disabled_at=now,
        disabled_reason=f"The endpoint answered 410 Gone ({reason})"[:300],
        version=F("version") + 1,
    )
    channel.disabled_at = now


def _tell_owner_of_failure(activation: Activation, *, now: datetime) -> None:
    """Someone owns every failure: the channel's owner, and the launch's managers."""
    launch, channel = activation.launch, activation.channel
    label = ActivationState(activation.state).label.lower()
    notify(
        recipients=[channel.owner, *_people_to_tell(launch, [])],
        kind=NotificationKind.LAUNCH_PROBLEM,
        title=f"“{launch}” on {channel}: {label}",
        body=activation.last_error,
        url=control_room_url(launch),
        project=launch.project,
        dedupe_key=f"activation:{activation.pk}:{activation.attempts}:{activation.state}",
    )
    activation.owner_notified_at = now
    record_event(
        actor=None,
        project=launch.project,
        verb=label,
        target=activation,
        message=activation.last_error,
    )


def deliver(activation_id: int) -> bool:
    """One more attempt at an activation waiting to retry; only one taker wins."""
    now = timezone.now()
    lead = setting_span("LAUNCH_ARM_LEAD_SECONDS")
    with transaction.atomic():
        taken = Activation.objects.filter(
            pk=activation_id, state=ActivationState.RETRYING, next_attempt_at__lte=now + lead
        ).change(
            state=ActivationState.SENDING,
            attempts=F("attempts") + 1,
            retry_armed_at=None,
        )
        if not taken:
            return False
        activation = Activation.objects.select_related("channel__owner", "launch__project").get(
            pk=activation_id
        )
        DeliveryAttempt.objects.create(
            activation=activation, number=activation.attempts, started_at=now
        )
    if activation.channel.disabled_at:
        result = Result("failed", error="The channel is disabled.")
        record_attempt(activation.pk, activation.attempts, now, now, result)
    else:
        send = _prepare(activation, max(activation.next_attempt_at or now, timezone.now()))
        if activation.next_attempt_at:
            _sleep_until(activation.next_attempt_at)
        started, finished, result = _timed(send)
        record_attempt(activation.pk, activation.attempts, started, finished, result)
    settle(activation.launch_id)
    return True


def _start_manual_step(activation: Activation) -> None:
    """A person does this one: they get a task and a reminder, and tick it when done."""
    from synchrony.planning.models import Task
    from synchrony.projects.models import Stage

    launch, channel = activation.launch, activation.channel
    task = Task.objects.create(
        project=launch.project,
        title=f"Now: send “{launch}” on {channel}"[:200],
        description="\n\n".join(
            part for part in (activation.subject, activation.body, activation.link) if part
        )[:5000],
        stage=Stage.ACTIVATION,
        owner=channel.owner,
        created_by=launch.created_by or channel.owner,
        due_date=timezone.localdate(launch.go_live),
    )
    Activation.objects.filter(pk=activation.pk).change(
        state=ActivationState.WAITING,
        manual_task=task,
        due_at=launch.go_live,
    )
    notify(
        recipients=[channel.owner],
        kind=NotificationKind.LAUNCH_STEP,
        title=f"“{launch}” is live: send it on {channel} now, then tick it off",
        body=task.description,
        url=control_room_url(launch),
        project=launch.project,
        dedupe_key=f"manual:{activation.pk}",
    )


def manual_step_done(*, activation: Activation, actor: User) -> bool:
    """The owner says the manual step is done (also for an 'unknown' they checked)."""
    from synchrony.planning.models import Task, TaskStatus

    now = timezone.now()
    with transaction.atomic():
        taken = Activation.objects.filter(
            pk=activation.pk,
            state__in=[ActivationState.WAITING, ActivationState.OVERDUE, ActivationState.UNKNOWN],
        ).change(state=ActivationState.DONE, done_by=actor, sent_at=now)
        if not taken:
            return False
        if activation.manual_task_id:
            # The send happened: its task is done, even if someone made it depend on
            # others since (planning.services refuses that only when a person sets it).
            Task.objects.filter(pk=activation.manual_task_id).exclude(
                status=TaskStatus.DONE
            ).update(status=TaskStatus.DONE, completed_at=now, version=F("version") + 1)
        record_event(
            actor=actor, project=activation.launch.project, verb="ticked off", target=activation
        )
        _announce(activation, actor)
    settle(activation.launch_id, recount=True)
    return True


def manual_task_done(*, task: Task, actor: User) -> None:
    """Completing the task a manual step created ticks the step off too."""
    for activation in Activation.objects.filter(manual_task=task).select_related("launch__project"):
        manual_step_done(activation=activation, actor=actor)


def retry_now(*, activation: Activation, actor: User) -> None:
    """A manager asks for one more attempt at a failed or unknown activation."""
    launch = activation.launch
    if not adapter_for(activation.channel).automated:
        raise ValidationError("A manual step is ticked off by its owner, not retried.")
    if activation.state not in (ActivationState.FAILED, ActivationState.UNKNOWN):
        raise ValidationError("Only a failed or unknown activation can be retried.")
    if activation.channel.disabled_at:
        raise ValidationError(
            f"{activation.channel} is disabled ({activation.channel.disabled_reason}); "
            "re-enable it first."
        )
    with transaction.atomic():
        launch = (
            Launch.objects.select_for_update(of=("self",))
            .select_related("project")
            .get(pk=launch.pk)
        )
        if launch.status not in (
            LaunchStatus.FIRING,
            LaunchStatus.PARTLY_LAUNCHED,
            LaunchStatus.FAILED,
        ):
            raise ValidationError("This launch has not gone out, so there is nothing to retry.")
        # One attempt: past the channel's limit, record_attempt fails it if this one fails.
        taken = Activation.objects.filter(pk=activation.pk, state=activation.state).change(
            state=ActivationState.RETRYING,
            next_attempt_at=timezone.now(),
            retry_armed_at=None,
        )
        if not taken:
            raise ValidationError("Someone else changed this activation; reload and try again.")
        if launch.status != LaunchStatus.FIRING:
            transition(launch, LaunchStatus.FIRING, actor=actor, message="Retry requested.")
        record_event(actor=actor, project=launch.project, verb="retried", target=activation)
        _announce(activation, actor)


def _announce(activation: Activation, actor: User | None) -> None:
    """Every open control room re-fetches: an activation's state is on the page."""
    publish_change(
        kind="launch",
        obj_id=activation.launch_id,
        project_id=activation.launch.project_id,
        actor=actor,
    )


HOLD_REASON_MAX = 400  # the rest of hold_reason's 500 names who held it


def hold(*, launch: Launch, actor: User, reason: str, version: int) -> Launch:
    """A manager stops a scheduled or armed launch: nothing goes out until it is released.

    Armed, it races the firing task: the row lock decides, and the task finds the launch
    held and sends nothing. `version` is checked (StaleEdit) unless the launch is armed:
    arming moves the version on, and a hold seconds before go-live must not be refused
    for it.
    """
    reason = " ".join(reason.split()).rstrip(".")
    if not reason:
        raise ValidationError({"reason": "Say why it is held: everyone waiting on it reads it."})
    if len(reason) > HOLD_REASON_MAX:
        raise ValidationError({"reason": f"Keep it under {HOLD_REASON_MAX} characters."})
    with transaction.atomic():
        launch = (
            Launch.objects.select_for_update(of=("self",))
            .select_related("project")
            .get(pk=launch.pk)
        )
        if launch.status != LaunchStatus.ARMED and launch.version != version:
            raise StaleEdit(launch, since_version=version)
        if not launch.is_holdable:
            if launch.status == LaunchStatus.FIRING:
                raise ValidationError("It is going out right now: cancel it to stop the rest.")
            raise ValidationError(
                f"Only a scheduled launch can be held; this one is "
                f"{launch.get_status_display().lower()}."
            )
        reason = f"{reason} (held by {actor})."[:500]
        launch.activations.filter(state=ActivationState.PENDING).update(due_at=None)
        transition(
            launch,
            LaunchStatus.HELD,
            actor=actor,
            message=reason,
            hold_reason=reason,
            next_check_at=None,
            armed_at=None,
        )
        owners = [
            c.owner
            for c in Channel.objects.filter(activations__launch=launch).select_related("owner")
        ]
        notify(
            recipients=[*_people_to_tell(launch, []), *owners],
            kind=NotificationKind.LAUNCH_PROBLEM,
            title=f"“{launch}” is on hold: {reason}",
            url=control_room_url(launch),
            project=launch.project,
            actor=actor,
        )
    return launch


def cancel(*, launch: Launch, actor: User) -> None:
    """Cancel before go-live, or stop what has not gone out yet while firing."""
    with transaction.atomic():
        launch = (
            Launch.objects.select_for_update(of=("self",))
            .select_related("project")
            .get(pk=launch.pk)
        )
        waiting = launch.activations.filter(
            state__in=[
                ActivationState.PENDING,
                ActivationState.RETRYING,
                ActivationState.WAITING,
            ]
        )
        settled_later = False
        if launch.status == LaunchStatus.FIRING:
            waiting.change(state=ActivationState.CANCELLED)
            record_event(
                actor=actor,
                project=launch.project,
                verb="stopped",
                target=launch,
                message="Cancelled while firing: what had not gone out stays unsent.",
            )
            settled_later = True
        elif launch.status not in (
            LaunchStatus.DRAFT,
            LaunchStatus.SCHEDULED,
            LaunchStatus.HELD,
            LaunchStatus.ARMED,
        ):
            raise ValidationError(
                f"A {launch.get_status_display().lower()} launch cannot be cancelled."
            )
        else:
            waiting.change(state=ActivationState.CANCELLED)
            transition(launch, LaunchStatus.CANCELLED, actor=actor, next_check_at=None)
    if settled_later:
        settle(launch.pk)


# ── Settling ──────────────────────────────────────────────────────────────────


def settle(launch_id: int, *, recount: bool = False) -> str | None:
    """When every activation's fate is known, the launch gets its true final state.

    One failed channel makes it "partly launched", never "launched". With `recount`, a
    launch already settled is settled again (a manual step ticked off late).
    """
    from_states = [LaunchStatus.FIRING]
    if recount:
        from_states += [LaunchStatus.PARTLY_LAUNCHED, LaunchStatus.FAILED]
    with transaction.atomic():
        launch = (
            Launch.objects.select_for_update(of=("self",))
            .select_related("project")
            .filter(pk=launch_id, status__in=from_states)
            .first()
        )
        if launch is None:
            return None
        rows = list(launch.activations.values_list("state", "first_sent_at", "channel__adapter"))
        if not rows or any(state not in SETTLED_STATES for state, _, _ in rows):
            return None
        succeeded = sum(state in SUCCESS_STATES for state, _, _ in rows)
        status = (
            LaunchStatus.LAUNCHED
            if succeeded == len(rows)
            else LaunchStatus.FAILED
            if succeeded == 0
            else LaunchStatus.PARTLY_LAUNCHED
        )
        sent = sorted(at for _, at, adapter in rows if at and adapter != AdapterKind.MANUAL)
        fields: dict[str, Any] = {"finished_at": launch.finished_at or timezone.now()}
        if sent:
            fields["lateness_ms"] = round((sent[0] - launch.go_live).total_seconds() * 1000)
            fields["skew_ms"] = round((sent[-1] - sent[0]).total_seconds() * 1000)
        if status == launch.status:
            return status
        transition(launch, status, **fields)
        if status != LaunchStatus.LAUNCHED:
            notify(
                recipients=_people_to_tell(launch, []),
                kind=NotificationKind.LAUNCH_PROBLEM,
                title=f"“{launch}” {status.label.lower()}: "
                f"{succeeded} of {len(rows)} channels went out",
                url=control_room_url(launch),
                project=launch.project,
                dedupe_key=f"settled:{launch.pk}:{launch.version}",
            )
    return status


# ── Sweeper ───────────────────────────────────────────────────────────────────


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Recover work whose prompt was lost: a killed worker, a restarted or flushed Redis."""
    from synchrony.launches.tasks import fire_launch

    now = now or timezone.now()
    grace = setting_span("LAUNCH_SENDING_GRACE_SECONDS")
    found = {"refired": 0, "unsent": 0, "lost": 0, "retries": 0, "announced": 0, "settled": 0}

    # Armed, and the moment passed, but no firing task took it (the task is due a second
    # before the moment and takes it at once): prompt it again. Two prompts are harmless,
    # the firing task takes the launch armed → firing only once.
    for pk in Launch.objects.filter(
        status=LaunchStatus.ARMED, go_live__lt=now - timedelta(seconds=1)
    ).values_list("pk", flat=True)[:BATCH]:
        fire_launch.delay(pk)
        found["refired"] += 1
    # Everything below concerns launches going out; most sweeps find none and stop here.
    if not Launch.objects.filter(status=LaunchStatus.FIRING).exists():
        return found

    with transaction.atomic():
        # Firing, but the task died before marking these: they never left, send them.
        unsent = Activation.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            state=ActivationState.PENDING,
            launch__status=LaunchStatus.FIRING,
            launch__fired_at__lt=now - grace,
        )
        automated = [k for k in AdapterKind.values if k != AdapterKind.MANUAL]
        found["unsent"] = unsent.filter(channel__adapter__in=automated).change(
            state=ActivationState.RETRYING,
            next_attempt_at=now,
            retry_armed_at=None,
        )
        for activation in unsent.filter(channel__adapter=AdapterKind.MANUAL).select_related(
            "launch__project", "channel__owner"
        ):
            _start_manual_step(activation)
            found["unsent"] += 1
        # A retry armed long ago that nobody took: arm it again.
        found["retries"] = Activation.objects.filter(
            state=ActivationState.RETRYING,
            retry_armed_at__lt=now - grace - setting_span("LAUNCH_ARM_LEAD_SECONDS"),
        ).update(retry_armed_at=None)

    found["lost"] = _recover_lost_sends(now, grace)
    found["announced"] = _announce_unannounced(now, grace)

    # Every activation settled but the launch still firing: the settling step was lost.
    for pk in Launch.objects.filter(
        status=LaunchStatus.FIRING, fired_at__lt=now - grace
    ).values_list("pk", flat=True)[:BATCH]:
        if settle(pk):
            found["settled"] += 1
    return found


def _announce_unannounced(now: datetime, grace: timedelta) -> int:
    """launch.fired for a launch whose firing task died between taking it and its moment.

    The task emits it once every request is written; one that died before that left
    integrators unaware the launch went out. Looked for within the quarter of an hour
    after the grace only: an endpoint added since hears nothing of older launches.
    """
    told = Event.objects.filter(
        type=EventType.LAUNCH_FIRED,
        object_type="launch",
        object_id=OuterRef("pk"),
        created_at__gte=OuterRef("fired_at"),
    )
    if not subscribers(EventType.LAUNCH_FIRED):
        return 0
    # Still firing: the sweep settles such a launch only after this, in the same pass.
    unannounced = (
        Launch.objects.filter(
            status=LaunchStatus.FIRING,
            fired_at__lt=now - grace,
            fired_at__gte=now - grace - timedelta(minutes=15),
        )
        .exclude(Exists(told))
        .select_related("project")
    )
    count = 0
    for launch in unannounced[:BATCH]:
        count += emit(EventType.LAUNCH_FIRED, launch) is not None
    return count


def _recover_lost_sends(now: datetime, grace: timedelta) -> int:
    """An activation "sending" for longer than its timeout plus the grace was cut off."""
    count = 0
    unsettled: set[int] = set()
    with transaction.atomic():
        current_attempt = DeliveryAttempt.objects.filter(
            activation=OuterRef("pk"), number=OuterRef("attempts"), finished_at__isnull=True
        )
        stuck = list(
            Activation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("channel__owner", "launch__project")
            .filter(state=ActivationState.SENDING)
            .annotate(started=Subquery(current_attempt.values("started_at")[:1]))
            .filter(started__lt=now - grace)[:BATCH]
        )
        for activation in stuck:
            timeout = timedelta(seconds=activation.channel.timeout_seconds)
            if now - activation.started < grace + timeout:
                continue
            activation.version += 1
            DeliveryAttempt.objects.filter(
                activation=activation, number=activation.attempts
            ).update(
                finished_at=now,
                outcome=AttemptOutcome.LOST,
                error="The worker stopped while sending; the receiver may or may not have it.",
            )
            if adapter_for(activation.channel).deduplicates:
                # Safe to send again: the receiver drops a second copy by its webhook-id.
                activation.state = ActivationState.RETRYING
                activation.next_attempt_at = now
                activation.retry_armed_at = None
                activation.last_error = "Resent after a lost attempt (the receiver deduplicates)."
            else:
                activation.state = ActivationState.UNKNOWN
                activation.failed_at = now
                activation.last_error = (
                    "Cut off mid-send and this channel cannot deduplicate: check whether it "
                    "went out, then tick it off or retry."
                )
                _tell_owner_of_failure(activation, now=now)
                unsettled.add(activation.launch_id)
            activation.save()
            _announce(activation, None)
            count += 1
    for launch_id in unsettled:
        settle(launch_id)
    return count
