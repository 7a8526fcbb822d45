"""Benchmark: the built-in NLU engine against Rasa DIET on banking77, in one run.

Run: .venv/bin/python bench/nlu_banking77.py [--data ../shared/data/banking77]
         [--diet-epochs 100] [--no-diet] [--json out.json]

Both engines train on train.csv (10,003 examples, 77 intents) and are scored on test.csv
(3,080): accuracy and macro-F1 of the top intent, training time, and per-utterance parse
latency p50/p95 in-process (the built-in engine's `parse`, intents and entities; DIET through
`Agent.parse_message` in Rasa's own venv, so no HTTP in either figure); for the built-in engine
also the p95 of the thread's CPU time, which other jobs on the machine do not inflate. The
built-in engine is also scored on the test set rewritten as a recogniser returns it (lower
case, no punctuation, numbers as words, fillers, a stutter): its robustness to ASR output.
DIET runs in the Rasa 3.6.21 venv that `voxflow nlu rasa-serve` installs (installed here when
missing).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stats import pct
from nlu import datasets
from nlu.engine import BuiltinEngine
from nlu.evaluate import Scores

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77"

# Runs inside Rasa's venv: loads the trained model, parses every test text, writes JSON to a
# file (Rasa and TensorFlow print to stdout).
DIET_SCRIPT = r"""
import asyncio, json, sys, time, logging, warnings
warnings.filterwarnings("ignore"); logging.disable(logging.WARNING)
from rasa.core.agent import Agent
texts = json.load(open(sys.argv[2]))
async def main():
    agent = Agent.load(sys.argv[1])
    await agent.parse_message("warm up")
    out = []
    for text in texts:
        t = time.perf_counter()
        r = await agent.parse_message(text)
        took = time.perf_counter() - t
        # the top intent, not the FallbackClassifier's nlu_fallback: top-1 like the built-in
        top = [i["name"] for i in r["intent_ranking"] if i["name"] != "nlu_fallback"]
        out.append([top[0] if top else "", took])
    json.dump(out, open(sys.argv[3], "w"))
