"""Engines trained once per test session on the shipped bots' real data."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.engine import BuiltinEngine
from nlu.loader import builtin_engine


@pytest.fixture(scope="session")
def acme() -> BuiltinEngine:
    return builtin_engine(Path("bots/acme/nlu.yml"))


@pytest.fixture(scope="session")
def bank() -> BuiltinEngine:
    return builtin_engine(Path("bots/bank/nlu.yml"))
