"""Checks a decoded JSON value against one of our schemas, with messages a client can act on.

Only the keywords our command schemas use are implemented (``jsonschema`` is a test-only
dependency; this daemon's runtime dependencies are pinned and few). Unknown keywords raise
instead of being ignored, so a schema edit that needs more fails its test at once; the tests
also check that this validator and ``jsonschema`` agree on good and bad commands.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Annotations: they describe, they do not constrain (``format`` is an annotation in 2020-12).
ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "format", "examples"})
ASSERTIONS = frozenset(
    {
        "type",
        "const",
        "enum",
        "properties",
        "required",
        "additionalProperties",
        "maxProperties",
        "items",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
    }
)
SUPPORTED = ANNOTATIONS | ASSERTIONS

_TYPE_NAMES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


class SchemaError(ValueError):
    """The schema uses something this validator does not implement (a bug of ours)."""


def _is_type(value: object, name: str) -> bool:
    # bool is a subclass of int in Python but not a number in JSON.
    match name:
        case "object":
            return isinstance(value, dict)
        case "array":
            return isinstance(value, list)
        case "string":
            return isinstance(value, str)
        case "boolean":
            return isinstance(value, bool)
        case "null":
            return value is None
        case "integer":
            if isinstance(value, bool):
                return False
            return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        case "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
    raise SchemaError(f"unknown type {name!r}")


def _json_equal(a: object, b: object) -> bool:
    # JSON equality: 1 == 1.0, but true != 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def _where(path: str) -> str:
    return f'"{path}"' if path else "the command"


def errors(value: object, schema: Mapping[str, object], path: str = "") -> list[str]:
    """Every way ``value`` breaks ``schema``; empty when it is valid."""
    unknown = set(schema) - SUPPORTED
    if unknown:
        raise SchemaError(f"unsupported schema keywords: {sorted(unknown)}")
    where = _where(path)
    expected = schema.get("type")
    if expected is not None:
        names = [expected] if isinstance(expected, str) else expected
        if not isinstance(names, list):
            raise SchemaError(f"type must be a name or a list of names, not {expected!r}")
        if not any(_is_type(value, str(name)) for name in names):
            wanted = " or ".join(_TYPE_NAMES[str(name)] for name in names)
            return [f"{where} must be {wanted}"]
    found: list[str] = []
    if "const" in schema and not _json_equal(value, schema["const"]):
        found.append(f"{where} must be {schema['const']!r}")
    if "enum" in schema:
        choices = schema["enum"]
        assert isinstance(choices, list)
        if not any(_json_equal(value, choice) for choice in choices):
            found.append(f"{where} must be one of {', '.join(repr(c) for c in choices)}")
    if isinstance(value, dict):
        found += _object_errors(value, schema, path)
    if isinstance(value, list) and "items" in schema:
        items = schema["items"]
        assert isinstance(items, Mapping)
        for index, item in enumerate(value):
            found += errors(item, items, f"{path}[{index}]")
    if isinstance(value, str):
        found += _string_errors(value, schema, where)
    if isinstance(value, int | float) and not isinstance(value, bool):
        minimum, maximum = schema.get("minimum"), schema.get("maximum")
        if isinstance(minimum, int | float) and value < minimum:
            found.append(f"{where} must be at least {minimum}")
        if isinstance(maximum, int | float) and value > maximum:
            found.append(f"{where} must be at most {maximum}")
    return found


def _object_errors(value: dict[object, object], schema: Mapping[str, object], path: str) -> list[str]:
    found: list[str] = []
    properties = schema.get("properties", {})
    assert isinstance(properties, Mapping)
    required = schema.get("required", [])
    assert isinstance(required, list)
    for name in required:
        if name not in value:
            found.append(f'missing required field "{_join(path, str(name))}"')
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        name = str(key)
        if name in properties:
            found += errors(item, properties[name], _join(path, name))
        elif extra is False:
            found.append(f'unexpected field "{_join(path, name)}"')
        elif isinstance(extra, Mapping):
            found += errors(item, extra, _join(path, name))
    limit = schema.get("maxProperties")
    if isinstance(limit, int) and len(value) > limit:
        found.append(f"{_where(path)} must have at most {limit} fields")
    return found


def _string_errors(value: str, schema: Mapping[str, object], where: str) -> list[str]:
    found: list[str] = []
    shortest, longest = schema.get("minLength"), schema.get("maxLength")
    if isinstance(shortest, int) and len(value) < shortest:
        found.append(f"{where} must not be empty" if shortest == 1 else f"{where} is too short")
    if isinstance(longest, int) and len(value) > longest:
        found.append(f"{where} must have at most {longest} characters")
    pattern = schema.get("pattern")
    # JSON Schema patterns are ECMA-262 searches, where "$" is the very end; Python's "$" also
    # matches before a final newline, which would let "42\n" through as a request id.
    if isinstance(pattern, str) and re.search(_ecma_end(pattern), value) is None:
        found.append(f"{where} is malformed (expected {pattern})")
    return found


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _ecma_end(pattern: str) -> str:
    return pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern
