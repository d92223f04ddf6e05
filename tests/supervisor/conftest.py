"""Fixtures: a fake engine with known figures and our AMI listener on 127.0.0.1, port 0."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ivr_acd.supervisor import AmiListener, AmiUser, ListenerConfig, Permission
from tests.supervisor.fake_center import FakeCenter, sample_snapshot

READER = ("wallboard", "read-secret-1234")
CONTROLLER = ("boss", "control-secret-5678")
USERS = (
    AmiUser(READER[0], READER[1], Permission.READ),
    AmiUser(CONTROLLER[0], CONTROLLER[1], Permission.CONTROL),
)


@contextlib.asynccontextmanager
async def running_listener(center: FakeCenter, **overrides: Any) -> AsyncIterator[AmiListener]:
    """A started listener (closed on exit); failed logins are answered without delay."""
    options: dict[str, Any] = {"users": USERS, "port": 0, "auth_failure_delay": 0.0}
    options.update(overrides)
    listener = AmiListener(center, ListenerConfig(**options), clock=lambda: 1795351614.978105)
    async with listener:
        yield listener


@pytest.fixture
def center() -> FakeCenter:
    return FakeCenter(sample_snapshot())


@pytest.fixture
async def listener(center: FakeCenter) -> AsyncIterator[AmiListener]:
    async with running_listener(center) as started:
        yield started
