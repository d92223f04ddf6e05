"""Writes the schema files of docs/mqtt/ from :mod:`ivr_acd.mqtt.schemas`.

.venv/bin/python -m ivr_acd.mqtt.schema_files docs/mqtt
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ivr_acd.mqtt.schemas import COMMAND_ENVELOPE, COMMANDS, PUBLISHED, Schema


def all_schemas() -> dict[str, Schema]:
    """Every schema by file name (``<name>.schema.json``), as written to docs/mqtt/."""
    files = {f"{name.replace('_', '-')}.schema.json": schema for name, schema in PUBLISHED.items()}
    files["command-envelope.schema.json"] = COMMAND_ENVELOPE
    files |= {f"command-{kind}.schema.json": schema for kind, schema in COMMANDS.items()}
    return files


def render(schema: Schema) -> str:
    """The text of a schema file."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_all(directory: Path) -> list[Path]:
    """(Re)write every schema file under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in all_schemas().items():
        path = directory / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1].startswith("-")):
        sys.exit("usage: python -m ivr_acd.mqtt.schema_files [directory (default docs/mqtt)]")
    for written_path in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/mqtt")):
        print(written_path)
