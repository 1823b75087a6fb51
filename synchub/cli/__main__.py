"""``python -m synchub.cli``: the ``synchub`` command."""

from __future__ import annotations

import sys

from synchub.cli import main

sys.exit(main())
