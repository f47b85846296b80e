from __future__ import annotations

import random
import smtplib

from celery import shared_task
from django.conf import settings

from synchrony.activity import services

# What a mail server or the network does for a while; anything else is not retried here
# (the claim is given back all the same, and the sweep tries again within the attempts).
TRANSIENT = (OSError, smtplib.SMTPException)


def backoff(retries: int) -> float:
    """Exponential with jitter, bounded (as launch sends back off)."""
    base = settings.NOTIFICATION_EMAIL_RETRY_BASE_SECONDS * 2**retries
    delay = random.uniform(base / 2, base)  # noqa: S311 - jitter, not a secret
    return min(delay, settings.NOTIFICATION_EMAIL_RETRY_MAX_SECONDS)


@shared_task(bind=True, ignore_result=True, max_retries=None)
def send_notification_email(self, notification_id: int) -> bool:
    # The database bounds the tries (NOTIFICATION_EMAIL_MAX_ATTEMPTS claims), whether they
    # come from these retries or from the sweep.
    retry_in = backoff(self.request.retries)
    try:
        return services.notification_email_send(notification_id=notification_id, retry_in=retry_in)
    except TRANSIENT as error:
        raise self.retry(exc=error, countdown=retry_in) from error


@shared_task(ignore_result=True)
def sweep_notification_emails() -> int:
    return services.notification_email_sweep()
