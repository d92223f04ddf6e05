"""Socket helpers shared by the FastAGI server and its channels: one read, one clean close."""

from __future__ import annotations

import asyncio

READ_SIZE = 64 * 1024
"""Bytes asked for per read; the codec bounds what it buffers, not this."""

CLOSE_TIMEOUT = 2.0
"""Seconds a closing socket may take to flush before it is aborted."""


async def read_some(reader: asyncio.StreamReader) -> bytes:
    """Read what is available; ``b""`` at the end of the stream, a reset included.

    Callers must stop reading after ``b""``: at EOF :meth:`asyncio.StreamReader.read` returns
    at once without yielding, so a loop that keeps reading a closed socket would block the
    whole event loop (the FastAGI bug of panoramisk). The AGI codec reports
    ``ConnectionClosed`` after ``b""`` and never asks for data again.
    """
    try:
        return await reader.read(READ_SIZE)
    except OSError:
        # ConnectionResetError, ETIMEDOUT: for the protocol the peer is simply gone.
        return b""


async def close_stream(writer: asyncio.StreamWriter, grace: float = CLOSE_TIMEOUT) -> None:
    """Close a socket and wait until it is closed; idempotent.

    A peer that stopped reading could keep ``wait_closed()`` waiting for ever on a full
    send buffer, so after ``grace`` seconds the transport is aborted instead.
    """
    writer.close()
    try:
        async with asyncio.timeout(grace):
            await writer.wait_closed()
    except TimeoutError:
        writer.transport.abort()
    except OSError:
        # wait_closed() re-raises whatever ended the connection (a reset, a broken pipe):
        # the socket is closed either way, which is all we asked for.
        pass
