"""The dialplan compiler: YAML files in, checked `Dialplan` objects and diagnostics out."""

from ivr.compiler.project import CompileResult, compile_paths, compile_sources, dialplan_files

__all__ = ["CompileResult", "compile_paths", "compile_sources", "dialplan_files"]
