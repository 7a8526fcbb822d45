"""Tests run from the repository root, so paths in diagnostics are stable."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _repo_root() -> None:
    os.chdir(ROOT)
