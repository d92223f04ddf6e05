#!/usr/bin/env python3
"""The classic-AGI baseline: B1's call written as a pyst2 script, one process per call.

This is how many Asterisk installations run an IVR today: ``AGI(bench.py)`` forks a Python
process per call, which reads the ``agi_*`` environment from standard input and then writes
commands to standard output and reads each reply from standard input. The steps are those of
``bench/fastagi_setup.py``'s dialplan and send the same command sequence as the daemon does
for it: answer, welcome, menu (one key), six digits, set a variable, hang up.
"""

from __future__ import annotations

from asterisk.agi import AGI

ALL_KEYS = "0123456789*#"


def main() -> None:
    """One call."""
    agi = AGI()
    agi.answer()
    agi.stream_file("custom/welcome")
    key = agi.stream_file("custom/main-menu", ALL_KEYS)
    if key in ("1", "2"):
        digits = agi.stream_file("custom/enter-account-number", ALL_KEYS)
        while digits and len(digits) < 6:
            digit = agi.wait_for_digit(3000)
            if not digit:
                break
            digits += digit
        agi.set_variable("BENCH_ACCOUNT", digits)
    agi.set_variable("IVR_ACD_DONE", "1")
    agi.hangup()


if __name__ == "__main__":
    main()
