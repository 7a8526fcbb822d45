"""Tests run from the repository root, so paths in diagnostics are stable.

The change of directory happens on import, before test modules are collected, because several
modules list their cases (bots, golden cases) at import time.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.chdir(ROOT)