asyncio.run(main())
"""

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _say(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + _say(n % 100))
    if n < 1_000_000:
        return _say(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + _say(n % 1000))
    return " ".join(_ONES[int(d)] for d in str(n))


def asr_form(text: str, rng: random.Random) -> str:
    """What a recogniser would return for `text`: lower case, no punctuation or apostrophes,
    numbers as words, a filler in half the utterances, a stutter in a fifth."""
    t = text.lower().replace("£", " pounds ").replace("$", " dollars ").replace("€", " euros ")
    t = re.sub(r"\d+", lambda m: f" {_say(int(m.group()))} ", t)
    words = re.sub(r"[^\w ]+", " ", t.replace("'", "")).split()
    if words and rng.random() < 0.5:
        words.insert(rng.randrange(len(words) + 1), rng.choice(["um", "uh", "like", "so"]))
    if words and rng.random() < 0.2:
        i = rng.randrange(len(words))
        words.insert(i, words[i])
    return " ".join(words)


def score(truth: list[str], predicted: list[str]) -> tuple[float, float]:
    s = Scores(pairs=[(t, p, p) for t, p in zip(truth, predicted, strict=True)])
    return s.accuracy(), s.macro_f1()


def builtin(train_rows: list[tuple[str, str]], test: list[tuple[str, str]]) -> dict[str, Any]:
    data = datasets.training_data(train_rows, "banking77/train.csv")
    started = time.perf_counter()
    engine = BuiltinEngine(data)
    train_s = time.perf_counter() - started
    for text, _ in test[:50]:  # warm up
        engine.parse(text)
    predicted, latency, cpu = [], [], []
    for text, _ in test:
        t, c = time.perf_counter(), time.thread_time()
        result = engine.parse(text)
        latency.append(time.perf_counter() - t)
        cpu.append(time.thread_time() - c)
        predicted.append(result.intents[0].intent if result.intents else "")
    truth = [i for _, i in test]
    acc, f1 = score(truth, predicted)
    rng = random.Random(77)
    asr = [engine.rank(asr_form(text, rng)) for text, _ in test]
    asr_acc, asr_f1 = score(truth, [r[0].intent if r else "" for r in asr])
    return {"engine": "built-in", "examples": engine.report.examples, "train_s": train_s,
            "accuracy": acc, "macro_f1": f1, "asr_accuracy": asr_acc, "asr_macro_f1": asr_f1,
            "p50_ms": pct(latency, 0.5) * 1e3, "p95_ms": pct(latency, 0.95) * 1e3,
            "cpu_p95_ms": pct(cpu, 0.95) * 1e3, "threshold": engine.report.threshold}


def diet(train_rows: list[tuple[str, str]], test: list[tuple[str, str]], epochs: int,
         model: Path | None = None) -> dict[str, Any]:
    """Train DIET (unless `model` is an already trained one) and score it."""
    from nlu.rasa.server import ensure_rasa, rasa_env

    rasa = ensure_rasa()
    train_s = None
    if model is None:
        model, train_s = _train_diet(rasa, train_rows, epochs)
    texts = model.parent / "texts.json"
    texts.write_text(json.dumps([t for t, _ in test]))
    answers = model.parent / "answers.json"
    subprocess.run([str(rasa.parent / "python"), "-c", DIET_SCRIPT, str(model), str(texts),
                    str(answers)], capture_output=True, text=True, env=rasa_env(), check=True)
    out = json.loads(answers.read_text())
    predicted = [p for p, _ in out]
    latency = [s for _, s in out]
    acc, f1 = score([i for _, i in test], predicted)
    return {"engine": f"Rasa 3.6.21 DIET ({epochs} epochs)", "train_s": train_s,
            "accuracy": acc, "macro_f1": f1, "p50_ms": pct(latency, 0.5) * 1e3,
            "p95_ms": pct(latency, 0.95) * 1e3, "model": str(model)}


def _train_diet(rasa: Path, train_rows: list[tuple[str, str]],
                epochs: int) -> tuple[Path, float]:
    from nlu.rasa.project import write_project
    from nlu.rasa.server import _run

    data = datasets.training_data(train_rows, "banking77/train.csv")
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in data.intents.items():
        lines += [f"- intent: {intent}", "  examples: |"]
        # brackets would read as entity annotations in Rasa's format
        lines += [f"    - {t.replace('[', '(').replace(']', ')')}" for t in texts]
    work = Path(tempfile.mkdtemp(prefix="voxflow-diet-"))
    name = "banking77-" + write_project(data, "\n".join(lines) + "\n", work, epochs)
    started = time.perf_counter()
    _run([str(rasa), "train", "nlu", "--config", "config.yml", "--nlu", "data/nlu.yml",
          "--domain", "domain.yml", "--out", "models", "--fixed-model-name", name,
          "--num-threads", "2"], "train DIET", cwd=work)
    train_s = time.perf_counter() - started
    print(f"DIET trained in {train_s:.0f} s: {work / 'models' / name}.tar.gz", flush=True)
    return work / "models" / f"{name}.tar.gz", train_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--diet-epochs", type=int, default=100, help="Rasa's default is 100")
    parser.add_argument("--no-diet", action="store_true", help="measure the built-in engine only")
    parser.add_argument("--diet-model", type=Path,
                        help="score this trained DIET model instead of training one")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    train_rows = datasets.read_csv(args.data / "train.csv")
    test = datasets.read_csv(args.data / "test.csv")
    results = [builtin(train_rows, test)]
    print(_row(results[0]), flush=True)
    if not args.no_diet:
        results.append(diet(train_rows, test, args.diet_epochs, args.diet_model))
        print(_row(results[1]), flush=True)
        ours, theirs = results
        train = (f"train time {ours['train_s'] / theirs['train_s']:.4f}, "
                 if theirs["train_s"] else "")
        print(f"ratio built-in / DIET: accuracy {ours['accuracy'] / theirs['accuracy']:.3f}, "
              f"macro-F1 {ours['macro_f1'] / theirs['macro_f1']:.3f}, {train}"
              f"parse p50 {ours['p50_ms'] / theirs['p50_ms']:.3f}, "
              f"p95 {ours['p95_ms'] / theirs['p95_ms']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def _row(r: dict[str, Any]) -> str:
    cpu = f" (CPU time p95 {r['cpu_p95_ms']:.2f} ms)" if "cpu_p95_ms" in r else ""
    extra = cpu + (f", ASR-form test accuracy {r['asr_accuracy']:.4f} / macro-F1 "
             f"{r['asr_macro_f1']:.4f}" if "asr_accuracy" in r else "")
    train = "not measured (a given model)" if r["train_s"] is None else f"{r['train_s']:.1f} s"
    return (f"{r['engine']}: accuracy {r['accuracy']:.4f}, macro-F1 {r['macro_f1']:.4f}, "
            f"train {train}, parse p50 {r['p50_ms']:.2f} ms, "
            f"p95 {r['p95_ms']:.2f} ms{extra}")


if __name__ == "__main__":
    sys.exit(main())
