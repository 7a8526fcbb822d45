"""Benchmark sets as training data: a folder with train.csv and test.csv (`text,category`),
as banking77 ships. Duplicate texts are kept once (the first label wins), as Rasa's reader
would refuse them."""

from __future__ import annotations

import csv
from pathlib import Path

from runtime.intents import TrainingData, TrainingDataError


def is_benchmark(path: Path) -> bool:
    return path.is_dir() and (path / "train.csv").is_file() and (path / "test.csv").is_file()


def read_csv(path: Path) -> list[tuple[str, str]]:
    """(text, intent) rows; errors name the file and line."""
    rows: list[tuple[str, str]] = []
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"text", "category"} <= set(reader.fieldnames):
                raise TrainingDataError(str(path), 1, "expected a header `text,category`")
            for row in reader:
                text, intent = (row["text"] or "").strip(), (row["category"] or "").strip()
                if not text or not intent:
                    raise TrainingDataError(str(path), reader.line_num, "empty text or category")
                rows.append((" ".join(text.split()), intent))
    except OSError as exc:
        raise TrainingDataError(str(path), None, f"cannot be read ({exc.strerror})") from None
    return rows


def training_data(rows: list[tuple[str, str]], path: str) -> TrainingData:
    intents: dict[str, list[str]] = {}
    seen: set[str] = set()
    for text, intent in rows:
        key = text.casefold()
        if key not in seen:
            seen.add(key)
            intents.setdefault(intent, []).append(text)
    return TrainingData({k: tuple(v) for k, v in intents.items()}, {}, {}, path=path)
