"""A small JSON Schema validator for the subset our schema uses (draft 2020-12 keywords:
type, const, enum, pattern, minimum, maximum, minItems, minProperties, properties, required,
additionalProperties, propertyNames, items, anyOf, oneOf, $ref). Enough to check that the
shipped dialplans validate and that broken ones do not, without a new dependency."""

from __future__ import annotations

import re
from typing import Any

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def errors(
    schema: dict[str, Any], value: Any, root: dict[str, Any] | None = None, where: str = "$"
) -> list[str]:
    """Every violation found (empty: valid)."""
    root = root if root is not None else schema
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        found = errors(root["$defs"][name], value, root, where)
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return found + (errors(rest, value, root, where) if rest else [])
    problems: list[str] = []
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            return [f"{where}: not {types}"]
    if "const" in schema and value != schema["const"]:
        problems.append(f"{where}: not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: not in {schema['enum']}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{where}: does not match {schema['pattern']}")
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{where}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{where}: above {schema['maximum']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            problems.append(f"{where}: too few items")
        if "items" in schema:
            for i, item in enumerate(value):
                problems += errors(schema["items"], item, root, f"{where}[{i}]")
    if isinstance(value, dict):
        problems += _object(schema, value, root, where)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            matches = sum(1 for option in schema[key] if not errors(option, value, root, where))
            if matches == 0 or (key == "oneOf" and matches > 1):
                problems.append(f"{where}: {matches} of the {key} options match")
    return problems


def _object(schema: dict[str, Any], value: dict[str, Any], root: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    if len(value) < schema.get("minProperties", 0):
        problems.append(f"{where}: too few properties")
    for key in schema.get("required", []):
        if key not in value:
            problems.append(f"{where}: missing {key}")
    properties = schema.get("properties", {})
    for key, item in value.items():
        if "propertyNames" in schema:
            problems += errors(schema["propertyNames"], key, root, f"{where}.{key}(name)")
        if key in properties:
            problems += errors(properties[key], item, root, f"{where}.{key}")
        elif schema.get("additionalProperties") is False:
            problems.append(f"{where}: unexpected {key}")
        elif isinstance(schema.get("additionalProperties"), dict):
            problems += errors(schema["additionalProperties"], item, root, f"{where}.{key}")
    return problems
