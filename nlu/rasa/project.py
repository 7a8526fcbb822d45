"""A bot's training data as a Rasa project: the data as written, plus a domain and a config.

The bot's nlu.yml is already in Rasa's format, so it is copied unchanged (comments included);
the domain lists its intents and the entities its annotations, regexes and lookups name; the
config is Rasa's default NLU pipeline with DIET, plus a FallbackClassifier at the threshold
the client applies.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from nlu.rasa.client import RASA_THRESHOLD
from runtime.intents import TrainingData

DIET_EPOCHS = 100  # Rasa's default


def config(epochs: int = DIET_EPOCHS) -> dict[str, object]:
    return {
        "recipe": "default.v1",
        "language": "en",
        "assistant_id": "voxflow",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            {"name": "RegexFeaturizer"},
            {"name": "LexicalSyntacticFeaturizer"},
            {"name": "CountVectorsFeaturizer"},
            {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1,
             "max_ngram": 4},
            {"name": "DIETClassifier", "epochs": epochs, "constrain_similarities": True,
             "random_seed": 1},
            {"name": "EntitySynonymMapper"},
            {"name": "FallbackClassifier", "threshold": RASA_THRESHOLD},
        ],
        "policies": [],
    }


def domain(data: TrainingData) -> dict[str, object]:
    entities = {a.entity for e in data.examples for a in e.entities}
    entities |= set(data.regexes) | set(data.lookups)
    return {"version": "3.1", "intents": list(data.intents), "entities": sorted(entities)}


def write_project(data: TrainingData, nlu_text: str, folder: Path,
                  epochs: int = DIET_EPOCHS) -> str:
    """Write data/nlu.yml, domain.yml and config.yml; returns a fingerprint of all three,
    which names the trained model (the same data is never trained twice)."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    files = {
        folder / "data" / "nlu.yml": nlu_text,
        folder / "domain.yml": yaml.safe_dump(domain(data), sort_keys=False),
        folder / "config.yml": yaml.safe_dump(config(epochs), sort_keys=False),
    }
    digest = hashlib.sha256()
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
        digest.update(text.encode())
    return digest.hexdigest()[:16]
