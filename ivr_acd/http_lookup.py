"""A small asyncio HTTP/1.1 client for the IVR's ``lookup`` step (a CRM by caller ID, …).

Why not a library: a lookup is one JSON request with a hard deadline, on the call's path;
this client does only that (GET/POST, ``Content-Length`` or chunked replies, http and
https), bounds everything a server could make it buffer, and never follows redirects (a
CRM that redirects is misconfigured, and following could leak the caller's number to
another host). Every failure becomes an ``HttpResult`` with ``error`` set: a slow or
broken CRM must send the caller down the dialplan's failure branch, never crash the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from urllib.parse import urlsplit

from ivr.interpreter.actions import HttpRequest, HttpResult

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 32 * 1024
MAX_BODY_BYTES = 1024 * 1024


class _HttpError(Exception):
    pass


async def fetch_json(request: HttpRequest, *, user_agent: str = "ivr-acd") -> HttpResult:
    """Run one request within ``request.timeout`` seconds; never raises for network trouble."""
    try:
        async with asyncio.timeout(request.timeout):
            return await _fetch(request, user_agent)
    except TimeoutError:
        return HttpResult(error="timeout")
    except (OSError, _HttpError, ssl.SSLError, UnicodeError, ValueError) as exc:
        return HttpResult(error=f"{type(exc).__name__}: {exc}")


async def _fetch(request: HttpRequest, user_agent: str) -> HttpResult:
    parts = urlsplit(request.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _HttpError(f"unsupported URL scheme {parts.scheme!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    context = ssl.create_default_context() if parts.scheme == "https" else None
    reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=context)
    try:
        writer.write(
            _request_bytes(request, parts.hostname, port, parts.path or "/", parts.query, user_agent)
        )
        await writer.drain()
        status, headers = await _read_head(reader)
        body = await _read_body(reader, headers)
    finally:
        writer.close()
        # The peer may already have reset the connection: closed either way.
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    if not 200 <= status < 300:
        return HttpResult(status=status, error=f"HTTP {status}")
    if not body.strip():
        return HttpResult(status=status, body=None)
    try:
        return HttpResult(status=status, body=json.loads(body))
    except json.JSONDecodeError as exc:
        return HttpResult(status=status, error=f"reply is not JSON: {exc.msg}")


def _request_bytes(
    request: HttpRequest, host: str, port: int, path: str, query: str, user_agent: str
) -> bytes:
    target = path + (f"?{query}" if query else "")
    host_header = host if port in (80, 443) else f"{host}:{port}"
    lines = [
        f"{request.method} {target} HTTP/1.1",
        f"Host: {host_header}",
        f"User-Agent: {user_agent}",
        "Accept: application/json",
        "Connection: close",
    ]
    body = b""
    if request.method == "POST":
        body = json.dumps(request.json_body).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    for line in lines:
        if "\r" in line or "\n" in line:
            raise _HttpError("line break in request")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise _HttpError("response headers too large") from None
    except asyncio.IncompleteReadError:
        raise _HttpError("connection closed before the response headers") from None
    if len(head) > MAX_HEADER_BYTES:
        raise _HttpError("response headers too large")
    lines = head.decode("latin-1").split("\r\n")
    status_line = lines[0].split(" ", 2)
    if len(status_line) < 2 or not status_line[0].startswith("HTTP/1.") or not status_line[1].isdigit():
        raise _HttpError(f"malformed status line {lines[0][:60]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise _HttpError("malformed header line")
        headers[name.strip().lower()] = value.strip()
    return int(status_line[1]), headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return await _read_chunked(reader)
    length_text = headers.get("content-length")
    if length_text is not None:
        length = int(length_text)
        if length < 0 or length > MAX_BODY_BYTES:
            raise _HttpError(f"response body of {length} bytes exceeds the limit")
        try:
            return await reader.readexactly(length)
        except asyncio.IncompleteReadError:
            raise _HttpError("connection closed before the end of the body") from None
    body = await reader.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise _HttpError("response body exceeds the limit")
    return body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readline()
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise _HttpError("malformed chunk size") from None
        if size == 0:
            await reader.readline()  # the empty line after the last chunk (trailers ignored)
            return bytes(body)
        if len(body) + size > MAX_BODY_BYTES:
            raise _HttpError("response body exceeds the limit")
        try:
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        except asyncio.IncompleteReadError:
            raise _HttpError("connection closed inside a chunk") from None
