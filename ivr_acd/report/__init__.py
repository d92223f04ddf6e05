"""``ivr-acd report``: metrics from the records database as text, CSV, JSON or HTML.

The CLI wiring calls :func:`report_main` with the arguments after ``report``.
"""

from ivr_acd.report.cli import report_main

__all__ = ["report_main"]
