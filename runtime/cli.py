"""The `voxflow` command: the language tools (check, compile, fmt, graph) and the runtime's
(chat, test)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from agents.cli import add_commands as add_agents_commands
from dsl.cli import add_commands
from knowledge.cli import add_kb_command
from media_bridge.cli import add_commands as add_voice_commands
from nlu.cli import add_commands as add_nlu_commands


def cmd_chat(args: argparse.Namespace) -> int:
    from runtime.chat import run_chat

    env = {}
    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep:
            print(f"voxflow: --env takes NAME=VALUE, not {item!r}", file=sys.stderr)
            return 2
        env[name] = value
    return run_chat(Path(args.bot), env, args.trace)


def cmd_test(args: argparse.Namespace) -> int:
    from runtime.bot import BotError, load_bot
    from runtime.convtest import TestFormatError, load_tests
    from runtime.harness import run_tests_sync

    failed = total = 0
    for folder in args.bots:
        try:
            bot = load_bot(Path(folder))
            tests = load_tests(bot.folder)
        except (BotError, TestFormatError) as exc:
            print(f"voxflow: {exc}", file=sys.stderr)
            return 1
        for result in run_tests_sync(bot, tests):
            total += 1
            if result.ok:
                print(f"ok    {result.test.name}")
            else:
                failed += 1
                print(f"FAIL  {result.test.name}\n{result.report}\n")
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voxflow", description="Phone bots in .flow files.")
    sub = parser.add_subparsers(dest="command", required=True)
    add_commands(sub)
    add_kb_command(sub)
    add_nlu_commands(sub)
    add_voice_commands(sub)
    add_agents_commands(sub)
    p = sub.add_parser("chat", help="talk to a bot in the terminal")
    p.add_argument("bot", help="bot folder (or its .flow file)")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="set env.NAME for the flow (repeatable)")
    p.add_argument("--trace", action="store_true", help="show the flow line behind each turn")
    p.set_defaults(func=cmd_chat)
    p = sub.add_parser("test", help="run a bot's conversation tests (tests/*.test.flow)")
    p.add_argument("bots", nargs="+", help="bot folders")
    p.set_defaults(func=cmd_test)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]  # `serve --workers` reuses it
    # Driver warnings (a web service down) are part of the story the command prints itself.
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
