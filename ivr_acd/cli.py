"""``ivr-acd``: the daemon, the demo, and the tools engineers and supervisors run.

ivr-acd run [--config config/ivr-acd.yaml]   serve FastAGI, drive AMI (SIGHUP reloads, SIGTERM drains)
ivr-acd demo [--duration 60]                 simulator + daemon + synthetic traffic, with a live view
ivr-acd lint [PATH…]                         check the whole configuration (or just these dialplans)
ivr-acd test [PATH…]                         run the dialplan test cases (*.test.yaml)
ivr-acd schema                               the JSON Schema of the dialplan language
ivr-acd graph FILE [--format dot|mermaid|svg] a dialplan as a diagram
ivr-acd report …                             contact-centre metrics from the database
ivr-acd stats …                              live queue and agent table over AMI
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from configlang.diagnostics import Diagnostics
from ivr_acd import logs

DEFAULT_CONFIG = Path("config/ivr-acd.yaml")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ivr-acd`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    handlers = {
        "run": _run,
        "demo": _demo,
        "lint": _lint,
        "reload": _reload,
        "test": _test,
        "schema": _schema,
        "graph": _graph,
        "report": _report,
        "stats": _stats,
    }
    handler = handlers.get(command)
    if handler is None:
        print(f"ivr-acd: unknown command {command!r}; try ivr-acd --help", file=sys.stderr)
        return 2
    return handler(rest)


def _config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=DEFAULT_CONFIG, help="daemon settings (default: %(default)s)"
    )


def _run(argv: list[str]) -> int:
    from ivr_acd.daemon import Daemon, serve
    from ivr_acd.settings import load_settings

    parser = argparse.ArgumentParser(prog="ivr-acd run", description="Run the daemon.")
    _config_argument(parser)
    args = parser.parse_args(argv)
    diags = Diagnostics()
    settings = load_settings(args.config, diags)
    for diagnostic in diags:
        print(diagnostic.format(), file=sys.stderr)
    if settings is None:
        return 2
    logs.setup(settings.log_level)
    return asyncio.run(serve(Daemon(settings)))


def _demo(argv: list[str]) -> int:
    from ivr_acd.demo import demo_main

    return demo_main(argv)


def _lint(argv: list[str]) -> int:
    from ivr_acd.config_set import load_config_set
    from ivr_acd.settings import load_settings

    parser = argparse.ArgumentParser(
        prog="ivr-acd lint",
        description="Check the configuration: settings, queues, agents and dialplans "
        "(or only the dialplan files given). Prints file:line:col: message lines; exit 1 on errors.",
    )
    parser.add_argument("paths", nargs="*", type=Path, help="dialplan files or folders (default: everything)")
    _config_argument(parser)
    parser.add_argument("--strict", action="store_true", help="warnings fail too")
    args = parser.parse_args(argv)
    diags = Diagnostics()
    settings = load_settings(args.config, diags, _display(args.config), resolve_secrets=False)
    if settings is not None and args.paths:
        from acd.queue_config import load_queues
        from ivr.compiler import compile_paths
        from ivr_acd.config_set import check_callback_steps

        queues = load_queues(settings.queues, diags, _display(settings.queues))
        result = compile_paths(args.paths, known_queues=set(queues), sounds_dir=settings.sounds)
        diags.extend(result.diagnostics)
        check_callback_steps(queues, dict(result.dialplans), diags, _display(settings.queues))
    elif settings is not None:
        _, found = load_config_set(settings)
        diags.extend(found)
    for diagnostic in diags:
        print(diagnostic.format())
    if diags.has_errors or (args.strict and len(diags)):
        return 1
    return 0


def _reload(argv: list[str]) -> int:
    from ivr_acd.config_set import load_config_set
    from ivr_acd.settings import load_settings

    parser = argparse.ArgumentParser(
        prog="ivr-acd reload",
        description="Check every configuration file; if all are good, tell the running daemon (SIGHUP) to reload. "
        "Calls in progress finish on the dialplans they started with.",
    )
    _config_argument(parser)
    args = parser.parse_args(argv)
    diags = Diagnostics()
    settings = load_settings(args.config, diags, _display(args.config), resolve_secrets=False)
    if settings is not None:
        _, found = load_config_set(settings)
        diags.extend(found)
    for diagnostic in diags:
        print(diagnostic.format())
    if settings is None or diags.has_errors:
        print("ivr-acd reload: not reloading; the configuration in force stays", file=sys.stderr)
        return 1
    if settings.pid_file is None or not settings.pid_file.exists():
        print("ivr-acd reload: no running daemon (no pid file); nothing to reload", file=sys.stderr)
        return 1
    try:
        os.kill(int(settings.pid_file.read_text().strip()), signal.SIGHUP)
    except (ValueError, ProcessLookupError, PermissionError) as exc:
        print(f"ivr-acd reload: cannot signal the daemon: {exc}", file=sys.stderr)
        return 1
    print("ivr-acd reload: configuration checked; the daemon is reloading it")
    return 0


def _test(argv: list[str]) -> int:
    from acd.queue_config import load_queues
    from ivr.testing.report import run_dialplan_tests

    parser = argparse.ArgumentParser(
        prog="ivr-acd test", description="Run dialplan test cases (*.test.yaml)."
    )
    parser.add_argument(
        "paths", nargs="*", default=["dialplans"], help="folders or test files (default: dialplans)"
    )
    parser.add_argument("--queues", type=Path, default=Path("config/queues.yaml"), help="queues file")
    args = parser.parse_args(argv)
    queues: set[str] | None = None
    if args.queues.exists():
        queues = set(load_queues(args.queues, Diagnostics()))
    return run_dialplan_tests(args.paths, known_queues=queues)


def _schema(argv: list[str]) -> int:
    from ivr.schema import schema_text

    argparse.ArgumentParser(prog="ivr-acd schema", description="Print the dialplan JSON Schema.").parse_args(
        argv
    )
    print(schema_text(), end="")  # the text ends with its newline, as docs/dialplan.schema.json does
    return 0


def _graph(argv: list[str]) -> int:
    from ivr.compiler import compile_paths
    from ivr.graph import graph

    parser = argparse.ArgumentParser(prog="ivr-acd graph", description="Render a dialplan as a diagram.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--format", choices=("dot", "mermaid", "svg"), default="dot")
    parser.add_argument("--output", type=Path, help="write here instead of standard output")
    args = parser.parse_args(argv)
    result = compile_paths([args.file])
    for diagnostic in result.diagnostics:
        print(diagnostic.format(), file=sys.stderr)
    if not result.dialplans:
        return 1
    dialplan = next(iter(result.dialplans.values()))
    if args.format == "svg":
        dot = shutil.which("dot")
        if dot is None:
            print("ivr-acd graph: SVG needs Graphviz's `dot` (apt-get install graphviz)", file=sys.stderr)
            return 1
        text = subprocess.run(  # noqa: S603 (fixed program, our own input)
            [dot, "-Tsvg"], input=graph(dialplan, "dot"), capture_output=True, text=True, check=True
        ).stdout
    else:
        text = graph(dialplan, args.format)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return 0


def _report(argv: list[str]) -> int:
    from ivr_acd.report import report_main

    return report_main(argv)


def _stats(argv: list[str]) -> int:
    from ivr_acd.stats_cli import stats_main

    return stats_main(argv)


def _display(path: Path) -> str:
    from ivr_acd.config_set import display

    return display(path)


if __name__ == "__main__":
    sys.exit(main())
