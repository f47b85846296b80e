"""How an activation goes out on its channel.

An adapter checks a channel's configuration (for preflight), and turns an activation
into a `send` callable before go-live: everything is rendered and validated up front,
so at the moment the callable only does I/O. Callables run in threads and must not
touch the database. Adding an adapter is a class here and an entry in ADAPTERS; the
engine does not change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import json
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPException
from typing import TYPE_CHECKING, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from standardwebhooks import Webhook

from synchrony.launches.models import AdapterKind
from synchrony.lib.outbound import UnsafeURL, check_url
from synchrony.lib.wire import Wire

if TYPE_CHECKING:
    from synchrony.launches.models import Activation, Channel


@dataclass(frozen=True)
class Result:
    outcome: Literal["delivered", "retry", "failed"]
    status_code: int | None = None
    error: str = ""
    retry_after: float | None = None  # seconds the receiver asked us to wait
    gone: bool = False  # the endpoint is gone for good (410): disable the channel


def _nothing() -> None:
    pass


@dataclass
class Send:
    """An activation ready to go, in three steps that never raise.

    `ready` does the slow part ahead of the moment (a connection, TLS included), `write`
    puts it on the wire at the moment (one quick call), and `answer` waits for the reply
    and says how it went. The engine runs `ready` in each sender thread before the moment,
    and holds back its own work until every `write` is done.
    """

    answer: Callable[[], Result]
    write: Callable[[], None] = _nothing
    ready: Callable[[], None] = _nothing

    @classmethod
    def done(cls, result: Result) -> Send:
        """Nothing to send: the outcome is already known (a refused URL, a bad secret)."""
        return cls(answer=lambda: result)

    def __call__(self) -> Result:
        self.ready()
        self.write()
        return self.answer()


def payload(activation: Activation) -> dict[str, object]:
    """The JSON an automated channel receives; the same bytes on every attempt."""
    launch, channel = activation.launch, activation.channel
    return {
        "type": "launch.activation",
        "timestamp": launch.go_live.isoformat(),
        "data": {
            "launch": {
                "id": launch.pk,
                "name": launch.name,
                "go_live": launch.go_live.isoformat(),
                "time_zone": launch.time_zone,
                "project": {"id": launch.project_id, "name": str(launch.project)},
            },
            "channel": {"id": channel.pk, "name": channel.name, "kind": channel.kind},
            "activation": {
                "id": activation.pk,
                "idempotency_key": activation.idempotency_key,
                "subject": activation.subject,
                "body": activation.body,
                "link": activation.link,
                "audience": activation.audience,
            },
        },
    }


def encoded_payload(activation: Activation) -> bytes:
    return json.dumps(payload(activation), separators=(",", ":"), ensure_ascii=False).encode()


def _retry_after(value: str | None) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def classify_answer(code: int, retry_after: str | None, text: str) -> Result:
    """2xx delivered; 410 gone; 408, 429 and 5xx worth another try; other 4xx final."""
    if 200 <= code < 300:
        return Result("delivered", code)
    excerpt = f"HTTP {code}: {text[:200]}".strip()
    if code == 410:
        return Result("failed", code, excerpt, gone=True)
    if code in (408, 429) or code >= 500:
        return Result("retry", code, excerpt, retry_after=_retry_after(retry_after))
    return Result("failed", code, excerpt)


def signed_headers(
    message_id: str, at: dt.datetime, body: bytes, secrets: list[str]
) -> dict[str, str]:
    """Standard Webhooks headers: the id (constant across retries), the moment, and one
    signature per secret (during a rotation both go out; receivers accept either)."""
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(
            Webhook(secret).sign(message_id, at, body.decode()) for secret in secrets
        ),
    }


def checked(url: str) -> Result | None:
    """Checked when preparing each send (at most a second or so before it leaves), and
    again by `Wire.connect`, which connects to the addresses that check approved."""
    try:
        check_url(url)
    except UnsafeURL as error:
        return Result("failed", error=str(error))
    return None


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Send:
    """The request is built now; the sender thread connects before the moment, and at the
    moment only writes the bytes."""
    refused = checked(url)
    if refused:
        return Send.done(refused)
    wire = Wire(url, body, headers, timeout)
    failed: list[Result] = []

    def ready() -> None:
        # On failure `write` connects again at the moment, and reports what went wrong.
        with contextlib.suppress(OSError, UnsafeURL):
            wire.connect()

    def write() -> None:
        try:
            wire.write()
        except UnsafeURL as error:
            failed.append(Result("failed", error=str(error)))
        except OSError as error:
            failed.append(unanswered(error, timeout))

    def answer() -> Result:
        if failed:
            return failed[0]
        try:
            reply = wire.answer()
        except (OSError, HTTPException) as error:
            return unanswered(error, timeout)
        return classify_answer(reply.status, reply.headers.get("retry-after"), reply.text)

    return Send(answer=answer, write=write, ready=ready)


def unanswered(error: Exception, timeout: float) -> Result:
    if isinstance(error, TimeoutError):
        return Result("retry", error=f"No answer within {timeout:g} s.")
    return Result("retry", error=f"{type(error).__name__}: {error}"[:500])


class Adapter:
    automated = True
    # True when the receiver drops a second delivery with the same idempotency key, so
    # an activation caught mid-send by a crash can safely be sent again.
    deduplicates = False

    def channel_problems(self, channel: Channel) -> list[str]:
        return []

    def content_problems(self, activation: Activation) -> list[str]:
        return [] if activation.body.strip() else ["has no body"]

    def prepare(self, activation: Activation, *, at: dt.datetime) -> Send:
        """Everything but the I/O, for a send at `at` (go-live, or a retry's moment)."""
        raise NotImplementedError


def _url_problems(channel: Channel) -> list[str]:
    if not channel.endpoint_url:
        return ["has no endpoint URL"]
    try:
        check_url(channel.endpoint_url)
    except UnsafeURL as error:
        return [f"cannot send to its endpoint URL: {error}"]
    return []


class WebhookAdapter(Adapter):
    """Standard Webhooks: webhook-id (constant across retries), -timestamp, -signature."""

    deduplicates = True

    def channel_problems(self, channel: Channel) -> list[str]:
        problems = _url_problems(channel)
        if not channel.signing_secret.startswith("whsec_"):
            problems.append("has no valid signing secret")
        return problems

    def prepare(self, activation: Activation, *, at: dt.datetime) -> Send:
        channel = activation.channel
        body = encoded_payload(activation)
        key = activation.idempotency_key
        url, timeout = channel.endpoint_url, float(channel.timeout_seconds)
        # Signed for the moment it goes out (receivers allow minutes of tolerance), so at
        # the moment there is nothing left to compute: sends leave closer together.
        at = at.replace(microsecond=0)
        headers = signed_headers(key, at, body, channel.signing_secrets(at))
        return post(url, body, headers, timeout)


class SlackAdapter(Adapter):
    def channel_problems(self, channel: Channel) -> list[str]:
        return _url_problems(channel)

    def prepare(self, activation: Activation, *, at: dt.datetime) -> Send:
        lines = [f"*{activation.subject}*" if activation.subject else "", activation.body]
        if activation.link:
            lines.append(activation.link)
        body = json.dumps({"text": "\n".join(line for line in lines if line)}).encode()
        url, timeout = activation.channel.endpoint_url, float(activation.channel.timeout_seconds)
        headers = {"content-type": "application/json"}
        return post(url, body, headers, timeout)


def recipients(channel: Channel) -> list[str]:
    return [r.strip() for r in channel.recipients.split(",") if r.strip()]


class EmailAdapter(Adapter):
    """Through Django's e-mail backend: SMTP in production, console or file in development."""

    def channel_problems(self, channel: Channel) -> list[str]:
        addresses = recipients(channel)
        if not addresses:
            return ["has no recipients"]
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                return [f"has an invalid recipient: {address}"]
        return []

    def content_problems(self, activation: Activation) -> list[str]:
        problems = super().content_problems(activation)
        return problems + ([] if activation.subject.strip() else ["has no subject"])

    def prepare(self, activation: Activation, *, at: dt.datetime) -> Send:
        text = activation.body + (f"\n\n{activation.link}" if activation.link else "")
        message = EmailMessage(
            subject=activation.subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=recipients(activation.channel),
            headers={"Message-ID": f"<{activation.idempotency_key}@synchrony>"},
        )

        def send() -> Result:
            try:
                message.send()
            except Exception as error:  # whatever the backend raises is worth another try
                return Result("retry", error=f"{type(error).__name__}: {error}"[:500])
            return Result("delivered")

        return Send(answer=send)


class ManualAdapter(Adapter):
    """A person does the step (a sales e-mail from their own inbox): they get a task."""

    automated = False

    def channel_problems(self, channel: Channel) -> list[str]:
        return [] if channel.owner.is_active else ["its owner's account is inactive"]

    def content_problems(self, activation: Activation) -> list[str]:
        return []


ADAPTERS: dict[str, Adapter] = {
    AdapterKind.WEBHOOK: WebhookAdapter(),
    AdapterKind.SLACK: SlackAdapter(),
    AdapterKind.EMAIL: EmailAdapter(),
    AdapterKind.MANUAL: ManualAdapter(),
}


def adapter_for(channel: Channel) -> Adapter:
    return ADAPTERS[channel.adapter]
