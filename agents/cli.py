"""`voxflow agents` (or `python -m agents`): serve the agent desktop and supervisor view, and
manage their users.

    voxflow agents user add kim --name "Kim Lee" --role agent --skill complaints:3
    voxflow agents user list
    voxflow agents serve bots/acme --port 8080

`agents serve` routes and records with a switch in memory (no phone calls are bridged); to put
the queues on the phone, run `voxflow serve BOT --agents HOST:PORT`, which serves the same pages
beside the media bridge and bridges accepted calls over FreeSWITCH's Event Socket.

The password of `user add` and `user passwd` is asked for twice on the terminal (never an
argument: it would stay in the shell history), or read from standard input with
`--password-stdin`. The database is build/agents.db unless `--db` says otherwise.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from pathlib import Path
from typing import Any

from agents.users import ROLES, UserError, Users

DEFAULT_DB = Path("build/agents.db")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents", description=__doc__.split("\n")[0])
    _arguments(parser)
    return run(parser.parse_args(argv))


def add_commands(sub: Any) -> None:
    """`voxflow agents ...` (the main CLI, runtime/cli.py)."""
    p = sub.add_parser("agents", help="the agent desktop and its users (serve, user add|list)")
    _arguments(p)
    p.set_defaults(func=run)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="the SQLite database")
    sub = parser.add_subparsers(dest="agents_command", required=True)

    serve = sub.add_parser("serve", help="serve the desktop, the supervisor view and the API")
    serve.add_argument("bots", nargs="+", type=Path, help="bot folders whose queues to route")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--dist", type=Path, default=None, help="the built front-end "
                       "(studio/dist)")
    serve.add_argument("--timezone", default="UTC", help="where 'today' starts (wallboard)")
    serve.add_argument("--service-level", type=float, default=20.0,
                       help="answered within this many seconds counts as in service level")
    serve.add_argument("--secure-cookies", action="store_true",
                       help="mark the session cookie Secure (behind HTTPS)")

    user = sub.add_parser("user", help="manage who signs in")
    users = user.add_subparsers(dest="action", required=True)
    add = users.add_parser("add", help="add a user")
    add.add_argument("id")
    add.add_argument("--name", default="")
    add.add_argument("--role", choices=ROLES, default="agent")
    add.add_argument("--skill", action="append", default=[], metavar="SKILL[:LEVEL]")
    add.add_argument("--endpoint", default="", help="where the switch rings them "
                     "(default user/ID)")
    add.add_argument("--password-stdin", action="store_true")
    passwd = users.add_parser("passwd", help="set a user's password (signs them out)")
    passwd.add_argument("id")
    passwd.add_argument("--password-stdin", action="store_true")
    for name in ("disable", "enable"):
        users.add_parser(name, help=f"{name} a user").add_argument("id")
    users.add_parser("list", help="list users")


def run(args: argparse.Namespace) -> int:
    try:
        if args.agents_command == "serve":
            return _serve(args)
        return _user(args)
    except UserError as exc:
        print(f"voxflow: {exc}", file=sys.stderr)
        return 1


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise UserError("the two passwords differ")
    return first


def _skills(words: list[str]) -> dict[str, int]:
    skills = {}
    for word in words:
        name, _, level = word.partition(":")
        if not name or not (level or "1").isdigit():
            raise UserError(f"a skill is NAME or NAME:LEVEL; not {word!r}")
        skills[name] = int(level or 1)
    return skills


def _user(args: argparse.Namespace) -> int:
    from agents.store import Store

    args.db.parent.mkdir(parents=True, exist_ok=True)
    with Store(args.db) as store:
        users = Users(store.conn)
        if args.action == "add":
            skills = _skills(args.skill)
            u = users.add(args.id, _password(args.password_stdin), name=args.name,
                          role=args.role, skills=skills, endpoint=args.endpoint)
            print(f"added {u.id} ({u.role})")
        elif args.action == "passwd":
            users.set_password(args.id, _password(args.password_stdin))
            print(f"password of {args.id} changed")
        elif args.action in ("disable", "enable"):
            users.set_disabled(args.id, args.action == "disable")
            print(f"{args.id} {args.action}d")
        else:
            for u in users.all():
                skills = " ".join(f"{k}:{v}" for k, v in u.skills.items())
                off = " (disabled)" if u.disabled else ""
                print(f"{u.id:16} {u.role:10} {u.name}{off}  {skills}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from agents.queues import specs_from_program
    from agents.router import Router
    from agents.service import AgentService, ServiceConfig
    from agents.store import Store
    from agents.switch import MemorySwitch
    from agents.web import DEFAULT_DIST, make_app
    from runtime.bot import BotError, load_bot

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    specs = {}
    try:
        for folder in args.bots:
            for name, spec in specs_from_program(load_bot(folder).program).items():
                if name in specs and specs[name] != spec:
                    raise UserError(f"queue {name!r} is declared differently in two bots")
                specs[name] = spec
    except BotError as exc:
        print(f"voxflow: {exc}", file=sys.stderr)
        return 1
    args.db.parent.mkdir(parents=True, exist_ok=True)
    store = Store(args.db)
    if not Users(store.conn).all():
        print("voxflow: no users yet; add one with `voxflow agents user add NAME --role "
              "agent --skill SKILL`", file=sys.stderr)
    # Routing and records only: `voxflow serve BOT --agents HOST:PORT` bridges real calls.
    switch = MemorySwitch()
    logging.getLogger("voxflow.agents").warning(
        "the switch is in memory: calls are routed and recorded, but not bridged to phones; "
        "run `voxflow serve BOT --agents HOST:PORT` to put the queues on the phone")
    config = ServiceConfig(timezone=args.timezone, service_level_s=args.service_level)

    async def build() -> web.Application:
        service = AgentService(Router(specs), store, switch, config=config)
        switch.service = service
        return make_app(service, args.dist or DEFAULT_DIST, secure_cookies=args.secure_cookies)

    try:
        web.run_app(build(), host=args.host, port=args.port, access_log=None)
    finally:
        store.close()
    return 0
