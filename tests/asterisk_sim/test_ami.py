"""The AMI server: login (plain and MD5), permissions, event filtering, actions, garbage."""

from __future__ import annotations

import hashlib
from pathlib import Path

from telephony.ami.message import AmiMessage, action
from tests.asterisk_sim.helpers import AmiClient, running, sim_config


async def test_login_failure_closes_and_nothing_runs_before_login(tmp_path: Path) -> None:
    async with running(sim_config(tmp_path)) as sim:
        client = await AmiClient.connect(sim.ami_port)
        denied = await client.action("Ping")
        assert (denied["Response"], denied["Message"]) == ("Error", "Permission denied")
        failed = await client.login("ivr-acd", "wrong")
        assert (failed["Response"], failed["Message"]) == ("Error", "Authentication failed")
        assert failed.keys == ("Response", "ActionID", "Message")
        await client.wait_closed()
        assert sim.stats.ami_errors >= 1
        await client.close()


async def test_login_sends_fully_booted_and_successful_auth(tmp_path: Path) -> None:
    async with running(sim_config(tmp_path)) as sim:
        client = await AmiClient.connect(sim.ami_port)
        accepted = await client.login()
        assert accepted["Message"] == "Authentication accepted"
        booted = await client.wait_for(lambda m: m.name == "FullyBooted")
        assert booted.keys == ("Event", "Privilege", "Uptime", "LastReload", "Status")
        auth = await client.wait_for(lambda m: m.name == "SuccessfulAuth")
        assert auth["Privilege"] == "security,all"
        assert auth["AccountID"] == "ivr-acd"
        pong = await client.action("Ping")
        assert pong.keys == ("Response", "ActionID", "Ping", "Timestamp")
        assert pong["Ping"] == "Pong"
        await client.close()


async def test_md5_challenge_login(tmp_path: Path) -> None:
    async with running(sim_config(tmp_path)) as sim:
        client = await AmiClient.connect(sim.ami_port)
        challenge = (await client.action("Challenge", AuthType="md5"))["Challenge"]
        key = hashlib.md5((challenge + "ivr-acd").encode(), usedforsecurity=False).hexdigest()
        ok = await client.action("Login", AuthType="md5", Username="ivr-acd", Key=key)
        assert ok["Message"] == "Authentication accepted"
        await client.close()
        client = await AmiClient.connect(sim.ami_port)
        challenge = (await client.action("Challenge", AuthType="md5"))["Challenge"]
        bad = await client.action("Login", AuthType="md5", Username="ivr-acd", Key="0" * 32)
        assert bad["Message"] == "Authentication failed"
        await client.close()


async def test_events_off_and_class_filters(tmp_path: Path) -> None:
    async with running(sim_config(tmp_path)) as sim:
        quiet = await AmiClient.connect(sim.ami_port)
        await quiet.login(Events="off")
        user_only = await AmiClient.connect(sim.ami_port)
        await user_only.login(Events="user")
        everything = await AmiClient.connect(sim.ami_port)
        await everything.login()
        await everything.action("UserEvent", UserEvent="One", Queue="sales")
        await everything.action(
            "Originate", Channel="Local/1@nowhere", Application="Wait", Data="1", Async="true"
        )
        await everything.wait_for(lambda m: m.name == "OriginateResponse")
        await user_only.wait_for(lambda m: m.name == "UserEvent")
        assert {m.name for m in user_only.messages if m.kind == "event"} == {"UserEvent"}
        assert [m for m in quiet.messages if m.kind == "event"] == []
        switched = await quiet.action("Events", EventMask="on")
        assert switched["Events"] == "On"
        await everything.action("UserEvent", UserEvent="Two")
        await quiet.wait_for(lambda m: m.name == "UserEvent")
        for client in (quiet, user_only, everything):
            await client.close()


async def test_actions_as_misc_txt_shows_them(tmp_path: Path) -> None:
    async with running(sim_config(tmp_path)) as sim:
        client = await AmiClient.connect(sim.ami_port)
        await client.login()
        start = len(client.messages)
        client.send(
            action("UserEvent", [("ActionID", "U1")], UserEvent="AcdQueueStats", Queue="sales", Waiting=3)
        )
        sent = await client.wait_for(lambda m: m.action_id == "U1" and m.kind == "response", start)
        event = await client.wait_for(lambda m: m.name == "UserEvent", start)
        assert client.messages.index(sent) < client.messages.index(event)  # the response comes first
        assert event.fields == (
            ("Event", "UserEvent"),
            ("Privilege", "user,all"),
            ("UserEvent", "AcdQueueStats"),
            ("ActionID", "U1"),
            ("Queue", "sales"),
            ("Waiting", "3"),
        )
        nope = await client.action("Getvar", Channel="Local/s@queue-ref-00000000;2", Variable="CALLERID(num)")
        assert (nope["Response"], nope["Message"]) == ("Error", "No such channel")
        unknown = await client.action("NoSuchAction")
        assert unknown["Message"] == (
            "Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands."
        )
        await client.wait_for(lambda m: m.name == "RequestBadFormat")
        uptime = await client.action("Command", Command="core show uptime")
        assert uptime["Message"] == "Command output follows"
        assert uptime.get_all("Output")[0].startswith("System uptime: ")
        count = await client.action("Command", Command="core show channels count")
        assert count.get_all("Output") == ["0 active channels", "0 active calls", "0 calls processed"]
        listed = await client.action("CoreShowChannels")
        assert (listed["EventList"], listed["Message"]) == ("start", "Channels will follow")
        done = await client.wait_for(lambda m: m.name == "CoreShowChannelsComplete")
        assert (done["EventList"], done["ListItems"]) == ("Complete", "0")
        gv = await client.action("Getvar", Variable="IVR_ACD_FALLBACK_QUEUE")
        assert gv["Value"] == "ivr-acd-fallback"
        bye = await client.action("Logoff")
        assert bye["Response"] == "Goodbye"
        await client.wait_closed()
        await client.close()


async def test_garbage_closes_that_connection_only(tmp_path: Path) -> None:
    async with running(sim_config(tmp_path)) as sim:
        good = await AmiClient.connect(sim.ami_port)
        await good.login()
        bad = await AmiClient.connect(sim.ami_port)
        bad.writer.write(b"this line has no colon\r\n\r\n")
        await bad.wait_closed()
        huge = await AmiClient.connect(sim.ami_port)
        huge.writer.write(b"Action: Ping\r\nX: " + b"y" * 10000 + b"\r\n\r\n")
        await huge.wait_closed()
        assert sim.stats.ami_connections_closed_on_garbage == 2
        assert (await good.action("Ping"))["Ping"] == "Pong"
        for client in (good, bad, huge):
            await client.close()


def _names(messages: list[AmiMessage]) -> list[str]:
    return [m.name for m in messages]
