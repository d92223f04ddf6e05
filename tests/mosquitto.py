"""A real mosquitto broker on a free loopback port, started by the suite (fixtures in tests/conftest.py)."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

INSTALL_HINT = (
    "mosquitto is not installed, and the MQTT tests run against a real broker. Install it with "
    "`apt-get install -y mosquitto` (Debian/Ubuntu) or run scripts/install-system-deps."
)
_FALLBACK_PATHS = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto")


def find_mosquitto() -> str | None:
    """The broker binary (it lives in sbin, often not on a non-root PATH)."""
    found = shutil.which("mosquitto")
    if found:
        return found
    return next((path for path in _FALLBACK_PATHS if os.access(path, os.X_OK)), None)


def free_port() -> int:
    """A TCP port nobody listens on right now (the broker binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Mosquitto:
    """One mosquitto process with a generated config; can be stopped and started again."""

    host = "127.0.0.1"

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.log_path = directory / "mosquitto.log"
        self.config_path = directory / "mosquitto.conf"
        self.config_path.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "log_dest stdout\n"
            # Run as ourselves: as root, mosquitto would otherwise switch to its own user.
            f"user {getpass.getuser()}\n",
            encoding="utf-8",
        )
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start the broker (same port as before) and wait until it accepts connections."""
        assert self._process is None, "already running"
        with self.log_path.open("ab") as log:
            # A fixed binary found on disk and a config we wrote: no untrusted input.
            self._process = subprocess.Popen(  # noqa: S603
                [self.binary, "-c", str(self.config_path)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                self._process = None
                pytest.fail(f"mosquitto exited at start-up:\n{self.log_path.read_text(errors='replace')}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"mosquitto did not accept connections on port {self.port} in {timeout}s")
                time.sleep(0.02)

    def stop(self) -> None:
        """Stop the broker; its retained messages go with it (persistence is off)."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    @property
    def running(self) -> bool:
        """Whether the process is up."""
        return self._process is not None and self._process.poll() is None
