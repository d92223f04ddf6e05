"""IVR steps end to end, the services outside the IVR: lookup (a tiny HTTP server on a free
loopback port), queue outcomes under ``on:``, transfer (Dial to simulated devices), and
record (a file in the simulator's recordings directory and a row in the recordings table).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from acd.records import CallOutcome
from asterisk_sim import Caller, DeviceBehaviour, Mode
from tests.e2e.harness import SAFETY
from tests.e2e.ivr_helpers import ivr_center, one_call, recordings

# ---------------------------------------------------------------- lookup


@dataclass
class Crm:
    """A CRM stand-in: canned replies by path, and every request it received."""

    port: int = 0
    requests: list[tuple[str, str, object]] = field(default_factory=list)
    """(method, target, decoded JSON body or None)."""
    release: asyncio.Event = field(default_factory=asyncio.Event)
    """Set at the end of the test: the slow endpoint stops waiting."""

    @property
    def url(self) -> str:
        """The base URL dialplans use."""
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one HTTP/1.1 request (the lookup client always says ``Connection: close``)."""
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            method, target, _ = head[0].split(" ", 2)
            headers = dict(line.split(": ", 1) for line in head[1:] if line)
            length = int(headers.get("Content-Length", "0"))
            body = json.loads(await reader.readexactly(length)) if length else None
            self.requests.append((method, target, body))
            status, reply = await self._reply(method, target.partition("?")[0], body)
            head_out = (
                f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(reply)}\r\n"
            )
            writer.write(f"{head_out}Connection: close\r\n\r\n".encode() + reply)
            await writer.drain()
        except ConnectionError:
            pass  # the client gave up first (the timeout test)
        finally:
            writer.close()

    async def _reply(self, method: str, path: str, body: object) -> tuple[int, bytes]:
        match method, path:
            case "GET", "/customers":
                found = {"name": "Alice", "flags": {"vip": True}, "orders": [{"id": 77}, {"id": 78}]}
                return 200, json.dumps(found).encode()
            case "POST", "/tickets":
                assert isinstance(body, dict)
                return 201, json.dumps({"ticket": {"id": f"T-{body['phone']}"}}).encode()
            case "GET", "/slow":
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(SAFETY):
                        await self.release.wait()
                return 200, b"{}"
            case "GET", "/broken":
                return 500, b'{"error": "database down"}'
            case "GET", "/not-json":
                return 200, b"<html>maintenance</html>"
        return 404, b"{}"


@contextlib.asynccontextmanager
async def crm_server() -> AsyncIterator[Crm]:
    """A :class:`Crm` listening on a free loopback port."""
    crm = Crm()
    server = await asyncio.start_server(crm.handle, "127.0.0.1", 0)
    crm.port = server.sockets[0].getsockname()[1]
    try:
        yield crm
    finally:
        crm.release.set()
        server.close()
        await server.wait_closed()


LOOKUP = """\
dialplan: main
variables: {{crm_url: "{url}"}}
steps:
  find:
    lookup:
      url: "${{crm_url}}/customers?phone=${{caller.number}}"
      timeout: 2
      set: {{customer.name: name, customer.vip: flags.vip, last.order: orders.0.id, missing: flags.nope}}
      on_failure: unknown
  ticket:
    lookup:
      method: POST
      url: "${{crm_url}}/tickets"
      body: {{phone: "${{caller.number}}", vip: "${{customer.vip}}", note: "vip=${{customer.vip}}"}}
      set: {{ticket.id: ticket.id}}
      on_failure: unknown
  known:
    play: ["custom/your-last-order", {{say_number: last.order}}]
    next: bye
  unknown:
    play: custom/unknown
  bye:
    hangup:
"""


async def test_lookup_get_and_post_map_reply_fields_into_variables(tmp_path: Path) -> None:
    async with crm_server() as crm, ivr_center(tmp_path, {"main": LOOKUP.format(url=crm.url)}) as center:
        ended = await one_call(center, Caller(number="+33 612"))
    # The caller's number is percent-encoded in the URL, and sent typed in the body.
    assert crm.requests == [
        ("GET", "/customers?phone=%2B33%20612", None),
        ("POST", "/tickets", {"phone": "+33 612", "vip": True, "note": "vip=true"}),
    ]
    assert ended.heard == ["custom/your-last-order", "digits/70", "digits/7"]
    variables = ended.record.variables
    assert variables["customer.name"] == "Alice"
    assert variables["customer.vip"] == "true"
    assert variables["last.order"] == "77"
    assert variables["missing"] == ""  # a field missing from the reply reads as null
    assert variables["ticket.id"] == "T-+33 612"
    assert variables["lookup.status"] == "201"
    assert ended.steps == ["find", "ticket", "known", "bye"]
    assert ended.path("lookup_failed") == []


