"""How long each sound lasts, and which files ``SAY …`` plays.

Asterisk reports playback positions in 8 kHz samples (``endpos``), so durations are kept in
samples. The table knows a few files by name (``hello-world`` is 11234 samples long, as in
agi_basic.txt); anything else gets a default, configurable per prefix (``digits/``) or for
all files. A name may be a path or carry an extension; the lookup tries the name as given,
then without directories and extension.
"""

from __future__ import annotations

import datetime as dt
import math
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field

RATE = 8000
FRAME = 160  # 20 ms at 8 kHz: playback advances, and is reported, a frame at a time

DEFAULT_DURATIONS: dict[str, float] = {
    "hello-world": 11234 / RATE,
    "beep": 0.25,
    "macroform-cold_day": 90.0,
    "macroform-robot_dity": 90.0,
    "macroform-the_simplicity": 90.0,
    "pls-hold-while-try": 2.1,
    "vm-intro": 4.5,
}
DEFAULT_PREFIX_DURATIONS: dict[str, float] = {
    "digits/": 0.82,
    "letters/": 0.6,
    "silence/": 1.0,
}


@dataclass
class SoundTable:
    """Durations in simulated seconds: exact names, then prefixes, then a default."""

    durations: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_DURATIONS))
    prefixes: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PREFIX_DURATIONS))
    default: float = 2.0

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, float], default: float | None = None) -> SoundTable:
        """The default table with some files' durations replaced."""
        table = cls()
        table.durations.update(overrides)
        if default is not None:
            table.default = default
        return table

    def duration(self, name: str) -> float:
        """Length of a sound file in seconds."""
        for key in _candidates(name):
            if key in self.durations:
                return self.durations[key]
        silence = _silence_seconds(name)
        if silence is not None:
            return silence
        for prefix, seconds in self.prefixes.items():
            if name.startswith(prefix):
                return seconds
        return self.default

    def samples(self, name: str) -> int:
        """Length in 8 kHz samples, as ``endpos`` reports a file played to its end."""
        return round(self.duration(name) * RATE)


def _candidates(name: str) -> list[str]:
    base = posixpath.basename(name)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    full_stem = name.rsplit(".", 1)[0] if "." in base else name
    out = [name, full_stem, base, stem]
    return list(dict.fromkeys(out))


def _silence_seconds(name: str) -> float | None:
    # silence/1 … silence/10 are N seconds long on a stock install
    if name.startswith("silence/"):
        tail = name[len("silence/") :]
        if tail.isdigit():
            return float(int(tail))
    return None


def played_samples(elapsed: float, total: int) -> int:
    """Samples played after ``elapsed`` seconds, rounded up to whole 20 ms frames."""
    if elapsed <= 0:
        return 0
    frames = math.ceil(elapsed * RATE / FRAME - 1e-9)
    return min(total, frames * FRAME)


# ---------------------------------------------------------------- say.c, English


_ONES = [
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "10",
    "11",
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "18",
    "19",
]


def say_number_files(number: int) -> list[str]:
    """The files Asterisk's English ``SAY NUMBER`` plays, e.g. 42 → digits/40, digits/2."""
    if number < 0:
        return ["digits/minus", *say_number_files(-number)]
    if number == 0:
        return ["digits/0"]
    files: list[str] = []
    for unit, word in ((1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand")):
        if number >= unit:
            files += [*say_number_files(number // unit), f"digits/{word}"]
            number %= unit
    if number >= 100:
        files += [f"digits/{number // 100}", "digits/hundred"]
        number %= 100
    if number >= 20:
        files.append(f"digits/{number // 10 * 10}")
        number %= 10
    if number:
        files.append(f"digits/{_ONES[number]}")
    return files


_DIGIT_NAMES = {"*": "digits/star", "#": "digits/pound", "-": "digits/dash"}


def say_digits_files(digits: str) -> list[str]:
    """``SAY DIGITS``: one file per character."""
    return [_DIGIT_NAMES.get(ch, f"digits/{ch}") for ch in digits if ch.isdigit() or ch in _DIGIT_NAMES]


def say_alpha_files(text: str) -> list[str]:
    """``SAY ALPHA``: letters and digits, one file each."""
    files: list[str] = []
    for ch in text.lower():
        if ch.isdigit() or ch in _DIGIT_NAMES:
            files.extend(say_digits_files(ch))
        elif ch.isalpha():
            files.append(f"letters/{ch}")
        elif ch == " ":
            files.append("letters/space")
    return files


def say_datetime_files(epoch: int) -> list[str]:
    """``SAY DATETIME`` approximated as weekday, month, day, hour and minutes (UTC)."""
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    files = [f"digits/day-{moment.weekday()}", f"digits/mon-{moment.month - 1}"]
    files += say_number_files(moment.day)
    files += say_number_files(moment.hour % 12 or 12)
    if moment.minute:
        files += say_number_files(moment.minute)
    files.append("digits/p-m" if moment.hour >= 12 else "digits/a-m")
    return files
