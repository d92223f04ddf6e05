"""The parsed dialplan: contexts, extensions with their priorities, globals."""

from __future__ import annotations

from dataclasses import dataclass, field

from asterisk_sim.dialplan.patterns import Pattern, compile_pattern, is_pattern, sort_key


@dataclass(frozen=True)
class Step:
    """One priority: ``exten => 1234,2(label),App(args)``."""

    priority: int
    label: str | None
    app: str
    args: str
    source: str
    """``file:line`` for messages."""


@dataclass
class Extension:
    """An extension's priorities, by number, and its labels."""

    name: str
    steps: dict[int, Step] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    last: int = 0

    def add(self, step: Step) -> None:
        """Add a priority (a duplicate number replaces the earlier one, as Asterisk warns and does)."""
        self.steps[step.priority] = step
        if step.label:
            self.labels[step.label] = step.priority
        self.last = step.priority


@dataclass
class Context:
    """A ``[context]``: literal extensions, patterns (most specific first) and includes."""

    name: str
    literal: dict[str, Extension] = field(default_factory=dict)
    patterns: list[tuple[Pattern, Extension]] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)

    def extension(self, name: str) -> Extension:
        """The extension named exactly ``name``, created when new."""
        if is_pattern(name):
            for pattern, ext in self.patterns:
                if pattern.text == name:
                    return ext
            ext = Extension(name)
            self.patterns.append((compile_pattern(name), ext))
            self.patterns.sort(key=lambda item: sort_key(item[0]))
            return ext
        return self.literal.setdefault(name, Extension(name))

    def match(self, exten: str) -> Extension | None:
        """The extension that handles ``exten`` in this context alone (no includes)."""
        found = self.literal.get(exten)
        if found is not None:
            return found
        for pattern, ext in self.patterns:
            if pattern.matches(exten):
                return ext
        return None


@dataclass
class Dialplan:
    """All contexts and the ``[globals]``."""

    contexts: dict[str, Context] = field(default_factory=dict)
    globals: dict[str, str] = field(default_factory=dict)

    def merge(self, other: Dialplan) -> None:
        """Add another file's contexts (same-named contexts are merged) and globals."""
        for name, ctx in other.contexts.items():
            mine = self.contexts.get(name)
            if mine is None:
                self.contexts[name] = ctx
                continue
            for ext in ctx.literal.values():
                target = mine.extension(ext.name)
                for step in ext.steps.values():
                    target.add(step)
            for _, ext in ctx.patterns:
                target = mine.extension(ext.name)
                for step in ext.steps.values():
                    target.add(step)
            mine.includes.extend(i for i in ctx.includes if i not in mine.includes)
        self.globals.update(other.globals)

    def find(self, context: str, exten: str) -> Extension | None:
        """The extension for ``exten`` in ``context``, searching includes depth first."""
        return self._find(context, exten, set())

    def _find(self, context: str, exten: str, seen: set[str]) -> Extension | None:
        if context in seen:
            return None
        seen.add(context)
        ctx = self.contexts.get(context)
        if ctx is None:
            return None
        found = ctx.match(exten)
        if found is not None:
            return found
        for included in ctx.includes:
            found = self._find(included, exten, seen)
            if found is not None:
                return found
        return None

    def exists(self, context: str, exten: str, priority: int = 1) -> bool:
        """``ast_exists_extension``: the extension and that priority exist."""
        ext = self.find(context, exten)
        return ext is not None and priority in ext.steps

    def step(self, context: str, exten: str, priority: int) -> Step | None:
        """The priority to run, or None when the dialplan ends there."""
        ext = self.find(context, exten)
        return None if ext is None else ext.steps.get(priority)

    def label(self, context: str, exten: str, label: str) -> int | None:
        """The priority number of a label, or None."""
        ext = self.find(context, exten)
        return None if ext is None else ext.labels.get(label)
