"""The floor: a minimal asyncio FastAGI server that sends a fixed command sequence, no logic.

``python -m bench.floor_server COMMANDS_JSON`` listens on 127.0.0.1 port 0, prints
``{"port": …}`` and serves until SIGTERM. Every session reads the environment, then sends the
commands of the file one by one, reading one reply line each, and closes: what any asyncio
FastAGI server must at least do for that dialogue (same asyncio streams as the daemon's server),
without a dialplan, an interpreter, logging or records. It is what the daemon's logic is
measured against.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from bench.machine import raise_fd_limit


async def serve(commands: list[bytes]) -> None:
    """Serve until SIGTERM/SIGINT."""

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.readline() not in (b"\n", b""):
                pass  # the agi_* environment
            for command in commands:
                writer.write(command)
                if not await reader.readline():
                    break
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(session, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


def main(argv: list[str]) -> int:
    """Entry point."""
    raise_fd_limit()
    lines = json.loads(Path(argv[0]).read_text())
    asyncio.run(serve([f"{line}\n".encode() for line in lines]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
