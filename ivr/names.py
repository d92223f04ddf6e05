"""What names look like in a dialplan: step ids, dialplan names, variables, language codes."""

from __future__ import annotations

import re

STEP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
DIALPLAN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*")
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}([_-][A-Za-z0-9]{2,8})?")
