"""Calls end to end: Originate outcomes, simulated devices, bridge pulls, redirects, abandons,
the shipped dialplan with the daemon down or up, and key presses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from asterisk_sim import Caller, DeviceBehaviour, Mode, Press, Simulator
from asterisk_sim.simulator import SHIPPED_DIALPLAN
from telephony.ami.message import AmiMessage
from tests import traces
from tests.asterisk_sim.helpers import AgiPeer, AmiClient, fastagi, free_port, running, sim_config

LAB = traces.TRACE_DIR / "lab-extensions.conf"


def _tap(sim: Simulator) -> list[AmiMessage]:
    seen: list[AmiMessage] = []
    sim.core.bus.tap(seen.append)
    return seen


def _originate_response(action_id: str) -> Callable[[AmiMessage], bool]:
    def match(message: AmiMessage) -> bool:
        return message.name == "OriginateResponse" and message.action_id == action_id

    return match


async def _originate_reasons(client: AmiClient, channels: dict[str, str], timeout_ms: int) -> dict[str, str]:
    for action_id, channel in channels.items():
        client.send(
            AmiMessage.build(
                [("Action", "Originate"), ("ActionID", action_id), ("Channel", channel)],
                Application="Wait",
                Data="3",
                Async="true",
                Timeout=timeout_ms,
            )
        )
    reasons = {}
    for action_id in channels:
        response = await client.wait_for(_originate_response(action_id))
        reasons[action_id] = response["Reason"]
    return reasons


async def test_local_originate_outcomes_as_in_misc_txt(tmp_path: Path) -> None:
    async with running(sim_config(tmp_path, dialplan_files=(LAB,))) as sim:
        seen = _tap(sim)
        client = await AmiClient.connect(sim.ami_port)
        await client.login()
        reasons = await _originate_reasons(
            client,
            {
                "OK": "Local/1001@agent-phone",
                "NA": "Local/1002@agent-noanswer",
                "BZ": "Local/1003@agent-busy",
                "BAD": "Local/1004@no-such-context",
            },
            timeout_ms=1000,
        )
        assert reasons == {"OK": "4", "NA": "3", "BZ": "5", "BAD": "0"}
        failure = next(m for m in seen if m.name == "OriginateResponse" and m.action_id == "BAD")
        assert (failure["Channel"], failure["Uniqueid"]) == ("Local/1004@no-such-context", "<unknown>")
        await asyncio.sleep(0.2)
        causes = {
            m["Channel"].split("-")[0] + m["Channel"][-2:]: m["Cause"] for m in seen if m.name == "Hangup"
        }
        assert causes["Local/1002@agent;1"] == "19"
        assert causes["Local/1002@agent;2"] == "19"
        assert causes["Local/1003@agent;2"] == "17"
        invalid = [m for m in seen if m.name == "DeviceStateChange" and m["State"] == "INVALID"]
        assert len(invalid) == 2
        sync = await client.action(
            "Originate", Channel="Local/1004@no-such-context", Application="Wait", Data="1"
        )
        assert (sync["Response"], sync["Message"]) == ("Error", "Originate failed")
        await client.close()


async def test_device_behaviours_and_their_reasons(tmp_path: Path) -> None:
    devices = {
        "PJSIP/10XX": DeviceBehaviour.answering(after=0.5, talk=1.0),
        "PJSIP/2001": DeviceBehaviour(Mode.NOANSWER),
        "PJSIP/2002": DeviceBehaviour(Mode.BUSY, answer_after=0.1),
        "PJSIP/2003": DeviceBehaviour(Mode.UNREACHABLE),
        "PJSIP/2004": DeviceBehaviour(Mode.CONGESTION, answer_after=0.1),
    }
    async with running(sim_config(tmp_path, devices=devices)) as sim:
        seen = _tap(sim)
        client = await AmiClient.connect(sim.ami_port)
        await client.login()
        reasons = await _originate_reasons(
            client,
            {
                "ans": "PJSIP/1042",
                "noans": "PJSIP/2001",
                "busy": "PJSIP/2002",
                "down": "PJSIP/2003",
                "cong": "PJSIP/2004",
                "who": "PJSIP/9999",
            },
            timeout_ms=1500,
        )
        assert reasons == {"ans": "4", "noans": "3", "busy": "5", "down": "0", "cong": "8", "who": "0"}
        answered = next(c for c in sim.device_calls if c.device == "PJSIP/1042")
        await answered.wait_ended(5)
        assert answered.hung_up_by == "device"
        assert answered.answered_at is not None
        causes = {m["Channel"].split("-")[0]: m["Cause"] for m in seen if m.name == "Hangup"}
        assert causes == {"PJSIP/1042": "16", "PJSIP/2001": "19", "PJSIP/2002": "17", "PJSIP/2004": "34"}
        ringing = [m for m in seen if m.name == "Newstate" and m["ChannelState"] == "5"]
        assert {m["Channel"].split("-")[0] for m in ringing} == {"PJSIP/1042", "PJSIP/2001"}
        await client.close()


async def _agent_originate(client: AmiClient, caller_channel: str, device: str = "PJSIP/1001") -> None:
    client.send(
        AmiMessage.build(
            [("Action", "Originate"), ("ActionID", "agent"), ("Channel", device)],
            Context="ivr-acd-connect",
            Exten="s",
            Priority=1,
            Variable=f"ACD_CALLER={caller_channel}",
            Async="true",
            Timeout=10000,
        )
    )


async def test_bridge_pull_connects_the_held_caller_to_the_agent(tmp_path: Path) -> None:
    lines: list[str] = []
    box: dict[str, AmiClient] = {}

    async def daemon(peer: AgiPeer) -> None:
        if peer.env["agi_network_script"] == "after-call":
            # ivr-acd-connect's Bridge F(): the caller comes back once the agent hung up;
            # closing the session lets the dialplan's Hangup() end the call.
            return
        assert peer.env["agi_network_script"] == "inbound?dnis=5000"
        await peer.send("ANSWER")
        await peer.send("SET VARIABLE IVR_ACD_DONE 1")
        await _agent_originate(box["ami"], peer.env["agi_channel"])
        assert (await peer.send("EXEC MusicOnHold default,30")).format() == "200 result=-1"
        assert (await peer.send("GET VARIABLE BRIDGEPEER")).format() == "200 result=0"
        lines.extend(peer.lines)

    async with fastagi(daemon) as server:
        config = sim_config(tmp_path, agi_target=("127.0.0.1", server.port))
        async with running(config) as sim:
            sim.add_device("PJSIP/1001", answer_after=0.5, talk=2.0)
            seen = _tap(sim)
            box["ami"] = await AmiClient.connect(sim.ami_port)
            await box["ami"].login()
            call = sim.place_call(Caller(number="5551234", dnis="5000"))
            await call.wait_ended(10)
            await box["ami"].close()
        server.check()
    assert lines[-3:] == ["200 result=-1", "HANGUP", "200 result=0"]
    assert call.connected
    assert call.bridged_with[0].startswith("PJSIP/1001-")
    assert call.hung_up_by == "peer"
    assert call.hangup_cause == 16
    names = [m.name for m in seen if m.name.startswith("Bridge")]
    assert names == [
        "BridgeCreate",
        "BridgeEnter",
        "BridgeEnter",
        "BridgeLeave",
        "BridgeLeave",
        "BridgeDestroy",
    ]
    enter = next(m for m in seen if m.name == "BridgeEnter")
    assert enter["Channel"] == call.channel
    assert enter["Priority"] == "4"
    assert not any(m.name == "AGIExecEnd" and "MusicOnHold" in (m.get("Command") or "") for m in seen)
    agent = sim.device_calls[0]
    assert agent.hung_up_by == "device"
    assert agent.bridged_with == [call.channel]


async def test_redirect_starts_a_second_session_on_the_same_channel(tmp_path: Path) -> None:
    box: dict[str, AmiClient] = {}

    async def daemon(peer: AgiPeer) -> None:
        if peer.env["agi_network_script"].startswith("inbound"):
            await peer.send("ANSWER")
            ami = box["ami"]
            channel = peer.env["agi_channel"]
            hold = asyncio.ensure_future(peer.send("EXEC MusicOnHold default,30"))
            await ami.wait_for(lambda m: m.name == "MusicOnHoldStart")
            ami.send(
                AmiMessage.build([("Action", "Setvar")], Channel=channel, Variable="ACD_TICKET", Value="T42")
            )
            ami.send(
                AmiMessage.build(
                    [("Action", "Redirect")],
                    Channel=channel,
                    Context="ivr-acd-redirect",
                    Exten="callback",
                    Priority=1,
                )
            )
            assert (await hold).format() == "200 result=-1"
            assert (await peer.send("NOOP after")).format() == "200 result=0"
            assert peer.lines[-2:] == ["HANGUP", "200 result=0"]
        else:
            assert peer.env["agi_network_script"] == "callback?ticket=T42"
            assert (await peer.send("ANSWER")).format() == "200 result=0"
            assert (await peer.send("HANGUP")).format() == "200 result=1"

    async with fastagi(daemon) as server:
        async with running(sim_config(tmp_path, agi_target=("127.0.0.1", server.port))) as sim:
            seen = _tap(sim)
            box["ami"] = await AmiClient.connect(sim.ami_port)
            await box["ami"].login()
            call = sim.place_call(Caller(dnis="5000"))
            await call.wait_ended(10)
            await box["ami"].close()
        server.check()
    assert len(server.sessions) == 2
    assert server.sessions[0].env["agi_channel"] == server.sessions[1].env["agi_channel"] == call.channel
    contexts = [m["Context"] for m in seen if m.name == "Newexten" and m["Channel"] == call.channel]
    assert contexts == ["ivr-acd-inbound"] * 3 + ["ivr-acd-redirect"] * 2
    assert not call.connected
    assert call.hung_up_by == "system"


async def test_abandon_while_held(tmp_path: Path) -> None:
    lines: list[str] = []

    async def daemon(peer: AgiPeer) -> None:
        await peer.send("ANSWER")
        assert (await peer.send("EXEC MusicOnHold default,30")).format() == "200 result=-1"
        await peer.send("NOOP after-hold")
        lines.extend(peer.lines)

    async with fastagi(daemon) as server:
        async with running(sim_config(tmp_path, agi_target=("127.0.0.1", server.port))) as sim:
            seen = _tap(sim)
            call = sim.place_call(Caller(dnis="5000", patience=2.0))
            await call.wait_ended(10)
        server.check()
    assert lines == ["200 result=0", "200 result=-1", "HANGUP", "200 result=0"]
    assert call.abandoned
    assert call.hung_up_by == "caller"
    assert not call.connected
    request = next(m for m in seen if m.name == "HangupRequest")
    assert request["Cause"] == "16"
    assert [m.name for m in seen if m.name.startswith("MusicOnHold")] == [
        "MusicOnHoldStart",
        "MusicOnHoldStop",
    ]


async def test_shipped_dialplan_falls_back_when_the_daemon_is_down(tmp_path: Path) -> None:
    config = sim_config(tmp_path, agi_target=("127.0.0.1", free_port()))
    async with running(config) as sim:
        seen = _tap(sim)
        call = sim.place_call(Caller(dnis="5000", patience=5.0))
        await call.wait_ended(10)
    contexts = [m["Context"] for m in seen if m.name == "Newexten"]
    assert contexts[:5] == ["ivr-acd-inbound"] * 5
    assert "ivr-acd-fallback" in contexts
    status = [m["Value"] for m in seen if m.name == "VarSet" and m["Variable"] == "AGISTATUS"]
    assert status == ["FAILURE"]
    assert call.heard_sounds[:2] == ["pls-hold-while-try", "queue:ivr-acd-fallback"]
    assert call.answered_at is not None
    assert call.abandoned


async def test_shipped_dialplan_with_the_daemon_up(tmp_path: Path) -> None:
    async def daemon(peer: AgiPeer) -> None:
        assert peer.env["agi_request"] == "agi://127.0.0.1:4573/inbound?dnis=7000"
        await peer.send("ANSWER")
        if peer.env["agi_callerid"] == "1":
            await peer.send("SET VARIABLE IVR_ACD_DONE 1")

    async with fastagi(daemon) as server:
        async with running(sim_config(tmp_path, agi_target=("127.0.0.1", server.port))) as sim:
            seen = _tap(sim)
            done = sim.place_call(Caller(number="1", dnis="7000"))
            crashed = sim.place_call(Caller(number="2", dnis="7000", patience=3.0))
            await sim.wait_calls_ended(10)
        server.check()
    by_channel: dict[str, list[str]] = {}
    for m in seen:
        if m.name == "Newexten":
            by_channel.setdefault(m["Channel"], []).append(f"{m['Context']}:{m['Application']}")
    assert by_channel[done.channel][-1] == "ivr-acd-inbound:Hangup"
    assert "ivr-acd-fallback:Queue" in by_channel[crashed.channel]
    assert done.hung_up_by == "system"
    assert crashed.abandoned


async def test_presses_at_an_absolute_time_and_after_listening(tmp_path: Path) -> None:
    async def daemon(peer: AgiPeer) -> None:
        await peer.send("ANSWER")
        await peer.send("EXEC Wait 2")  # nobody listens: the first key is lost
        assert (await peer.send("WAIT FOR DIGIT 5000")).format() == "200 result=57"

    async with fastagi(daemon) as server:
        async with running(sim_config(tmp_path, agi_target=("127.0.0.1", server.port))) as sim:
            presses = [Press("7", at=1.0), Press("9", after=0.5)]
            call = sim.place_call(Caller(dnis="5000", presses=presses, patience=5.0))
            await call.wait_ended(10)
        server.check()
    assert call.pressed_digits == "79"
    assert call.answered_at is not None
    assert abs(call.keys[0][0] - (call.answered_at + 1.1)) < 0.3


async def test_dial_to_a_customer_phone(tmp_path: Path) -> None:
    async with running(sim_config(tmp_path)) as sim:
        sim.add_device("PJSIP/_555XXXX@trunk", answer_after=0.5)
        seen = _tap(sim)
        client = await AmiClient.connect(sim.ami_port)
        await client.login()
        reasons = await _originate_reasons(client, {"cb": "Local/5551234@ivr-acd-outbound"}, timeout_ms=5000)
        assert reasons == {"cb": "4"}
        customer = sim.device_calls[0]
        await customer.wait_ended(5)
        assert customer.number == "5551234"
        assert customer.channel.startswith("PJSIP/trunk-")
        assert customer.hung_up_by == "peer"
        dial_begin = next(m for m in seen if m.name == "DialBegin" and m["DestChannel"] == customer.channel)
        assert dial_begin.keys[2] == "Channel"
        assert dial_begin["DialString"] == "5551234@trunk"
        dial_end = next(m for m in seen if m.name == "DialEnd" and m["DestChannel"] == customer.channel)
        assert dial_end["DialStatus"] == "ANSWER"
        await client.close()


def test_shipped_dialplan_path_exists() -> None:
    assert SHIPPED_DIALPLAN.exists()


async def test_originate_channel_id_and_bridge_f_option(tmp_path: Path) -> None:
    """Originate's ChannelId names the agent leg before OriginateResponse does, and when the
    agent hangs up, Bridge()'s F() sends the caller to ivr-acd-after-call: a new AGI session."""
    box: dict[str, AmiClient] = {}
    scripts: list[str] = []
    refusals: list[AmiMessage] = []

    async def daemon(peer: AgiPeer) -> None:
        scripts.append(peer.env["agi_network_script"])
        if peer.env["agi_network_script"] == "after-call":
            await peer.send("SET VARIABLE IVR_ACD_DONE 1")
            await peer.send("HANGUP")
            return
        await peer.send("ANSWER")
        box["ami"].send(
            AmiMessage.build(
                [("Action", "Originate"), ("ActionID", "a1"), ("Channel", "PJSIP/1001")],
                Context="ivr-acd-connect",
                Exten="s",
                Priority=1,
                ChannelId="agentleg-1",
                Variable=f"ACD_CALLER={peer.env['agi_channel']}",
                Async="true",
                Timeout=10000,
            )
        )
        # A second originate reusing a live channel's uniqueid is refused, as Asterisk does.
        box["ami"].send(
            AmiMessage.build(
                [("Action", "Originate"), ("ActionID", "dup"), ("Channel", "PJSIP/1002")],
                Context="ivr-acd-connect",
                Exten="s",
                ChannelId=peer.env["agi_uniqueid"],
            )
        )
        refusals.append(await box["ami"].wait_for(lambda m: m.action_id == "dup"))
        await peer.send("EXEC MusicOnHold default,30")

    async with fastagi(daemon) as server:
        config = sim_config(tmp_path, agi_target=("127.0.0.1", server.port))
        async with running(config) as sim:
            sim.add_device("PJSIP/1001", answer_after=0.5, talk=1.0)
            seen = _tap(sim)
            box["ami"] = await AmiClient.connect(sim.ami_port)
            await box["ami"].login()
            call = sim.place_call(Caller(number="5551234", dnis="5000"))
            await call.wait_ended(10)
            await box["ami"].close()
        server.check()
    newchannel = next(m for m in seen if m.name == "Newchannel" and m["Channel"].startswith("PJSIP/1001-"))
    assert newchannel["Uniqueid"] == "agentleg-1"
    response = next(m for m in seen if m.name == "OriginateResponse")
    assert (response["Uniqueid"], response["Reason"]) == ("agentleg-1", "4")
    assert scripts == ["inbound?dnis=5000", "after-call"]
    assert call.connected
    assert [(m["Response"], m["Message"]) for m in refusals] == [("Error", "Uniqueid already in use")]


