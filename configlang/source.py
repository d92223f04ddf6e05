"""Load YAML into positioned nodes: every mapping, sequence and scalar keeps its file:line:col.

PyYAML's `compose` (SafeLoader) builds the node graph; this module converts it into small
immutable nodes, and on the way turns what PyYAML tolerates into diagnostics:
duplicate keys, tags outside the core schema, non-scalar keys, recursive aliases and alias
bombs. Anchors, aliases and `<<` merge keys are allowed: engineers use them to share prompts.
Nothing is ever constructed from a tag, so a YAML file can never instantiate Python objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
import yaml.constructor
import yaml.nodes

from configlang.diagnostics import Diagnostics
from configlang.mark import Mark

Scalar = str | int | float | bool | None

_CORE = "tag:yaml.org,2002:"
STR_TAG = _CORE + "str"
INT_TAG = _CORE + "int"
FLOAT_TAG = _CORE + "float"
BOOL_TAG = _CORE + "bool"
NULL_TAG = _CORE + "null"
TIMESTAMP_TAG = _CORE + "timestamp"
_SEQ_TAG = _CORE + "seq"
_MAP_TAG = _CORE + "map"
_MERGE_TAG = _CORE + "merge"
_SCALAR_TAGS = frozenset({STR_TAG, INT_TAG, FLOAT_TAG, BOOL_TAG, NULL_TAG, TIMESTAMP_TAG})

# A document may share nodes through aliases; past this many nodes once every alias is expanded
# it is refused, so that a "billion laughs" file cannot exhaust memory in the consumers.
MAX_EXPANDED_NODES = 200_000

_TRUE = frozenset({"yes", "true", "on"})
_FALSE = frozenset({"no", "false", "off"})


@dataclass(frozen=True, slots=True, eq=False)
class ScalarNode:
    """A scalar: `value` is typed by the YAML core schema, `raw` is the text as written."""

    mark: Mark
    value: Scalar
    raw: str
    tag: str
    style: str = ""  # "" plain, "'" or '"' quoted, "|" or ">" block
    single_line: bool = True

    @property
    def quoted(self) -> bool:
        """Whether the scalar was written in quotes or as a block (so it is text, whatever it says)."""
        return self.style != ""

    def mark_at(self, offset: int) -> Mark:
        """The file position of character `offset` of the value.

        Exact for single-line plain and quoted scalars without escapes; otherwise the start of
        the scalar, which is still the right line to look at.
        """
        if not self.single_line or self.style in ("|", ">"):
            return self.mark
        shift = 1 if self.style in ("'", '"') else 0
        return Mark(self.mark.file, self.mark.line, self.mark.col + shift + offset)


@dataclass(frozen=True, slots=True, eq=False)
class SeqNode:
    """A sequence of nodes."""

    mark: Mark
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True, eq=False)
class MapEntry:
    """One `key: value` pair; the key is always text (the scalar as written)."""

    key: str
    key_mark: Mark
    value: Node


@dataclass(frozen=True, slots=True, eq=False)
class MapNode:
    """A mapping whose keys are unique text, in document order."""

    mark: Mark
    entries: tuple[MapEntry, ...]
    _index: dict[str, MapEntry] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {entry.key: entry for entry in self.entries})

    def get(self, key: str) -> Node | None:
        """The value stored under `key`, or None when the key is absent."""
        entry = self._index.get(key)
        return entry.value if entry is not None else None

    def entry(self, key: str) -> MapEntry | None:
        """The whole entry stored under `key` (to point at the key itself), or None."""
        return self._index.get(key)

    def key_names(self) -> list[str]:
        """The keys in document order."""
        return [entry.key for entry in self.entries]

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[MapEntry]:
        return iter(self.entries)


Node = ScalarNode | SeqNode | MapNode


def load_yaml(text: str, file: str, diagnostics: Diagnostics) -> Node | None:
    """Parse one YAML document into positioned nodes.

    Returns None for an empty document or when the text is not YAML (a diagnostic says why);
    problems inside a well-formed document are reported and the offending part left out.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        diagnostics.error(Mark(file, line, col), _syntax_message(exc))
        return None
    except yaml.YAMLError as exc:
        # ReaderError (a control character, bad encoding) carries only an offset.
        diagnostics.error(Mark(file, 1, 1), f"invalid YAML: {exc}")
        return None
    if root is None:
        return None
    converter = _Converter(file, diagnostics)
    node = converter.convert(root)
    if converter.expanded_size(root) > MAX_EXPANDED_NODES:
        diagnostics.error(
            node.mark,
            f"the document expands to more than {MAX_EXPANDED_NODES} values through aliases",
        )
        return None
    return node


def load_yaml_file(path: Path, diagnostics: Diagnostics, display_name: str | None = None) -> Node | None:
    """Read `path` as UTF-8 and parse it; unreadable files become diagnostics, not exceptions."""
    name = display_name if display_name is not None else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        diagnostics.error(Mark(name, 1, 1), f"the file is not UTF-8 text ({exc.reason})")
        return None
    except OSError as exc:
        diagnostics.error(Mark(name, 1, 1), f"cannot read the file: {exc.strerror or exc}")
        return None
    return load_yaml(text, name, diagnostics)


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "malformed document").strip()
    if exc.context and exc.context_mark is not None:
        return f"invalid YAML: {problem} ({exc.context.strip()} at line {exc.context_mark.line + 1})"
    if exc.context:
        return f"invalid YAML: {problem} ({exc.context.strip()})"
    return f"invalid YAML: {problem}"


def _short_tag(tag: str) -> str:
    """`!!binary` rather than `tag:yaml.org,2002:binary`, as the engineer wrote it."""
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


