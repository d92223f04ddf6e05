"""Dialplan tests: YAML test cases stored next to a dialplan, run against the pure interpreter."""

from ivr.testing.report import run_dialplan_tests

__all__ = ["run_dialplan_tests"]
