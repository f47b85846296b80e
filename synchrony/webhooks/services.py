"""Writes for webhook endpoints, and the delivery of their events.

Delivery follows the launch engine's contract (DESIGN.md): the database decides, Celery
only prompts. A delivery is claimed with a conditional UPDATE (a message delivered twice
finds it taken), marked "sending" and committed before any byte leaves, and the sweeper
(beat) recovers what a lost message or a killed worker left behind. Order is kept per
object and endpoint: a delivery is not claimed while an earlier one for the same object
and endpoint is unsettled, and settling one prompts the next.

    pending ──claim──► sending ──2xx──► delivered
                          │ 408/429/5xx/timeout ──► retrying ──(backoff)──► sending …
                          │ other answers, or out of attempts ──► failed
    pending | retrying ──endpoint disabled──► cancelled
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from functools import partial
from http.client import HTTPException
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from synchrony.activity.models import NotificationKind
from synchrony.activity.services import (
    notify,
    record_created,
    record_deleted,
    record_event,
    update_versioned,
)
from synchrony.launches.adapters import Result, classify_answer, signed_headers, unanswered
from synchrony.launches.engine import backoff
from synchrony.lib.durations import setting_span
from synchrony.lib.outbound import UnsafeURL
from synchrony.lib.wire import Wire
from synchrony.webhooks import events
from synchrony.webhooks.models import (
    UNSETTLED_STATES,
    Attempt,
    AttemptOutcome,
    Delivery,
    DeliveryState,
    Endpoint,
    EventType,
)

if TYPE_CHECKING:
    from synchrony.accounts.models import User

logger = logging.getLogger(__name__)

BATCH = 200  # per sweep and kind of work
ENDPOINT_SETTINGS = ("url", "description", "event_types", "enabled", "owner")


# ── Endpoints ─────────────────────────────────────────────────────────────────


def endpoint_create(
    *,
    actor: User,
    url: str,
    event_types: list[str],
    owner: User,
    description: str = "",
    enabled: bool = True,
) -> tuple[Endpoint, str]:
    """A new endpoint; its signing secret is returned to be shown once."""
    endpoint = Endpoint(
        url=url.strip(),
        description=description.strip(),
        event_types=sorted(set(event_types)),
        enabled=enabled,
        owner=owner,
        created_by=actor,
    )
    endpoint.full_clean()
    with transaction.atomic():
        endpoint.save()
        record_created(actor=actor, project=None, target=endpoint)
    return endpoint, endpoint.signing_secret


def endpoint_update(
    *, actor: User, endpoint: Endpoint, version: int, changes: dict[str, Any]
) -> Endpoint:
    """Edit an endpoint; switching it off stops what is waiting to go to it."""
    unknown = set(changes) - set(ENDPOINT_SETTINGS)
    if unknown:
        raise ValueError(f"not endpoint settings: {sorted(unknown)}")
    changes = dict(changes)
    if "url" in changes:
        changes["url"] = changes["url"].strip()
    if "event_types" in changes:
        changes["event_types"] = sorted(set(changes["event_types"]))
    with transaction.atomic():
        updated, diff = update_versioned(
            actor=actor, project=None, instance=endpoint, version=version, changes=changes
        )
        if "enabled" in diff:
            now = timezone.now()
            if updated.enabled:
                _mark_enabled(updated)
            else:
                _mark_disabled(updated, reason=f"Switched off by {actor}.", now=now)
    return updated


def _mark_enabled(endpoint: Endpoint) -> None:
    Endpoint.objects.filter(pk=endpoint.pk).update(
        enabled=True, disabled_at=None, disabled_reason="", consecutive_failures=0
    )
    endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = True, None, ""
    endpoint.consecutive_failures = 0


def _mark_disabled(endpoint: Endpoint, *, reason: str, now: dt.datetime) -> int:
    """Off, with the reason shown on its page; what waits for it is not sent."""
    Endpoint.objects.filter(pk=endpoint.pk).update(
        enabled=False, disabled_at=now, disabled_reason=reason[:300]
    )
    endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason[:300]
    # A delivery being sent right now settles on its own; a test is sent even so.
    return (
        Delivery.objects.filter(
            endpoint=endpoint, state__in=[DeliveryState.PENDING, DeliveryState.RETRYING]
        )
        .exclude(event__type=EventType.TEST)
        .update(
            state=DeliveryState.CANCELLED,
            finished_at=now,
            enqueued_at=None,
            last_error="Not sent: the endpoint was disabled. Replay it once it is enabled.",
        )
    )


def endpoint_enable(*, actor: User, endpoint: Endpoint) -> Endpoint:
    """Send to an endpoint again after it was disabled (by hand or after failures)."""
    with transaction.atomic():
        current = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        if current.enabled:
            raise ValidationError("This endpoint is not disabled.")
        reason = current.disabled_reason
        _mark_enabled(current)
        # A form opened while it was disabled must not switch it off again unseen.
        Endpoint.objects.filter(pk=current.pk).update(version=F("version") + 1)
        current.version += 1
        record_event(
            actor=actor,
            project=None,
            verb="re-enabled",
            target=current,
            message=f"It had been disabled: {reason}" if reason else "",
        )
    return current


def endpoint_rotate_secret(
    *, actor: User, endpoint: Endpoint, end_previous: bool
) -> tuple[Endpoint, str]:
    """A new signing secret, shown once; the previous one stays valid for a day.

    Meanwhile every delivery carries both signatures (as launch channels do), so the
    receiver can switch over without dropping one. Only one previous secret is kept: a
    second rotation within the day is refused unless `end_previous` (the secret two
    rotations back stops working at once).
    """
    now = timezone.now()
    with transaction.atomic():
        current = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        ended = current.rotate_secret(now, end_previous=end_previous)
        record_event(
            actor=actor,
            project=None,
            verb="rotated the signing secret of",
            target=current,
            message=current.rotation_note(ended),
        )
    return current, current.signing_secret


def endpoint_delete(*, actor: User, endpoint: Endpoint) -> None:
    with transaction.atomic():
        record_deleted(actor=actor, project=None, target=endpoint)
        endpoint.delete()


def endpoint_send_test(*, actor: User, endpoint: Endpoint) -> Delivery:
    """A test event to this endpoint alone; sent even while the endpoint is disabled,
    so it can be checked before it is enabled again. Its fate counts for nothing."""
    object_type, object_id, data = events.test_body(endpoint, sent_by=actor)
    with transaction.atomic():
        event = events.record(
            EventType.TEST,
            object_type,
            object_id,
            data,
            endpoint_ids=[endpoint.pk],
            requested_by=actor,
        )
        # In the endpoint's history, as a replay is: a signed request went to its URL.
        record_event(
            actor=actor,
            project=None,
            verb="sent a test event to",
            target=endpoint,
            message=f"{event.type} ({event.pk})",
        )
        return event.deliveries.get()


def delivery_replay(*, actor: User, delivery: Delivery) -> Delivery:
    """Send a settled delivery again: the same event, so the same webhook-id and body."""
    if not delivery.settled:
        raise ValidationError("This delivery is still on its way; it cannot be replayed yet.")
    endpoint = delivery.endpoint
    if not endpoint.enabled and not delivery.is_test:
        raise ValidationError("The endpoint is disabled: enable it before replaying.")
    now = timezone.now()
    with transaction.atomic():
        replay = Delivery.objects.create(
            event=delivery.event,
            endpoint=endpoint,
            object_key=delivery.object_key,
            replay_of=delivery,
            requested_by=actor,
            enqueued_at=now,
        )
        record_event(
            actor=actor,
            project=None,
            verb="replayed an event to",
            target=endpoint,
            message=f"{delivery.event.type} ({delivery.event.pk})",
        )
        transaction.on_commit(lambda: events.enqueue([replay.pk]), robust=True)
    return replay


# ── Delivering ────────────────────────────────────────────────────────────────


def _earlier_in_line() -> Exists:
    """An unsettled delivery of the same object to the same endpoint, made before."""
    return Exists(
        Delivery.objects.filter(
            endpoint_id=OuterRef("endpoint_id"),
            object_key=OuterRef("object_key"),
            pk__lt=OuterRef("pk"),
            state__in=UNSETTLED_STATES,
        )
    )


def _claimable(before: dt.datetime) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(state__in=[DeliveryState.PENDING, DeliveryState.RETRYING])
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=before))
        .exclude(_earlier_in_line())
    )


def deliver(delivery_id: int) -> bool:
    """One attempt at a delivery whose turn it is; only one taker wins. Returns whether
    this call sent it."""
    now = timezone.now()
    with transaction.atomic():
        taken = (
            _claimable(now + setting_span("LAUNCH_ARM_LEAD_SECONDS"))
            .filter(pk=delivery_id)
            .update(state=DeliveryState.SENDING, attempts=F("attempts") + 1, enqueued_at=None)
        )
        if not taken:
            return False
        delivery = Delivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
        if not delivery.endpoint.enabled and not delivery.is_test:
            # Disabled between the check and the claim: nothing goes out.
            Delivery.objects.filter(pk=delivery_id).update(
                state=DeliveryState.CANCELLED,
                attempts=F("attempts") - 1,
                finished_at=now,
                last_error="Not sent: the endpoint was disabled. Replay it once it is enabled.",
            )
            transaction.on_commit(prompt_next(delivery), robust=True)
            return False
        # Committed before any byte leaves: a crash after this leaves a trace to recover.
        Attempt.objects.create(delivery=delivery, number=delivery.attempts, started_at=now)
    if delivery.next_attempt_at:
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        if wait > 0:
            time.sleep(wait)
    started = timezone.now()
    try:
        result, excerpt = send(delivery, at=started)
    except Exception as error:  # a bug here must not leave the delivery "sending"
        logger.exception("could not send webhook delivery %s", delivery.pk)
        result, excerpt = Result("failed", error=f"{type(error).__name__}: {error}"[:500]), ""
    record_attempt(delivery.pk, delivery.attempts, started, timezone.now(), result, excerpt)
    return True


def send(delivery: Delivery, *, at: dt.datetime) -> tuple[Result, str]:
    """Sign and POST the event's body; (what came of it, the start of the answer).

    Through the launch sends' Wire: the URL is checked again now (what its host resolves
    to may have changed since the endpoint was saved, and a private address is refused),
    the connection goes to exactly the address checked, redirects are not followed, and
    the answer is read bounded. Unlike a launch send, the answer's first characters are
    kept for the delivery log.
    """
    endpoint, event = delivery.endpoint, delivery.event
    body = event.payload.encode()
    headers = signed_headers(event.pk, at, body, endpoint.signing_secrets(at))
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    wire = Wire(endpoint.url, body, headers, timeout)
    try:
        wire.connect()
        wire.write()
        reply = wire.answer()
    except UnsafeURL as error:
        return Result("failed", error=str(error)), ""
    except (OSError, HTTPException) as error:
        return unanswered(error, timeout), ""
    finally:
        wire.close()
    answer = classify_answer(reply.status, reply.headers.get("retry-after"), reply.text)
    return answer, reply.text[:500]


def record_attempt(
    delivery_id: int,
    number: int,
    started: dt.datetime,
    finished: dt.datetime,
    result: Result,
    excerpt: str = "",
    *,
    lost: bool = False,
) -> None:
    """What came of attempt `number`: delivered, retried later, or failed for good."""
    endpoint_id = (
        Delivery.objects.filter(pk=delivery_id).values_list("endpoint_id", flat=True).first()
    )
    if endpoint_id is None:
        return  # the endpoint was deleted meanwhile, and its deliveries with it
    with transaction.atomic():
        # The endpoint first, then the delivery: the same order as disabling takes.
        endpoint = Endpoint.objects.select_for_update().filter(pk=endpoint_id).first()
        if endpoint is None:
            return
        delivery = Delivery.objects.select_for_update().select_related("event").get(pk=delivery_id)
        if delivery.state != DeliveryState.SENDING or delivery.attempts != number:
            return  # the sweeper took it over meanwhile; its decision stands
        outcome = {
            "delivered": AttemptOutcome.DELIVERED,
            "retry": AttemptOutcome.RETRY,
            "failed": AttemptOutcome.FAILED,
        }[result.outcome]
        out_of_attempts = number >= settings.WEBHOOK_MAX_ATTEMPTS
        if outcome == AttemptOutcome.RETRY and out_of_attempts:
            outcome = AttemptOutcome.FAILED
        answer: dict[str, Any] = {"started_at": started} if not lost else {}
        Attempt.objects.filter(delivery=delivery, number=number).update(
            **answer,
            finished_at=finished,
            status_code=result.status_code,
            outcome=AttemptOutcome.LOST if lost else outcome,
            response_excerpt=excerpt[:500],
            error=result.error[:500],
        )
        delivery.status_code = result.status_code
        delivery.last_error = result.error[:500]
        if outcome == AttemptOutcome.DELIVERED:
            delivery.state = DeliveryState.DELIVERED
            delivery.finished_at = finished
            if not delivery.is_test and endpoint.consecutive_failures:
                Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        elif outcome == AttemptOutcome.RETRY:
            delay = 0.0 if lost else backoff(number, result.retry_after)
            delivery.state = DeliveryState.RETRYING
            delivery.next_attempt_at = finished + dt.timedelta(seconds=delay)
            delivery.enqueued_at = None
            if delay <= settings.LAUNCH_ARM_LEAD_SECONDS:
                # Due soon: prompt it now for its moment; later ones the sweeper arms.
                delivery.enqueued_at = timezone.now()
                when = delivery.next_attempt_at
                transaction.on_commit(lambda: events.enqueue([delivery_id], eta=when), robust=True)
        else:
            delivery.state = DeliveryState.FAILED
            delivery.finished_at = finished
            if not delivery.is_test:
                _count_failure(endpoint, result, now=finished)
        delivery.save()
        if delivery.settled:
            transaction.on_commit(prompt_next(delivery), robust=True)


def _count_failure(endpoint: Endpoint, result: Result, *, now: dt.datetime) -> None:
    """One more failure in a row; enough of them (or a 410 Gone) disables the endpoint."""
    Endpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    endpoint.refresh_from_db(fields=["consecutive_failures", "enabled"])
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    if not endpoint.enabled:
        return
    if result.gone:
        reason = f"The endpoint answered 410 Gone ({result.error})"
    elif endpoint.consecutive_failures >= limit:
        reason = (
            f"{endpoint.consecutive_failures} deliveries in a row failed; the last: "
            f"{result.error or 'no answer'}"
        )
    else:
        return
    _mark_disabled(endpoint, reason=reason, now=now)
    Endpoint.objects.filter(pk=endpoint.pk).update(version=F("version") + 1)
    endpoint.version += 1
    record_event(actor=None, project=None, verb="disabled", target=endpoint, message=reason)
    notify(
        recipients=[endpoint.owner],
        kind=NotificationKind.WEBHOOK_DISABLED,
        title=f"Webhook endpoint {endpoint} was disabled: nothing is sent to it any more",
        body=f"{reason[:300]}\n\nCheck the receiver, send a test event from the delivery "
        "log, then enable the endpoint again and replay what it missed.",
        url=reverse("webhooks:deliveries", args=[endpoint.pk]),
        dedupe_key=f"webhook-disabled:{endpoint.pk}:{now.isoformat()}",
    )


def prompt_next(delivery: Delivery) -> Callable[[], None]:
    """After a delivery settles: prompt the next one waiting for its object and endpoint."""
    endpoint_id, object_key = delivery.endpoint_id, delivery.object_key

    def prompt() -> None:
        now = timezone.now()
        with transaction.atomic():
            head = (
                Delivery.objects.select_for_update(skip_locked=True)
                .filter(
                    endpoint_id=endpoint_id,
                    object_key=object_key,
                    state__in=UNSETTLED_STATES,
                )
                .order_by("pk")
                .first()
            )
            if head is None or head.state != DeliveryState.PENDING:
                return
            Delivery.objects.filter(pk=head.pk).update(enqueued_at=now)
            transaction.on_commit(lambda: events.enqueue([head.pk]), robust=True)

    return prompt


# ── Sweeper ───────────────────────────────────────────────────────────────────


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Recover what a lost message or a killed worker left behind; arm due retries."""
    now = now or timezone.now()
    grace = setting_span("LAUNCH_SENDING_GRACE_SECONDS")
    lead = setting_span("LAUNCH_ARM_LEAD_SECONDS")
    return {
        "lost": _recover_lost_sends(now, grace),
        "retries": _arm_due_retries(now, lead, grace),
        "unsent": _prompt_forgotten(now, grace),
    }


