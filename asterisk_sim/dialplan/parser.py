"""``extensions.conf`` parsing (the subset the project ships and the lab file use).

Supported: ``[context]`` sections, ``exten => pattern,priority(label),App(args)``,
``same => n(label),App(args)``, numeric and ``n`` priorities, ``include => context``,
``[globals]`` (``NAME=value``), ``[general]`` (ignored), ``;`` comments (``\\;`` escapes).
``#include`` and templates are not supported and are reported as errors, never skipped
silently, so a dialplan the simulator cannot run does not pass for one it can.
"""

from __future__ import annotations

from pathlib import Path

from asterisk_sim.dialplan.model import Context, Dialplan, Step
from asterisk_sim.dialplan.patterns import PatternError


class DialplanError(ValueError):
    """A dialplan line the simulator cannot read; the message carries ``file:line``."""


def load_files(paths: list[Path] | tuple[Path, ...]) -> Dialplan:
    """Parse and merge several files."""
    plan = Dialplan()
    for path in paths:
        plan.merge(parse(path.read_text(encoding="utf-8"), source=str(path)))
    return plan


def parse(text: str, source: str = "<string>") -> Dialplan:
    """Parse one ``extensions.conf`` text."""
    plan = Dialplan()
    section: str | None = None
    context: Context | None = None
    last_exten: str | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        where = f"{source}:{lineno}"
        line = _strip_comment(raw).strip()
        if not line:
            continue
        if line.startswith("#"):
            raise DialplanError(f"{where}: {line.split()[0]} is not supported by the simulator")
        if line.startswith("["):
            end = line.find("]")
            if end < 0:
                raise DialplanError(f"{where}: unterminated section header {line!r}")
            if line[end + 1 :].strip():
                raise DialplanError(f"{where}: context templates are not supported: {line!r}")
            section = line[1:end].strip()
            last_exten = None
            if section in ("general", "globals"):
                context = None
            else:
                context = plan.contexts.setdefault(section, Context(section))
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise DialplanError(f"{where}: expected 'key => value', got {line!r}")
        key = key.strip().lower()
        value = value[1:] if value.startswith(">") else value
        value = value.strip()
        if section == "globals":
            plan.globals[line.partition("=")[0].strip()] = value
            continue
        if section == "general" or section is None:
            if section is None:
                raise DialplanError(f"{where}: {key} outside of a context")
            continue
        assert context is not None
        if key == "include":
            context.includes.append(value)
        elif key == "exten":
            name, _, rest = value.partition(",")
            last_exten = name.strip()
            _add_step(context, last_exten, rest, where)
        elif key == "same":
            if last_exten is None:
                raise DialplanError(f"{where}: 'same =>' with no 'exten =>' before it")
            _add_step(context, last_exten, value, where)
        elif key in ("ignorepat", "switch", "lswitch", "eswitch"):
            continue
        else:
            raise DialplanError(f"{where}: unknown dialplan keyword {key!r}")
    return plan


def _strip_comment(line: str) -> str:
    out: list[str] = []
    escaped = False
    for ch in line:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif ch == ";":
            break
        else:
            out.append(ch)
    return "".join(out).replace("\\;", ";")


def _add_step(context: Context, exten: str, rest: str, where: str) -> None:
    prio_text, sep, app_text = rest.partition(",")
    if not sep:
        raise DialplanError(f"{where}: expected 'priority,Application(args)' after the extension")
    prio_text = prio_text.strip()
    label: str | None = None
    if prio_text.endswith(")") and "(" in prio_text:
        prio_text, _, label_part = prio_text.partition("(")
        label = label_part[:-1].strip() or None
        prio_text = prio_text.strip()
    if prio_text.lower() == "hint":
        return
    try:
        ext = context.extension(exten)
    except PatternError as exc:
        raise DialplanError(f"{where}: {exc}") from None
    number = _priority_number(prio_text, ext.last, where)
    app, args = _split_app(app_text.strip(), where)
    ext.add(Step(number, label, app, args, where))


def _priority_number(text: str, last: int, where: str) -> int:
    lowered = text.lower()
    if lowered == "n":
        return last + 1
    if lowered == "s":
        return last
    if lowered.startswith("n+") and lowered[2:].isdigit():
        return last + int(lowered[2:])
    if text.isdigit() and int(text) > 0:
        return int(text)
    raise DialplanError(f"{where}: invalid priority {text!r}")


def _split_app(text: str, where: str) -> tuple[str, str]:
    if not text:
        raise DialplanError(f"{where}: missing application")
    paren = text.find("(")
    comma = text.find(",")
    if paren >= 0 and (comma < 0 or paren < comma):
        if not text.endswith(")"):
            raise DialplanError(f"{where}: application arguments not closed: {text!r}")
        return text[:paren].strip(), text[paren + 1 : -1]
    if comma >= 0:
        # the legacy "App,args" form
        return text[:comma].strip(), text[comma + 1 :]
    return text.strip(), ""
