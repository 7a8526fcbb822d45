"""`voxflow nlu train|eval|parse|rasa-serve`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path

from runtime.intents import TrainingData, TrainingDataError, load_training_data


def _nlu_file(path: Path) -> Path:
    return path / "nlu.yml" if path.is_dir() else path


def _load(path: Path) -> TrainingData:
    return load_training_data(_nlu_file(path))


def cmd_train(args: argparse.Namespace) -> int:
    from nlu.engine import BuiltinEngine

    data = _load(Path(args.bot))
    engine = BuiltinEngine(data)
    r = engine.report
    c = r.calibration
    print(f"{_nlu_file(Path(args.bot))}: {r.examples} examples, {r.intents} intents, "
          f"{r.features} features; trained in {r.seconds:.2f} s\n"
          f"confidence = sigmoid({c.score_weight} x score + {c.coverage_weight} x coverage "
          f"+ {c.bias}); "
          f"out-of-scope below {r.threshold:.3f} (chosen from held-out data)")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from nlu import datasets
    from nlu.evaluate import cross_validate, report, train_test

    path = Path(args.bot)
    if datasets.is_benchmark(path):
        train = datasets.training_data(datasets.read_csv(path / "train.csv"), str(path))
        test = datasets.read_csv(path / "test.csv")
        scores, engine = train_test(train, test)
        title = (f"{path}: trained on train.csv ({engine.report.examples} examples, "
                 f"{engine.report.intents} intents), scored on test.csv ({len(test)})")
        print(report(title, scores, engine.report.threshold))
        return 0
    data = _load(path)
    scores = cross_validate(data, args.folds)
    examples = sum(len(v) for v in data.intents.values())
    print(report(f"{_nlu_file(path)}: {examples} examples, {len(data.intents)} intents, "
                 f"{args.folds}-fold cross-validation", scores))
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    from nlu.loader import load_nlu

    nlu = load_nlu(_nlu_file(Path(args.bot)), args.rasa)
    texts = args.text or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    for text in texts:
        prepare = getattr(nlu, "prepare", None)
        if prepare is not None:
            asyncio.run(prepare(text))
        result = nlu.parse(text, args.intent or None, slot_type=args.slot_type)
        print(json.dumps(result.to_json(), ensure_ascii=False))
    return 0


def cmd_rasa_serve(args: argparse.Namespace) -> int:
    from nlu.rasa.server import RasaSetupError, serve

    workdir = Path(args.workdir or Path("build") / "rasa" / Path(args.bot).resolve().name)
    try:
        return serve(Path(args.bot), args.port, workdir, args.epochs)
    except RasaSetupError as exc:
        print(f"voxflow: {exc}", file=sys.stderr)
        return 1


def cmd_rasa_install(args: argparse.Namespace) -> int:
    from nlu.rasa.server import RasaSetupError, ensure_rasa

    try:
        print(ensure_rasa())
    except RasaSetupError as exc:
        print(f"voxflow: {exc}", file=sys.stderr)
        return 1
    return 0


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Bad training data is a message with file and line, not a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except TrainingDataError as exc:
            print(f"voxflow: {exc}", file=sys.stderr)
            return 1
    return run


def add_commands(sub: argparse._SubParsersAction) -> None:
    nlu = sub.add_parser("nlu", help="train, evaluate and try the NLU; serve a bot with Rasa")
    cmds = nlu.add_subparsers(dest="nlu_command", required=True)
    p = cmds.add_parser("train", help="train the built-in engine on a bot's nlu.yml and report")
    p.add_argument("bot", help="bot folder (or its nlu.yml)")
    p.set_defaults(func=_guard(cmd_train))
    p = cmds.add_parser("eval", help="accuracy, macro-F1, out-of-scope precision/recall, "
                        "confused intents (k-fold on a bot; train/test on a benchmark folder)")
    p.add_argument("bot", help="bot folder, its nlu.yml, or a folder with train.csv/test.csv")
    p.add_argument("--folds", type=int, default=5, help="folds for bot data (default 5)")
    p.set_defaults(func=_guard(cmd_eval))
    p = cmds.add_parser("parse", help="what the NLU makes of utterances (JSON, one a line)")
    p.add_argument("bot", help="bot folder (or its nlu.yml)")
    p.add_argument("text", nargs="*", help="utterances (default: one a line on stdin)")
    p.add_argument("--intent", action="append", default=[], metavar="NAME",
                   help="limit to these intents, as a step does (repeatable)")
    p.add_argument("--slot-type", help="the slot type the step expects (digits, date, ...)")
    p.add_argument("--rasa", metavar="URL", help="ask this Rasa server first")
    p.set_defaults(func=_guard(cmd_parse))
    p = cmds.add_parser("rasa-serve", help="install Rasa 3.6.21 (Python 3.10 venv), train the "
                        "bot's nlu.yml and serve it on 127.0.0.1")
    p.add_argument("bot", help="bot folder (or its nlu.yml)")
    p.add_argument("--port", type=int, default=5005)
    p.add_argument("--epochs", type=int, default=100, help="DIET epochs (default 100)")
    p.add_argument("--workdir", help="where the Rasa project and models go "
                   "(default build/rasa/BOT)")
    p.set_defaults(func=_guard(cmd_rasa_serve))
    p = cmds.add_parser("rasa-install", help="install Rasa 3.6.21 into its own Python 3.10 venv "
                        "(~/.cache/voxflow, or VOXFLOW_RASA_VENV) unless it is there")
    p.set_defaults(func=cmd_rasa_install)
