"""The IVR: the YAML dialplan language, its compiler and linter, and its interpreter.

Public API (see docs/dialplan-language.md):

- `ivr.compiler.compile_paths(paths, *, known_queues=None, sounds_dir=None) -> CompileResult`
  (`.dialplans` by name, `.diagnostics`, `.ok`, `.numbers`), and `compile_sources` for texts.
- `ivr.lint.lint_main(argv, *, known_queues=None, sounds_dir=None, out=None) -> int`
- `ivr.schema.schema_json() -> dict` / `schema_text() -> str`
- `ivr.graph.graph(dialplan, fmt="dot" | "mermaid") -> str`
- `ivr.interpreter.machine.Machine(dialplans, entry).feed(input, now=..., draw=...) -> list[Action]`,
  with the actions and inputs in `ivr.interpreter.actions`.
- `ivr.testing.run_dialplan_tests(paths, *, known_queues=None, out=None) -> int`
"""
