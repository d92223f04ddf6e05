"""Asterisk's two protocols, AGI and AMI: sans-I/O codecs and thin asyncio adapters.

Layering (see docs/architecture.md): ``telephony.agi.codec`` and ``telephony.ami.codec`` turn
bytes into typed events and typed commands into bytes, with no sockets, no asyncio and no
clock. ``telephony.agi.server`` and ``telephony.ami.client`` wrap them in asyncio.
"""