class _Converter:
    """Converts one composed document; shared (aliased) nodes are converted once."""

    def __init__(self, file: str, diagnostics: Diagnostics) -> None:
        self._file = file
        self._diagnostics = diagnostics
        self._done: dict[int, Node] = {}
        self._in_progress: set[int] = set()
        self._sizes: dict[int, int] = {}
        self._constructor = yaml.constructor.SafeConstructor()

    def mark(self, node: yaml.nodes.Node) -> Mark:
        return Mark(self._file, node.start_mark.line + 1, node.start_mark.column + 1)

    def expanded_size(self, node: yaml.nodes.Node) -> int:
        """How many nodes the document would have with every alias copied out (memoised)."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        self._sizes[id(node)] = 1  # a cycle was already reported; count it once
        size = 1
        if isinstance(node, yaml.nodes.SequenceNode):
            size += sum(self.expanded_size(child) for child in node.value)
        elif isinstance(node, yaml.nodes.MappingNode):
            size += sum(self.expanded_size(k) + self.expanded_size(v) for k, v in node.value)
        self._sizes[id(node)] = min(size, MAX_EXPANDED_NODES + 1)
        return self._sizes[id(node)]

    def convert(self, node: yaml.nodes.Node) -> Node:
        key = id(node)
        done = self._done.get(key)
        if done is not None:
            return done
        if key in self._in_progress:
            self._diagnostics.error(self.mark(node), "an alias refers to a node that contains it")
            return ScalarNode(self.mark(node), None, "", NULL_TAG)
        self._in_progress.add(key)
        try:
            result = self._convert_new(node)
        finally:
            self._in_progress.discard(key)
        self._done[key] = result
        return result

    def _convert_new(self, node: yaml.nodes.Node) -> Node:
        mark = self.mark(node)
        if isinstance(node, yaml.nodes.ScalarNode):
            return self._scalar(node, mark)
        if isinstance(node, yaml.nodes.SequenceNode):
            self._check_tag(node, _SEQ_TAG, mark)
            return SeqNode(mark, tuple(self.convert(child) for child in node.value))
        assert isinstance(node, yaml.nodes.MappingNode)
        self._check_tag(node, _MAP_TAG, mark)
        return MapNode(mark, tuple(self._entries(node)))

    def _check_tag(self, node: yaml.nodes.Node, expected: str, mark: Mark) -> None:
        if node.tag != expected:
            self._diagnostics.error(mark, f"unsupported YAML tag {_short_tag(node.tag)}")

    def _scalar(self, node: yaml.nodes.ScalarNode, mark: Mark) -> ScalarNode:
        raw = str(node.value)
        style = node.style or ""
        single = node.start_mark.line == node.end_mark.line
        tag = node.tag

        def text_node(tag: str) -> ScalarNode:
            return ScalarNode(mark, raw, raw, tag, style, single)

        value: Scalar
        if tag in (STR_TAG, TIMESTAMP_TAG, "!"):
            # Timestamps stay text: dates and times are parsed where their meaning is known.
            return text_node(STR_TAG if tag == "!" else tag)
        if tag not in _SCALAR_TAGS:
            self._diagnostics.error(mark, f"unsupported YAML tag {_short_tag(tag)}")
            return text_node(STR_TAG)
        if tag == NULL_TAG:
            value = None
        elif tag == BOOL_TAG:
            lowered = raw.lower()
            if lowered not in _TRUE | _FALSE:
                self._diagnostics.error(mark, f'cannot read "{raw}" as a boolean')
                return text_node(STR_TAG)
            value = lowered in _TRUE
        else:
            try:
                if tag == INT_TAG:
                    value = self._constructor.construct_yaml_int(node)
                else:
                    value = self._constructor.construct_yaml_float(node)
            except ValueError:
                self._diagnostics.error(mark, f'cannot read "{raw}" as a number')
                return text_node(STR_TAG)
        return ScalarNode(mark, value, raw, tag, style, single)

    def _entries(self, node: yaml.nodes.MappingNode) -> list[MapEntry]:
        explicit: list[MapEntry] = []
        merged: list[MapEntry] = []
        seen: dict[str, Mark] = {}
        for key_node, value_node in node.value:
            key_mark = self.mark(key_node)
            if isinstance(key_node, yaml.nodes.ScalarNode) and key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_source(value_node))
                continue
            if not isinstance(key_node, yaml.nodes.ScalarNode):
                self._diagnostics.error(key_mark, "a mapping key must be a plain value, not a collection")
                continue
            key = str(key_node.value)
            if key in seen:
                first = seen[key]
                self._diagnostics.error(
                    key_mark,
                    f'duplicate key "{key}" (first defined at line {first.line}, column {first.col})',
                )
                continue
            seen[key] = key_mark
            explicit.append(MapEntry(key, key_mark, self.convert(value_node)))
        # Merge keys (`<<: *defaults`) fill in what the mapping does not set itself; earlier
        # sources win over later ones, as the YAML merge-key specification says.
        for entry in merged:
            if entry.key not in seen:
                seen[entry.key] = entry.key_mark
                explicit.append(entry)
        return explicit

    def _merge_source(self, node: yaml.nodes.Node) -> list[MapEntry]:
        converted = self.convert(node)
        if isinstance(converted, MapNode):
            return list(converted.entries)
        if isinstance(converted, SeqNode) and all(isinstance(item, MapNode) for item in converted.items):
            return [entry for item in converted.items if isinstance(item, MapNode) for entry in item.entries]
        self._diagnostics.error(converted.mark, "a merge key (<<) takes a mapping or a list of mappings")
        return []
