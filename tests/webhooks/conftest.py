from __future__ import annotations

import pytest

from synchrony.accounts.models import User
from synchrony.webhooks import services
from synchrony.webhooks.models import Endpoint
from tests.factories import UserFactory
from tests.launches.conftest import receiver  # noqa: F401 - the local HTTP receiver fixture
from tests.receiver import Receiver


@pytest.fixture
def admin(db: None) -> User:
    return UserFactory(username="ada", is_staff=True)


def endpoint_at(
    server: Receiver, path: str, owner: User, events: list[str] | None = None, **fields
) -> tuple[Endpoint, str]:
    """An endpoint on the local receiver, made as an admin makes one (URL checked)."""
    return services.endpoint_create(
        actor=owner,
        url=server.url + path,
        event_types=events or ["task.changed"],
        owner=owner,
        **fields,
    )
