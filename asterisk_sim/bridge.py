"""Two-party basic bridges, as ``Bridge()`` and ``Dial()`` create them.

Rules (connect_moh.txt 2.215 and 5.719–5.723):

1. ``BridgeCreate`` (0 channels), then each ``BridgeEnter`` with the count after entering;
   the linkedids merge to the oldest; ``BRIDGEPEER`` is set on both; each side's connected
   line becomes the other's caller ID (``NewConnectedLine``), and a Local half passes that
   on to its other half.
2. When a member leaves (hang-up, redirect), ``BRIDGEPEER`` is cleared on both, the
   leaver gets ``BridgeLeave``, and the bridge dissolves: the other member gets its
   ``BridgeLeave`` and is kicked out to carry on with its own dialplan.
3. ``BridgeDestroy`` is published by whoever created the bridge (the ``Bridge()`` or
   ``Dial()`` application), once it regains control after the bridge dissolved.
"""

from __future__ import annotations

from asterisk_sim import events
from asterisk_sim.channel import Channel, WaitKind, merge_linkedids


class Bridge:
    """A basic bridge."""

    def __init__(self, chan_for_core: Channel) -> None:
        core = chan_for_core.core
        self.core = core
        self.uniqueid = core.new_bridge_id()
        self.members: list[Channel] = []
        self.destroyed = False
        self.dissolved = False
        core.stats.bridges += 1
        core.bus.publish(events.bridge_event("BridgeCreate", self))

    @property
    def num_channels(self) -> int:
        """``BridgeNumChannels``."""
        return len(self.members)

    def enter(self, chan: Channel) -> None:
        """Add a channel (``BridgeEnter``)."""
        if chan.bridge is not None and chan.bridge is not self:
            chan.bridge.leave(chan)
        chan.bridge = self
        self.members.append(chan)
        merge_linkedids(self.members)
        chan.publish(events.bridge_event("BridgeEnter", self, chan))

    def connect_peers(self) -> None:
        """Once both are in: BRIDGEPEER on each, then the connected-line exchange."""
        if len(self.members) != 2:
            return
        a, b = self.members
        a.set_variable("BRIDGEPEER", b.name)
        b.set_variable("BRIDGEPEER", a.name)
        # The newer channel hears about the older one first, as in connect_moh.txt.
        b.set_connected(a.caller)
        a.set_connected(b.caller)
        for chan in (b, a):
            chan.forward_connected_to_partner()
        now = self.core.clock.now()
        for chan, peer in ((a, b), (b, a)):
            if chan.observer is not None:
                chan.observer.bridged(peer.name, now)

    def leave(self, chan: Channel) -> None:
        """``chan`` leaves; a two-party bridge then dissolves and kicks the other member."""
        if chan not in self.members:
            return
        if len(self.members) == 2 and not self.dissolved:
            for member in (chan, *[m for m in self.members if m is not chan]):
                member.set_variable("BRIDGEPEER", "")
        self._remove(chan, first=not self.dissolved)
        if not self.dissolved:
            self.dissolved = True
            for member in list(self.members):
                self._remove(member, first=False)
                member.kick()

    def _remove(self, chan: Channel, *, first: bool) -> None:
        self.members.remove(chan)
        chan.bridge = None
        chan.publish(events.bridge_event("BridgeLeave", self, chan))
        if chan.observer is not None:
            chan.observer.unbridged(self.core.clock.now(), left_first=first)

    def destroy(self) -> None:
        """``BridgeDestroy`` (once)."""
        if self.destroyed:
            return
        for member in list(self.members):
            self.leave(member)
        self.destroyed = True
        self.core.bus.publish(events.bridge_event("BridgeDestroy", self))


async def stay_in_bridge(chan: Channel) -> bool:
    """Wait while ``chan`` is bridged; True when the bridge dissolved under it (it was kicked).

    When ``chan`` itself is interrupted (hang-up, redirect) it leaves, which dissolves the
    bridge and kicks the other member.
    """
    while chan.bridge is not None:
        result = await chan.wait(None)
        if result.kind is WaitKind.KICKED:
            return True
        bridge = chan.bridge
        if bridge is not None and chan.interrupted:
            bridge.leave(chan)
            return False
    return True
