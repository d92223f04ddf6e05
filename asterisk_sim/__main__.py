"""``python -m asterisk_sim`` (see :mod:`asterisk_sim.cli`)."""

import sys

from asterisk_sim.cli import main

sys.exit(main())
