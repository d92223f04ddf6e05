"""MQTT adapter: events, statistics and screen pops out; agent and callback commands in.

Topics, payloads and the command protocol are documented in docs/mqtt.md, with a JSON
Schema per payload under docs/mqtt/. The daemon builds an :class:`MqttConfig`, then an
:class:`MqttBridge` around the engine's :class:`acd.commands.CenterPort`.
"""

from ivr_acd.mqtt.auth import sign
from ivr_acd.mqtt.bridge import MqttBridge, MqttMetrics
from ivr_acd.mqtt.config import CommandUser, CommandUserLike, MqttConfig, Permission

__all__ = ["CommandUser", "CommandUserLike", "MqttBridge", "MqttConfig", "MqttMetrics", "Permission", "sign"]
