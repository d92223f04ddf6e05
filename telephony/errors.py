"""The protocol errors of AGI and AMI, split the way h11 splits them.

* :class:`RemoteProtocolError` is **the** documented error for a misbehaving peer: garbage,
  a line or message over the size limits, a reply nobody asked for, a connection closed in
  the middle of a message. Every codec in :mod:`telephony` raises only this for bad input,
  whatever bytes arrive (property tests feed arbitrary bytes to prove it).
* :class:`LocalProtocolError` means *we* tried to send something the protocol cannot carry
  (a newline inside an AGI argument would inject a second command; a second command while
  one is in flight would desynchronise replies). It is a bug in the caller, never the peer.

The asyncio adapters convert these at one boundary: a remote error closes that one
connection and is logged; it never propagates into the daemon's event loop.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Base class of both protocol errors."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something we cannot accept; the connection cannot continue."""


class LocalProtocolError(ProtocolError):
    """We were asked to send something the protocol cannot carry."""
