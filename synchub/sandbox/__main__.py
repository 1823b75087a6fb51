"""``python -m synchub.sandbox``."""

from __future__ import annotations

import sys

from synchub.sandbox.cli import main

sys.exit(main())