def _recover_lost_sends(now: dt.datetime, grace: dt.timedelta) -> int:
    """A delivery "sending" longer than its timeout plus the grace was cut off.

    It is sent again: receivers drop a second copy by its webhook-id (Standard Webhooks).
    """
    timeout = setting_span("WEBHOOK_TIMEOUT_SECONDS")
    current = Attempt.objects.filter(
        delivery=OuterRef("pk"), number=OuterRef("attempts"), finished_at__isnull=True
    )
    stuck = list(
        Delivery.objects.filter(state=DeliveryState.SENDING)
        .filter(Exists(current.filter(started_at__lt=now - grace - timeout)))
        .values_list("pk", "attempts")[:BATCH]
    )
    lost = Result(
        "retry", error="The worker stopped while sending; the receiver may or may not have it."
    )
    for pk, number in stuck:
        record_attempt(pk, number, now, now, lost, lost=True)
    return len(stuck)


def _arm_due_retries(now: dt.datetime, lead: dt.timedelta, grace: dt.timedelta) -> int:
    """Retries due within the lead get their message now, with an ETA (never a long one:
    Redis redelivers long-ETA messages); so do retries whose message was lost."""
    due_now = Delivery.objects.filter(
        state=DeliveryState.RETRYING, next_attempt_at__lte=now + lead
    ).filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - lead - grace))
    if not due_now.exists():
        return 0
    with transaction.atomic():
        due = list(
            due_now.select_for_update(skip_locked=True).values_list("pk", "next_attempt_at")[:BATCH]
        )
        Delivery.objects.filter(pk__in=[pk for pk, _ in due]).update(enqueued_at=now)
        for pk, when in due:
            transaction.on_commit(
                partial(events.enqueue, [pk], eta=max(when or now, now)), robust=True
            )
    return len(due)


def _prompt_forgotten(now: dt.datetime, grace: dt.timedelta) -> int:
    """Pending deliveries whose turn it is, but whose message never came (or was lost)."""
    forgotten = (
        Delivery.objects.filter(state=DeliveryState.PENDING)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - grace))
        .exclude(_earlier_in_line())
    )
    with transaction.atomic():
        pks = list(
            forgotten.select_for_update(skip_locked=True).values_list("pk", flat=True)[:BATCH]
        )
        if pks:
            Delivery.objects.filter(pk__in=pks).update(enqueued_at=now)
            transaction.on_commit(partial(events.enqueue, pks), robust=True)
    return len(pks)
