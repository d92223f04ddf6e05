"""Fixtures shared by several test packages.

A real mosquitto broker for the MQTT tests and the end-to-end ones: a session fixture (each
test uses its own topic prefix and client ids, so tests do not see each other's retained
messages). A test that needs to stop and restart a broker takes ``private_broker`` instead.
Without the binary the fixtures *fail*: a silent skip would be a test that cannot fail in CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from acd.center.core import CallCenter
from acd.center.messages import Effect, Message
from tests.center_invariants import check_call_indexes
from tests.mosquitto import INSTALL_HINT, Mosquitto, find_mosquitto


@pytest.fixture(scope="session")
def mosquitto_binary() -> str:
    """The mosquitto executable; fails the test with an install hint when missing."""
    binary = find_mosquitto()
    if binary is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    return binary


@pytest.fixture(scope="session")
def broker(mosquitto_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    """The suite's broker, shared: use a unique prefix and client ids per test."""
    mosquitto = Mosquitto(mosquitto_binary, tmp_path_factory.mktemp("mosquitto"))
    mosquitto.start()
    yield mosquitto
    mosquitto.stop()


@pytest.fixture
def private_broker(mosquitto_binary: str, tmp_path: Path) -> Iterator[Mosquitto]:
    """A broker this test alone may stop and restart (not started: call ``start()``)."""
    mosquitto = Mosquitto(mosquitto_binary, tmp_path)
    yield mosquitto
    mosquitto.stop()


@pytest.fixture(autouse=True)
def checked_call_indexes(monkeypatch: pytest.MonkeyPatch) -> None:
    """After every message the call centre core handles, in every test that runs one (unit or
    end to end), its per-queue call indexes equal what a scan of all its calls finds."""
    handle = CallCenter.handle

    def checked(center: CallCenter, message: Message, now: float) -> list[Effect]:
        effects = handle(center, message, now)
        check_call_indexes(center)
        return effects

    monkeypatch.setattr(CallCenter, "handle", checked)
