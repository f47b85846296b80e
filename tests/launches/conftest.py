from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from synchrony.launches.models import (
    Activation,
    AdapterKind,
    Channel,
    Launch,
    LaunchStatus,
)
from tests.factories import ActivationFactory, ChannelFactory, LaunchFactory
from tests.receiver import Receiver


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def webhook_channel(receiver: Receiver, path: str, **fields: object) -> Channel:
    return ChannelFactory(
        name=f"Hook {path}",
        adapter=AdapterKind.WEBHOOK,
        endpoint_url=receiver.url + path,
        timeout_seconds=fields.pop("timeout_seconds", 5),
        **fields,
    )


def launch_with(
    project,
    channels: list[Channel],
    *,
    status: str = LaunchStatus.ARMED,
    in_seconds: float = 0.3,
    **fields: object,
) -> Launch:
    launch = LaunchFactory(
        project=project,
        status=status,
        go_live=timezone.now() + dt.timedelta(seconds=in_seconds),
        **fields,
    )
    for channel in channels:
        ActivationFactory(
            launch=launch, channel=channel, subject="Atlas is here", body="Read all about it."
        )
    return launch


def states(launch: Launch) -> dict[str, str]:
    return dict(Activation.objects.filter(launch=launch).values_list("channel__name", "state"))
