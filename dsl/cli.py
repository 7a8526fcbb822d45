"""The `voxflow` command: check, compile, fmt, graph."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dsl.compile import Compilation, compile_file
from dsl.diagnostics import ERROR, render_all, summary
from dsl.format import format_program
from dsl.graph import dot, mermaid
from dsl.parser import parse
from dsl.project import Loader, read_source

FLOW_SUFFIX = ".flow"
TEST_SUFFIX = ".test.flow"


def _flow_files(paths: list[str]) -> list[Path]:
    """Flow files named or found under the paths (conversation tests are not flows)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob(f"*{FLOW_SUFFIX}") if not f.name.endswith(TEST_SUFFIX))
        elif p.is_file():
            out.append(p)
        else:
            raise SystemExit(f"voxflow: no such file or folder: {p}")
    return out


def _entry_flows(files: list[Path]) -> list[Compilation]:
    """Compile each file that no other file uses; used files are checked through their users."""
    loader = Loader()
    results: dict[Path, Compilation] = {}
    for f in files:
        results[f.resolve()] = compile_file(f, loader)
    used = {u_path for c in results.values() for u in c.units if u is not c.root
            for u_path in [Path(u.path).resolve()]}
    return [c for key, c in results.items() if key not in used]


def _report(comps: list[Compilation]) -> int:
    diags, sources = [], {}
    for c in comps:
        sources.update(c.sources)
        diags += [d for d in c.diagnostics if d not in diags]
    diags.sort(key=lambda d: d.sort_key)
    if diags:
        print(render_all(diags, sources), file=sys.stderr)
        print(file=sys.stderr)
    return 1 if any(d.severity == ERROR for d in diags) else 0


def cmd_check(args: argparse.Namespace) -> int:
    comps = _entry_flows(_flow_files(args.paths))
    status = _report(comps)
    flows = sum(len(c.units) for c in comps)
    diags = [d for c in comps for d in c.diagnostics]
    print(f"checked {flows} flow{'s' if flows != 1 else ''}: {summary(diags)}")
    return status


def cmd_compile(args: argparse.Namespace) -> int:
    files = _flow_files([args.path])
    comps = _entry_flows(files)
    status = _report(comps)
    if status:
        print("not compiled: fix the errors above first", file=sys.stderr)
        return status
    out = Path(args.output)
    if Path(args.path).is_dir() or len(comps) > 1:
        out.mkdir(parents=True, exist_ok=True)
        for c in comps:
            target = out / (Path(c.root.path).stem + ".ir.json")
            target.write_text(json.dumps(c.ir(), indent=1) + "\n", encoding="utf-8")
            print(f"compiled {c.root.path} -> {target}")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(comps[0].ir(), indent=1) + "\n", encoding="utf-8")
        print(f"compiled {comps[0].root.path} -> {out}")
    return _warm_prompts(comps) if args.prompts else 0


def _warm_prompts(comps: list[Compilation]) -> int:
    """Synthesise each bot's static prompts into the prompt cache (speech is loaded only here:
    it is heavy, and the language commands must not need it)."""
    from speech.prompts import warm
    from speech.tts import PiperSynthesizer, UnknownVoice

    synth, status = PiperSynthesizer(), 0
    for c in comps:
        bot = Path(c.root.path).parent.as_posix()
        try:
            r = warm(c.ir(), synth=synth)
        except UnknownVoice as exc:
            print(f"{bot}: no prompts cached: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"{bot}: {r.prompts} prompts, {r.new} new, {r.cached} cached -> {r.root}")
    return status


def cmd_fmt(args: argparse.Namespace) -> int:
    status = 0
    changed = []
    for f in _flow_files(args.paths):
        src = read_source(f)
        parsed = parse(src)
        if parsed.reporter.items and any(d.code.startswith("F01") for d in parsed.reporter.items):
            print(render_all(parsed.reporter.items, {src.path: src}), file=sys.stderr)
            print(f"not formatted: {src.path} has syntax errors", file=sys.stderr)
            status = 1
            continue
        text = format_program(parsed.program)
        if text == src.text:
            continue
        changed.append(src.path)
        if args.check:
            status = 1
        else:
            f.write_text(text, encoding="utf-8")
    verb = "would reformat" if args.check else "reformatted"
    for path in changed:
        print(f"{verb} {path}")
    if not changed and status == 0:
        print("all flows are formatted")
    return status


def cmd_graph(args: argparse.Namespace) -> int:
    comps = _entry_flows(_flow_files([args.path]))
    status = _report(comps)
    for c in comps:
        program = c.root.program
        sys.stdout.write(mermaid(program) if args.format == "mermaid" else dot(program))
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voxflow", description="Phone bots in .flow files.")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def add_commands(sub: argparse._SubParsersAction) -> None:
    """The language commands; the runtime's `voxflow` adds its own beside them."""
    p = sub.add_parser("check", help="check flows and report every problem")
    p.add_argument("paths", nargs="+", help=".flow files or folders")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("compile", help="compile a flow (or a folder of flows) to JSON IR")
    p.add_argument("path")
    p.add_argument("-o", "--output", required=True, help="output file (or folder for a folder)")
    p.add_argument("--prompts", action="store_true",
                   help="also synthesise static prompts into the prompt cache "
                        "(VOXFLOW_PROMPT_CACHE, default build/prompts)")
    p.set_defaults(func=cmd_compile)
    p = sub.add_parser("fmt", help="print flows in canonical form")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if any would")
    p.add_argument("paths", nargs="+")
    p.set_defaults(func=cmd_fmt)
    p = sub.add_parser("graph", help="draw a flow's steps and jumps")
    p.add_argument("path")
    p.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    p.set_defaults(func=cmd_graph)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UnicodeDecodeError as exc:
        print(f"voxflow: a file is not UTF-8 text: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
