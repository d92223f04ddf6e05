"""The JSON Schema: in step with the compiler's tables, valid for good dialplans, not for bad ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from configlang.diagnostics import Diagnostics
from configlang.source import load_yaml
from ivr.compiler.document import TOP_KEYS, to_value
from ivr.compiler.kinds import COMMON_STEP_KEYS, STEP_KINDS
from ivr.schema import SCHEMA_PATH, schema_json, schema_text
from ivr_acd.cli import main as cli_main
from tests.ivr.minischema import errors

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(path for path in (ROOT / "dialplans").glob("*.yaml") if not path.name.endswith(".test.yaml"))
GOOD = sorted((ROOT / "tests" / "ivr" / "golden" / "good").glob("*.yaml"))


def step_variants() -> dict[str, dict[str, Any]]:
    variants = schema_json()["$defs"]["step"]["oneOf"]
    return {next(iter(variant["required"])): variant for variant in variants}


def test_the_docs_copy_is_the_generated_schema() -> None:
    assert (ROOT / SCHEMA_PATH).read_text(encoding="utf-8") == schema_text()
    assert json.loads(schema_text())["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_ivr_acd_schema_prints_exactly_the_docs_copy(capsys: pytest.CaptureFixture[str]) -> None:
    # `ivr-acd schema > docs/dialplan.schema.json` is how the copy is refreshed: it must not
    # add a blank line that the test above then rejects.
    assert cli_main(["schema"]) == 0
    assert capsys.readouterr().out == (ROOT / SCHEMA_PATH).read_text(encoding="utf-8")


def test_every_step_kind_has_exactly_the_keys_the_compiler_accepts() -> None:
    variants = step_variants()
    assert set(variants) == set(STEP_KINDS)
    for kind, spec in STEP_KINDS.items():
        assert set(variants[kind]["properties"]) == {kind, *spec.step_keys, *COMMON_STEP_KEYS}, kind
        if spec.options is None:
            continue
        value = variants[kind]["properties"][kind]
        forms = value.get("anyOf", [value])
        options = next(form for form in forms if form.get("type") == "object")
        assert set(options["properties"]) == set(spec.options), kind


def test_top_level_keys_match() -> None:
    assert set(schema_json()["properties"]) == set(TOP_KEYS)


@pytest.mark.parametrize("path", SHIPPED + GOOD, ids=lambda path: path.name)
def test_good_dialplans_validate_against_the_schema(path: Path) -> None:
    assert errors(schema_json(), load(path.read_text(encoding="utf-8"))) == []


def test_shipped_dialplans_point_editors_at_the_schema() -> None:
    for path in SHIPPED:
        assert path.read_text(encoding="utf-8").splitlines()[0] == (
            "# yaml-language-server: $schema=../docs/dialplan.schema.json"
        )


@pytest.mark.parametrize(
    "text",
    [
        "steps: {a: {paly: x}}",
        "steps: {a: {menu: {options: {'10': b}}}}",
        "steps: {a: {menu: {options: {'1': b}, timeout: abc}}}",
        "steps: {a: {play: x, goto: b}}",
        "steps: {a: {queue: {name: q, skills: {fr: 7}}}}",
        "steps: {a: {collect: {prompt: x}}}",
        "dialplan: x",
        "steps: {a: {hangup: please}}",
    ],
)
def test_broken_dialplans_do_not_validate(text: str) -> None:
    assert errors(schema_json(), load(text)) != []


def load(text: str) -> Any:
    """The document as JSON, read like the YAML language server does: keys are text (`on:` is not
    a boolean there) and dates stay text, as our own loader keeps them."""
    diags = Diagnostics()
    node = load_yaml(text, "t.yaml", diags)
    assert node is not None
    assert not diags.has_errors
    return to_value(node)
