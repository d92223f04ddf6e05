"""`ivr-acd lint [PATH...]`: compile dialplans and print what is wrong, one line per problem.

Prints nothing and exits 0 when there is nothing to say; exits 1 when there is an error (or,
with --strict, a warning).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TextIO

from ivr.compiler import compile_paths

DEFAULT_PATHS = ("dialplans",)


def build_parser(prog: str = "ivr-acd lint") -> argparse.ArgumentParser:
    """The command line of `lint` (exposed so that the CLI can embed it as a sub-command)."""
    parser = argparse.ArgumentParser(prog=prog, description="Check YAML dialplans.")
    parser.add_argument("paths", nargs="*", default=list(DEFAULT_PATHS), help="files or directories")
    parser.add_argument(
        "--queue",
        action="append",
        dest="queues",
        metavar="NAME",
        help="a queue that exists (repeat; without it, queue names are not checked)",
    )
    parser.add_argument(
        "--sounds", type=Path, metavar="DIR", help="check prompts against this sounds directory"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    return parser


def lint_main(
    argv: Sequence[str] | None = None,
    *,
    known_queues: Collection[str] | None = None,
    sounds_dir: Path | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the linter; returns the exit code. Keyword arguments override the command line (the
    daemon's CLI passes the queues it loaded from its configuration)."""
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    stream = out if out is not None else sys.stdout
    queues = known_queues if known_queues is not None else args.queues
    missing = [path for path in args.paths if not Path(path).exists()]
    for path in missing:
        print(f"{path}: error: no such file or directory", file=stream)
    if missing:
        return 1
    result = compile_paths(args.paths, known_queues=queues, sounds_dir=sounds_dir or args.sounds)
    for diagnostic in result.diagnostics:
        print(diagnostic.format(), file=stream)
    if not result.ok:
        return 1
    if args.strict and result.diagnostics:
        return 1
    return 0
