"""Compile a set of dialplan files together: each file alone, then what links them (names,
called numbers, sub-dialplan calls, variables read but never set)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from configlang.diagnostics import Diagnostic, Diagnostics
from configlang.docpath import DocPath
from configlang.expect import did_you_mean
from configlang.source import Node, load_yaml, load_yaml_file
from ivr.compiler.context import FileContext
from ivr.compiler.document import compile_document, dialplan_name_for
from ivr.compiler.sounds import SoundLibrary, SoundsDirectory
from ivr.model import Dialplan
from ivr.variables import is_builtin

TEST_SUFFIXES = (".test.yaml", ".test.yml")


@dataclass(frozen=True)
class CompileResult:
    """The dialplans that compiled without error, by name, and every diagnostic of the run."""

    dialplans: Mapping[str, Dialplan]
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no error (warnings allowed) was found."""
        return not any(item.severity == "error" for item in self.diagnostics)

    @property
    def numbers(self) -> dict[str, str]:
        """Called number (DNIS) → the name of the dialplan that answers it."""
        return {number: plan.name for plan in self.dialplans.values() for number in plan.numbers}


def dialplan_files(paths: Iterable[str | Path]) -> list[Path]:
    """The dialplan files named by `paths`: files as given, directories searched recursively for
    `*.yaml`/`*.yml` (test files `*.test.yaml` left out), in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            candidates = sorted([*path.rglob("*.yaml"), *path.rglob("*.yml")])
            found.extend(item for item in candidates if not item.name.endswith(TEST_SUFFIXES))
        else:
            found.append(path)
    return found


def compile_paths(
    paths: Iterable[str | Path],
    *,
    known_queues: Collection[str] | None = None,
    sounds_dir: str | Path | None = None,
) -> CompileResult:
    """Compile every dialplan file under `paths` together.

    `known_queues`: the queue names that exist (None: do not check). `sounds_dir`: the Asterisk
    sounds directory to check prompts against (None: do not check).
    """
    diags = Diagnostics()
    units: list[_Unit] = []
    for path in dialplan_files(paths):
        ctx = FileContext(diags, str(path))
        before = diags.error_count()
        root = load_yaml_file(path, diags, str(path))
        ctx.failed = diags.error_count() > before
        units.append(_Unit(ctx, root))
    return _compile_units(units, diags, known_queues, _library(sounds_dir))


def compile_sources(
    sources: Mapping[str, str],
    *,
    known_queues: Collection[str] | None = None,
    sounds_dir: str | Path | None = None,
) -> CompileResult:
    """Like `compile_paths`, from texts keyed by the file name to report (no file is read)."""
    diags = Diagnostics()
    units: list[_Unit] = []
    for name, text in sources.items():
        ctx = FileContext(diags, name)
        before = diags.error_count()
        root = load_yaml(text, name, diags)
        ctx.failed = diags.error_count() > before
        units.append(_Unit(ctx, root))
    return _compile_units(units, diags, known_queues, _library(sounds_dir))


@dataclass
class _Unit:
    ctx: FileContext
    root: Node | None


def _library(sounds_dir: str | Path | None) -> SoundLibrary | None:
    return SoundsDirectory(Path(sounds_dir)) if sounds_dir is not None else None


def _compile_units(
    units: list[_Unit], diags: Diagnostics, known_queues: Collection[str] | None, sounds: SoundLibrary | None
) -> CompileResult:
    compiled: dict[str, Dialplan] = {}
    owners: dict[str, str] = {}  # dialplan name → its file, files with errors included
    for unit in units:
        dialplan = compile_document(unit.ctx, unit.root, known_queues=known_queues, sounds=sounds)
        name = unit.ctx.name or dialplan_name_for(unit.ctx.file)
        if name in owners:
            diags.error(
                unit.ctx.name_mark,
                f'dialplan "{name}" is also defined in {owners[name]}',
                DocPath(("dialplan",)),
            )
            continue
        owners[name] = unit.ctx.file
        if dialplan is not None:
            compiled[name] = dialplan
    _check_calls(units, owners, diags)
    _check_numbers(compiled, diags)
    _check_variables(units)
    failed = {unit.ctx.name for unit in units if unit.ctx.failed}
    return CompileResult(
        {name: plan for name, plan in compiled.items() if name not in failed}, diags.sorted()
    )


def _check_calls(units: list[_Unit], owners: Mapping[str, str], diags: Diagnostics) -> None:
    for unit in units:
        for ref in unit.ctx.dialplan_refs:
            if ref.name not in owners:
                known = ", ".join(sorted(owners)) or "none"
                diags.error(
                    ref.mark,
                    f'unknown dialplan "{ref.name}"{did_you_mean(ref.name, owners)} (dialplans: {known})',
                    ref.path,
                )
                unit.ctx.failed = True


def _check_numbers(compiled: Mapping[str, Dialplan], diags: Diagnostics) -> None:
    claimed: dict[str, str] = {}
    for plan in compiled.values():
        for number in plan.numbers:
            if number in claimed:
                diags.error(
                    plan.mark,
                    f'number "{number}" is routed to both {claimed[number]} and {plan.name}',
                    DocPath(("numbers",)),
                )
            else:
                claimed[number] = plan.name


def _check_variables(units: list[_Unit]) -> None:
    """Warn about variables read somewhere and set nowhere: most often a typo."""
    written: set[str] = set()
    for unit in units:
        written |= unit.ctx.variables_written
    candidates = sorted(written)
    for unit in units:
        reported: set[str] = set()
        for ref in unit.ctx.variables_read:
            if ref.name in written or is_builtin(ref.name) or ref.name in reported:
                continue
            reported.add(ref.name)
            unit.ctx.warning(
                ref.mark,
                f'variable "{ref.name}" is never set by any dialplan, so it reads as null'
                + did_you_mean(ref.name, candidates),
                ref.path,
            )
