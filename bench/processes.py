"""Starting and stopping the processes a benchmark measures: the daemon, the floor server,
the simulator's AMI, the load generator. Everything listens on 127.0.0.1, port 0.

Children inherit the driver's raised RLIMIT_NOFILE (see :func:`bench.machine.raise_fd_limit`)
and run from the repository root with it on ``PYTHONPATH``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
STARTED = re.compile(r"daemon started fastagi=[\d.]+:(\d+)")
AMI_SECRET = "bench-ami-secret-0123"  # noqa: S105 (a throwaway login between two loopback children)


class StartError(RuntimeError):
    """A child process did not come up."""


def child_env() -> dict[str, str]:
    """The environment of every child: the repository importable, output unbuffered."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def python(*args: str) -> list[str]:
    """A command line running this interpreter."""
    return [sys.executable, *args]


class Child:
    """A running child process, stopped with SIGTERM (then SIGKILL) on exit."""

    def __init__(self, name: str, argv: Sequence[str], *, log: Path | None = None, stdout_pipe: bool = False):
        self.name = name
        self.log = log
        self._log_file: IO[bytes] | None = log.open("wb") if log is not None else None
        self.process = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE if stdout_pipe else subprocess.DEVNULL,
            stderr=self._log_file if self._log_file is not None else subprocess.DEVNULL,
        )

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def first_json_line(self, within: float = 30.0) -> dict[str, Any]:
        """The first line the child prints on standard output, parsed as JSON."""
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], within)
        line = stdout.readline() if ready else b""  # the children print it once they listen
        if not line:
            self.stop()
            raise StartError(f"{self.name} exited before printing its address{self._tail()}")
        parsed: dict[str, Any] = json.loads(line)
        return parsed

    def wait_for_log(self, pattern: re.Pattern[str], within: float = 30.0) -> re.Match[str]:
        """Poll the child's log file until ``pattern`` appears."""
        assert self.log is not None
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            match = pattern.search(self.log.read_text(errors="replace"))
            if match:
                return match
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        tail = self._tail()
        self.stop()
        raise StartError(f"{self.name} did not start{tail}")

    def _tail(self) -> str:
        if self.log is None or not self.log.exists():
            return ""
        lines = self.log.read_text(errors="replace").splitlines()[-20:]
        return ":\n" + "\n".join(lines)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, wait, SIGKILL if it does not go; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log_file is not None:
            self._log_file.close()
        return self.process.returncode


@contextlib.contextmanager
def running(child: Child) -> Iterator[Child]:
    """Stop ``child`` on leaving the block, whatever happens."""
    try:
        yield child
    finally:
        child.stop()


def start_ami_peer(log: Path) -> tuple[Child, int]:
    """The simulator serving AMI only (no scenario): the peer the daemon logs in to."""
    child = Child(
        "asterisk_sim",
        python("-m", "asterisk_sim", "--ami-port", "0", "--ami-user", f"ivr-acd:{AMI_SECRET}"),
        log=log,
        stdout_pipe=True,
    )
    return child, int(child.first_json_line()["ami_port"])


def start_daemon(config: Path, log: Path, argv: Sequence[str] | None = None) -> tuple[Child, int]:
    """``python -m ivr_acd.cli run --config FILE`` (or ``argv``); returns it and its FastAGI port."""
    command = list(argv) if argv is not None else python("-m", "ivr_acd.cli", "run", "--config", str(config))
    child = Child("daemon", command, log=log)
    match = child.wait_for_log(STARTED)
    return child, int(match.group(1))


def start_floor(commands: Path, log: Path) -> tuple[Child, int]:
    """The floor server replaying ``commands``."""
    child = Child("floor", python("-m", "bench.floor_server", str(commands)), log=log, stdout_pipe=True)
    return child, int(child.first_json_line()["port"])


def run_loadgen(job: dict[str, Any], timeout: float = 600.0) -> dict[str, Any]:
    """Run one load-generator job in its own process; its JSON results."""
    completed = subprocess.run(
        python("-m", "bench.loadgen", json.dumps(job)),
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise StartError(f"load generator failed with exit code {completed.returncode}")
    result: dict[str, Any] = json.loads(completed.stdout)
    return result
