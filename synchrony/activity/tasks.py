from __future__ import annotations

import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from synchrony.activity.models import Notification


@shared_task(
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def send_notification_email(notification_id: int) -> None:
    # Claim the send with a conditional UPDATE: a redelivered message finds it taken.
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return
    notification = Notification.objects.select_related("recipient", "project").get(
        pk=notification_id
    )
    link = f"{settings.SITE_URL}{notification.url}" if notification.url else settings.SITE_URL
    lines = [notification.title, "", notification.body, "", f"Open in Synchrony: {link}", ""]
    lines.append(f"Choose which e-mails you get: {settings.SITE_URL}/accounts/settings/")
    try:
        send_mail(
            subject=f"[Synchrony] {notification.title}"[:200],
            message="\n".join(line for line in lines if line is not None),
            from_email=None,
            recipient_list=[notification.recipient.email],
        )
    except Exception:
        # Give the claim back so the retry can take it.
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