async def test_originate_through_the_outbound_context_reports_the_customer_outcome(tmp_path: Path) -> None:
    """Dial() passes the callee's ringing back through the Local channel (Reason 3 when it
    times out), and the shipped ivr-acd-outbound context signals a busy callee (Reason 5)."""
    async with running(sim_config(tmp_path)) as sim:
        sim.add_device("PJSIP/5550001@trunk", mode="noanswer")
        sim.add_device("PJSIP/5550002@trunk", mode="busy")
        client = await AmiClient.connect(sim.ami_port)
        await client.login()
        reasons = await _originate_reasons(
            client,
            {"noanswer": "Local/5550001@ivr-acd-outbound", "busy": "Local/5550002@ivr-acd-outbound"},
            timeout_ms=4000,
        )
        await client.close()
    assert reasons == {"noanswer": "3", "busy": "5"}


async def test_press_when_a_given_prompt_is_heard(tmp_path: Path) -> None:
    """``Press(when=…)`` answers one prompt, however many listening moments come before it."""

    async def daemon(peer: AgiPeer) -> None:
        await peer.send("ANSWER")
        assert (await peer.send("WAIT FOR DIGIT 1000")).format() == "200 result=0"  # music: no key
        assert (await peer.send('STREAM FILE custom/menu "12"')).format().startswith("200 result=0")
        reply = await peer.send('STREAM FILE custom/offer "12"')
        assert reply.format().startswith("200 result=49")  # "1" pressed during the offer

    async with fastagi(daemon) as server:
        async with running(sim_config(tmp_path, agi_target=("127.0.0.1", server.port))) as sim:
            call = sim.place_call(
                Caller(dnis="5000", presses=[Press("1", when="custom/offer", after=0.3)], patience=5.0)
            )
            await call.wait_ended(10)
        server.check()
    assert call.pressed_digits == "1"