FAILING_LOOKUPS = """\
dialplan: main
variables: {{crm_url: "{url}"}}
steps:
  slow:
    lookup: {{url: "${{crm_url}}/slow", timeout: 0.3, set: {{a: x}}, on_failure: slow-failed}}
    next: never
  slow-failed:
    set: {{after.timeout: lookup.status}}
    next: broken
  broken:
    lookup: {{url: "${{crm_url}}/broken", set: {{b: error}}, on_failure: broken-failed}}
    next: never
  broken-failed:
    set: {{after.broken: lookup.status}}
    next: not-json
  not-json:
    lookup: {{url: "${{crm_url}}/not-json", set: {{c: x}}, on_failure: all-failed}}
  never:
    play: custom/never
  all-failed:
    play: custom/crm-unavailable
  bye:
    hangup:
"""


async def test_lookup_timeout_error_status_and_bad_json_take_the_failure_branch(tmp_path: Path) -> None:
    async with (
        crm_server() as crm,
        ivr_center(tmp_path, {"main": FAILING_LOOKUPS.format(url=crm.url)}) as center,
    ):
        ended = await one_call(center, Caller())
    assert ended.heard == ["custom/crm-unavailable"]
    failures = [detail for _, _, detail in ended.path("lookup_failed")]
    assert failures[:2] == ["timeout", "HTTP 500"]
    assert failures[2].startswith("reply is not JSON")
    assert ended.steps == [
        "slow",
        "slow-failed",
        "broken",
        "broken-failed",
        "not-json",
        "all-failed",
        "bye",
    ]
    variables = ended.record.variables
    assert variables["after.timeout"] == ""  # no status at all
    assert variables["after.broken"] == "500"
    assert variables["lookup.status"] == "200"
    assert not {"a", "b", "c"} & variables.keys()  # nothing set on failure


# ---------------------------------------------------------------- queue


QUEUE_OUTCOMES = """\
dialplan: main
steps:
  q:
    queue: {name: empty, on: {no_agents: sorry}}
    next: never
  never:
    play: custom/never
  sorry:
    play: custom/no-agents
  bye:
    hangup:
"""


