from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models


class ChannelKind(models.TextChoices):
    EMAIL = "email", "Email"
    SOCIAL = "social", "Social"
    PAID_ADS = "paid_ads", "Paid ads"
    WEB = "web", "Web"
    PR = "pr", "PR"
    EVENTS = "events", "Events"
    SALES_ENABLEMENT = "sales_enablement", "Sales enablement"
    CUSTOMER_SUCCESS = "customer_success", "Customer success"
    OTHER = "other", "Other"


class Channel(models.Model):
    """A place a launch goes out on. Its owner is accountable when an activation fails."""

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=30, choices=ChannelKind.choices, default=ChannelKind.OTHER)
    colour = models.CharField(
        max_length=7,
        default="#4f6bed",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour such as #4f6bed.")],
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_channels"
    )
    description = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
