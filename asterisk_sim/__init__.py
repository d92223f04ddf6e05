"""A simulated Asterisk 22 (AMI server + the Asterisk side of FastAGI) for tests, the demo
and capacity planning. It behaves as the recordings in tests/traces/asterisk22 show; it is
a test instrument, never a replacement for Asterisk in production (docs/simulator.md).

Embedding::

    async with Simulator(SimulatorConfig(speed=0.05, agi_target=("127.0.0.1", port))) as sim:
        sim.add_device("PJSIP/10XX", DeviceBehaviour.answering(after=2, talk=30))
        call = sim.place_call(Caller(number="5551234", dnis="5000", presses=["1"], patience=60))
        await call.wait_ended()
"""

from asterisk_sim.ami.users import AmiUser
from asterisk_sim.core import Timing
from asterisk_sim.devices import DeviceBehaviour, Mode
from asterisk_sim.records import CallRecord
from asterisk_sim.scenario import Caller, Press
from asterisk_sim.simulator import Simulator, SimulatorConfig
from asterisk_sim.sounds import SoundTable

__all__ = [
    "AmiUser",
    "CallRecord",
    "Caller",
    "DeviceBehaviour",
    "Mode",
    "Press",
    "Simulator",
    "SimulatorConfig",
    "SoundTable",
    "Timing",
]
