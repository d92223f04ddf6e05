"""`ivr-acd test [PATH...]`: run the dialplan test cases and print a readable report."""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import TextIO

from configlang.diagnostics import Diagnostics
from ivr.compiler import compile_paths
from ivr.testing.caller import run_case
from ivr.testing.cases import load_cases
from ivr.testing.verdict import compare

TEST_PATTERNS = ("*.test.yaml", "*.test.yml")


def test_files(paths: Iterable[str | Path]) -> list[Path]:
    """`*.test.yaml` files named by `paths` (directories are searched recursively)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(item for pattern in TEST_PATTERNS for item in path.rglob(pattern)))
        elif path.exists():
            found.append(path)
    return found


def run_dialplan_tests(
    paths: Iterable[str | Path] = ("dialplans",),
    *,
    known_queues: Collection[str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Run every test case under `paths` against the dialplans beside the test files.

    Prints one line per case and the details of each failure; returns 0 when all pass, 1 when
    a case fails, a dialplan does not compile or a test file is malformed.
    """
    stream = out if out is not None else sys.stdout
    files = test_files(paths)
    if not files:
        print("no dialplan tests found (*.test.yaml)", file=stream)
        return 1
    directories = sorted({file.parent for file in files})
    result = compile_paths(directories, known_queues=known_queues)
    errors = [item for item in result.diagnostics if item.severity == "error"]
    for diagnostic in errors:
        print(diagnostic.format(), file=stream)
    if errors:
        print("the dialplans do not compile; fix them before running their tests", file=stream)
        return 1
    passed = failed = 0
    for file in files:
        diags = Diagnostics()
        cases = load_cases(file, diags)
        print(str(file), file=stream)
        for diagnostic in diags:
            print(f"  {diagnostic.format()}", file=stream)
        if diags.has_errors:
            failed += 1
            continue
        for case in cases:
            if case.dialplan not in result.dialplans:
                print(f"  FAIL  {case.name}  ({case.mark})", file=stream)
                print(f'        no dialplan named "{case.dialplan}"', file=stream)
                failed += 1
                continue
            run = run_case(result.dialplans, case)
            problems = compare(case.expect, run)
            if not problems:
                passed += 1
                print(f"  PASS  {case.name}", file=stream)
                continue
            failed += 1
            print(f"  FAIL  {case.name}  ({case.mark.file}:{case.mark.line})", file=stream)
            for problem in problems:
                print(f"        {problem.what}:", file=stream)
                for line in problem.lines:
                    print(f"          {line}", file=stream)
            if run.unused_keys:
                print(f"        (keys never used: {' '.join(run.unused_keys)})", file=stream)
    print("", file=stream)
    print(f"{passed} passed, {failed} failed", file=stream)
    return 0 if failed == 0 else 1
