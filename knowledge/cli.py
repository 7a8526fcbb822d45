"""`voxflow kb ingest|query|eval`: the knowledge base from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from knowledge.base import KnowledgeBase, index_path
from knowledge.errors import KnowledgeError
from knowledge.evaluate import evaluate, load_queries


def add_kb_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    kb = sub.add_parser("kb", help="the knowledge base: ingest help content, ask it, measure it")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("bot", help="bot folder (its knowledge/ folder holds the collections)")
        p.add_argument("--index", metavar="PATH",
                       help="index file (default build/knowledge/<bot>.sqlite, or under "
                            "$VOXFLOW_KB_DIR)")

    p = kb_sub.add_parser("ingest", help="index the bot's collections (only what changed)")
    common(p)
    p.add_argument("--collection", metavar="NAME", help="only this collection")
    p.set_defaults(func=cmd_ingest)

    p = kb_sub.add_parser("query", help="ask a question: the spoken answer and the top hits")
    common(p)
    p.add_argument("question")
    p.add_argument("--collection", metavar="NAME",
                   help="collection to ask (default: the bot's only one)")
    p.add_argument("--hits", type=int, default=5, metavar="N", help="hits to show (default 5)")
    p.set_defaults(func=cmd_query)

    p = kb_sub.add_parser("eval", help="recall@1/5 and MRR@10 on a file of questions")
    common(p)
    p.add_argument("--queries", required=True, metavar="FILE",
                   help="YAML: collection and queries (question, expect); see "
                        "knowledge/evaluate.py")
    p.add_argument("--threshold", type=float, default=0.6, metavar="C",
                   help="the flow's min_confidence, for the answered/declined shares")
    p.set_defaults(func=cmd_eval)


def _open(args: argparse.Namespace) -> KnowledgeBase:
    bot = Path(args.bot)
    if bot.is_file():  # the bot's .flow file works too, as for the other commands
        bot = bot.parent
    if not (bot / "knowledge").is_dir():
        raise KnowledgeError(f"{bot} has no knowledge/ folder")
    return KnowledgeBase.for_bot(bot, Path(args.index) if args.index else index_path(bot))


def _run(args: argparse.Namespace, body: object) -> int:
    try:
        return body(args)  # type: ignore[operator, no-any-return]
    except KnowledgeError as exc:
        print(f"voxflow: {exc}", file=sys.stderr)
        return 1


def cmd_ingest(args: argparse.Namespace) -> int:
    def body(args: argparse.Namespace) -> int:
        bot = Path(args.bot).parent if Path(args.bot).is_file() else Path(args.bot)
        kb = KnowledgeBase(bot / "knowledge",
                           Path(args.index) if args.index else index_path(bot))
        from knowledge import dense

        ranker = dense.configured()
        if ranker is not None:
            kb.embed = ranker.embed_chunks
        for report in kb.ingest(args.collection):
            print(report.summary())
        if ranker is not None:
            ranker.backfill(kb.db)
        print(f"index: {kb.index}")
        return 0

    return _run(args, body)


def cmd_query(args: argparse.Namespace) -> int:
    def body(args: argparse.Namespace) -> int:
        kb = _open(args)
        collection = args.collection or _only_collection(kb)
        a = kb.answer(collection, args.question)
        print(f"answer:     {a.text or '(no answer)'}")
        print(f"confidence: {a.confidence:.2f}")
        print(f"source:     {a.source or '-'}")
        if a.hits:
            print("top hits:")
            for n, hit in enumerate(a.hits[:args.hits], start=1):
                print(f"  {n}. {hit.score:6.2f}  {hit.ref}  ({hit.title})")
        return 0

    return _run(args, body)


def cmd_eval(args: argparse.Namespace) -> int:
    def body(args: argparse.Namespace) -> int:
        kb = _open(args)
        queries = load_queries(Path(args.queries))

        def answer(collection: str, question: str) -> tuple[list[str], float]:
            a = kb.answer(collection, question)
            return [h.ref for h in a.hits], a.confidence

        print(evaluate(queries, answer, args.threshold).render())
        return 0

    return _run(args, body)


def _only_collection(kb: KnowledgeBase) -> str:
    names = kb.collections()
    if len(names) != 1:
        raise KnowledgeError(f"{kb.folder} has {len(names)} collections "
                             f"({', '.join(names) or 'none'}); name one with --collection")
    return names[0]
