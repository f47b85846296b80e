"""How an activation goes out on its channel.

An adapter checks a channel's configuration (for preflight), and turns an activation
into a `send` callable before go-live: everything is rendered and validated up front,
so at the moment the callable only does I/O. Callables run in threads and must not
touch the database. Adding an adapter is a class here and an entry in ADAPTERS; the
engine does not change.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from standardwebhooks import Webhook

from synchrony.launches.models import AdapterKind
from synchrony.lib.outbound import UnsafeURL, check_url

if TYPE_CHECKING:
    from synchrony.launches.models import Activation, Channel


@dataclass(frozen=True)
class Result:
    outcome: Literal["delivered", "retry", "failed"]
    status_code: int | None = None
    error: str = ""
    retry_after: float | None = None  # seconds the receiver asked us to wait
    gone: bool = False  # the endpoint is gone for good (410): disable the channel


Send = Callable[[], Result]


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


_client: httpx.Client | None = None
_client_lock = threading.Lock()


def http() -> httpx.Client:
    """One client per process, shared by the sender threads (httpx.Client is thread-safe).

    Built under a lock by `prepare`, before go-live: ten threads racing to build it at
    the moment each paid hundreds of milliseconds.
    """
    global _client
    with _client_lock:
        if _client is None:
            # Redirects are not followed: one could lead to an address check_url refuses.
            _client = httpx.Client(
                follow_redirects=False,
                limits=httpx.Limits(
                    max_connections=200, max_keepalive_connections=100, keepalive_expiry=60
                ),
                headers={"user-agent": "Synchrony launch engine"},
            )
        return _client


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def classify(response: httpx.Response) -> Result:
    """2xx delivered; 410 gone; 408, 429 and 5xx worth another try; other 4xx final."""
    code = response.status_code
    if 200 <= code < 300:
        return Result("delivered", code)
    excerpt = f"HTTP {code}: {response.text[:200]}".strip()
    if code == 410:
        return Result("failed", code, excerpt, gone=True)
    if code in (408, 429) or code >= 500:
        return Result("retry", code, excerpt, retry_after=_retry_after(response))
    return Result("failed", code, excerpt)


def checked(url: str) -> Result | None:
    """Checked again when preparing each send (at most a second or so before it leaves):
    what a name resolves to can change after the channel was saved."""
    try:
        check_url(url)
    except UnsafeURL as error:
        return Result("failed", error=str(error))
    http()
    return None


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Send:
    """The request is built now; the returned callable only puts it on the wire."""
    request = http().build_request("POST", url, content=body, headers=headers, timeout=timeout)
    return lambda: _send(request, timeout)


def _send(request: httpx.Request, timeout: float) -> Result:
    try:
        response = http().send(request)
    except httpx.TimeoutException:
        return Result("retry", error=f"No answer within {timeout:g} s.")
    except httpx.HTTPError as error:
        return Result("retry", error=f"{type(error).__name__}: {error}"[:500])
    return classify(response)


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
        return [str(error)]
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
        refused = checked(url)
        if refused:
            return lambda: refused
        # Signed for the moment it goes out (receivers allow minutes of tolerance), so at
        # the moment there is nothing left to compute: sends leave closer together.
        at = at.replace(microsecond=0)
        signers = [Webhook(s) for s in channel.signing_secrets(at)]
        headers = {
            "content-type": "application/json",
            "webhook-id": key,
            "webhook-timestamp": str(int(at.timestamp())),
            # During a secret rotation both signatures go out; receivers accept either.
            "webhook-signature": " ".join(w.sign(key, at, body.decode()) for w in signers),
        }
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
        refused = checked(url)
        if refused:
            return lambda: refused
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

        return send


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
