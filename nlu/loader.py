"""The NLU a bot runs with: the built-in engine, or Rasa in front of it.

`VOXFLOW_RASA_URL` (for example `http://127.0.0.1:5005`, as `voxflow nlu rasa-serve` prints)
puts a Rasa server in front; the built-in engine is still trained, as the fallback for turns
Rasa does not answer in time.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from nlu.engine import BuiltinEngine
from nlu.result import NLU
from runtime.intents import load_training_data

RASA_URL_ENV = "VOXFLOW_RASA_URL"
_trained: dict[str, BuiltinEngine] = {}  # nlu.yml path + content hash -> engine


def builtin_engine(nlu_path: Path) -> BuiltinEngine:
    """The built-in engine trained on `nlu_path`; kept per content, as tests load bots often."""
    key = f"{nlu_path.resolve()}:{hashlib.sha256(nlu_path.read_bytes()).hexdigest()}"
    domain = nlu_path.parent / "domain.yml"
    if domain.is_file():
        key += hashlib.sha256(domain.read_bytes()).hexdigest()
    engine = _trained.get(key)
    if engine is None:
        engine = _trained[key] = BuiltinEngine(load_training_data(nlu_path))
    return engine


def load_nlu(nlu_path: Path, rasa_url: str | None = None) -> NLU:
    """The bot's NLU: the built-in engine, behind Rasa when a URL is given or set in the env."""
    engine = builtin_engine(nlu_path)
    url = rasa_url or os.environ.get(RASA_URL_ENV, "").strip()
    if not url:
        return engine
    from nlu.rasa.client import RasaNLU

    return RasaNLU(url, engine)
