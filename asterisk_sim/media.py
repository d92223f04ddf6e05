"""Audio with a duration: playing files (interruptible by DTMF) and waiting for digits.

Every file has a length (:mod:`asterisk_sim.sounds`). Playback waits that long in
simulated time unless a digit from the escape set arrives (the digit's code is returned,
as ``STREAM FILE`` reports it) or the channel is interrupted. Positions are in 8 kHz
samples, advancing a 20 ms frame at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from asterisk_sim.channel import Channel, WaitKind
from asterisk_sim.sounds import played_samples


@dataclass(frozen=True)
class PlayResult:
    """How a playback ended."""

    digit: str = ""
    interrupted: bool = False
    samples: int = 0
    """Position in the last file reached, in samples (its length when played to the end)."""

    @property
    def code(self) -> int:
        """The AGI ``result=``: the digit's character code, ``-1`` if interrupted, else 0."""
        if self.digit:
            return ord(self.digit)
        return -1 if self.interrupted else 0


async def play(chan: Channel, files: list[str], escape: str = "", offset: int = 0) -> PlayResult:
    """Play ``files`` in order; ``escape`` digits stop playback; ``offset`` skips samples of the first."""
    sounds = chan.core.config.sounds
    clock = chan.core.clock
    result = PlayResult()
    for index, name in enumerate(files):
        total = sounds.samples(name)
        start_at = min(offset, total) if index == 0 else 0
        if chan.observer is not None:
            chan.observer.heard(name, chan.language)
        started = clock.now()
        waited = await chan.wait((total - start_at) / 8000, escape)
        if waited.kind is WaitKind.TIMEOUT:
            result = PlayResult(samples=total)
            continue
        position = start_at + played_samples(clock.now() - started, total - start_at)
        if waited.kind is WaitKind.DIGIT:
            return PlayResult(digit=waited.digit, samples=position)
        return PlayResult(interrupted=True, samples=position)
    return result