async def test_queue_outcome_under_on_goes_to_its_step(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": QUEUE_OUTCOMES}) as center:
        ended = await one_call(center, Caller())
    assert ended.heard == ["custom/no-agents"]
    assert ended.path("queue_outcome") == [("queue_outcome", "q", "no_agents")]
    assert ended.steps == ["q", "sorry", "bye"]
    assert ended.record.queue == "empty"
    assert ended.record.outcome is CallOutcome.NO_AGENTS
    assert ended.record.variables["queue.outcome"] == "no_agents"


# ---------------------------------------------------------------- transfer


TRANSFER = """\
dialplan: main
numbers: ["7000", "7001", "7002", "7003"]
steps:
  by-dnis:
    branch:
      - if: call.dnis == "7001"
        goto: to-busy
      - if: call.dnis == "7002"
        goto: to-sleepy
      - if: call.dnis == "7003"
        goto: to-mobile
  to-desk:
    transfer: PJSIP/2001
    next: failed
  to-busy:
    transfer: {to: PJSIP/2002, on_failure: failed}
    next: never
  to-sleepy:
    transfer: {to: PJSIP/2003, timeout: 3, on_failure: failed}
    next: never
  to-mobile:
    transfer: {number: "${caller.number}", trunk: "PJSIP/${transfer.number}@carrier", on_failure: failed}
    next: never
  never:
    play: custom/never
  failed:
    play: custom/transfer-failed
  bye:
    hangup:
"""
DEVICES = {
    "PJSIP/2001": DeviceBehaviour.answering(after=1.0, talk=2.0),
    "PJSIP/2002": DeviceBehaviour(Mode.BUSY),
    "PJSIP/2003": DeviceBehaviour(Mode.NOANSWER),
    "PJSIP/_555XXXX@carrier": DeviceBehaviour.answering(after=1.0, talk=2.0),
}


async def test_transfer_answered_ends_the_ivr(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": TRANSFER}, devices=DEVICES) as center:
        ended = await one_call(center, Caller(dnis="7000"))
        device_legs = list(center.sim.device_calls)
    assert ended.call.bridged_with[0].startswith("PJSIP/2001-")
    assert [leg.device for leg in device_legs] == ["PJSIP/2001"]
    assert ended.heard == ["tone:ringing"]  # the ringback while the desk phone rang
    assert ended.record.outcome is CallOutcome.TRANSFER
    assert ended.record.variables["transfer.status"] == "ANSWER"
    assert ended.record.ivr_end_step == "to-desk"
    assert ended.path("transfer_failed") == []


async def test_transfer_to_a_number_through_a_trunk(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": TRANSFER}, devices=DEVICES) as center:
        ended = await one_call(center, Caller(number="555-1234", dnis="7003"))
        device_legs = list(center.sim.device_calls)
    # Asterisk names a trunk's channel after the endpoint, not the number dialled.
    assert ended.call.bridged_with[0].startswith("PJSIP/carrier-")
    assert [leg.device for leg in device_legs] == ["PJSIP/5551234@carrier"]
    assert ended.record.outcome is CallOutcome.TRANSFER
    assert ended.record.variables["transfer.number"] == "5551234"


async def test_transfer_answered_stays_a_transfer_when_the_caller_hangs_up_first(tmp_path: Path) -> None:
    devices = {"PJSIP/2001": DeviceBehaviour.answering(after=1.0, talk=None)}
    async with ivr_center(tmp_path, {"main": TRANSFER}, devices=devices) as center:
        ended = await one_call(center, Caller(dnis="7000", talk=2.0))
    assert ended.call.bridged_with[0].startswith("PJSIP/2001-")
    assert ended.call.hung_up_by == "caller"
    assert ended.record.outcome is CallOutcome.TRANSFER
    assert ended.record.variables["transfer.status"] == "ANSWER"
    assert ended.path("hangup") == []


async def test_transfer_busy_or_unanswered_goes_to_on_failure(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": TRANSFER}, devices=DEVICES) as center:
        busy = await one_call(center, Caller(dnis="7001"))
        sleepy = await one_call(center, Caller(dnis="7002"))
    for ended, status, step in ((busy, "BUSY", "to-busy"), (sleepy, "NOANSWER", "to-sleepy")):
        assert not ended.call.connected
        assert ended.heard[-1] == "custom/transfer-failed"
        assert ended.path("transfer_failed") == [("transfer_failed", step, status)]
        assert ended.record.variables["transfer.status"] == status
        assert ended.record.outcome is CallOutcome.IVR_ONLY
        assert ended.steps == ["by-dnis", step, "failed", "bye"]


# ---------------------------------------------------------------- record


RECORD = """\
dialplan: main
variables: {topic: billing}
steps:
  leave-message:
    record:
      prompt: [custom/after-the-beep]
      folder: suggestions
      name: "msg-${caller.number}"
      max_seconds: 30
      silence: 2
      tag: "${topic}"
      on_failure: failed
  thanks:
    play: custom/thanks
    next: bye
  failed:
    play: custom/record-failed
  bye:
    hangup:
"""


async def test_record_writes_a_file_and_a_recordings_row(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": RECORD}) as center:
        ended = await one_call(center, Caller(number="5551234", speech=3.0))
        rows = recordings(center)
    path = tmp_path / "recordings" / "suggestions" / "msg-5551234.wav"
    assert ended.heard == ["custom/after-the-beep", "beep", f"record:{path}", "custom/thanks"]
    with wave.open(str(path)) as audio:
        assert audio.getnframes() == 3 * 8000  # what the caller said; the trailing silence is trimmed
    assert rows == [(ended.record.call_id, "suggestions", str(path), "billing", 3.0)]
    variables = ended.record.variables
    assert variables["record.ok"] == "true"
    assert variables["record.seconds"] == "3.0"
    assert variables["record.name"] == "msg-5551234"
    assert ended.steps == ["leave-message", "thanks", "bye"]


async def test_a_caller_who_hangs_up_to_end_the_message_keeps_the_recording(tmp_path: Path) -> None:
    # No silence detection: the caller ends the message by hanging up, as most callers do.
    # They hang up 8 s after arriving: prompt (2 s) and beep (0.25 s), then at most 5.75 s
    # recorded (less the time the commands took).
    dialplans = {"main": RECORD.replace("silence: 2", "silence: 0")}
    async with ivr_center(tmp_path, dialplans) as center:
        ended = await one_call(center, Caller(number="5551234", speech=3.0, patience=8.0))
        rows = recordings(center)
    path = tmp_path / "recordings" / "suggestions" / "msg-5551234.wav"
    assert ended.heard == ["custom/after-the-beep", "beep", f"record:{path}"]
    assert path.exists()
    [(call_id, folder, stored, tag, seconds)] = rows
    assert (call_id, folder, stored, tag) == (ended.record.call_id, "suggestions", str(path), "billing")
    assert 3.0 < seconds < 6.0
    assert ended.path("hangup", "record_failed") == [("hangup", "leave-message", "caller")]
    assert ended.record.ivr_end_step == "leave-message"
    assert ended.record.hangup_by == "caller"
