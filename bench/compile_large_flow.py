"""Benchmark: parse, check, lower and serialise a generated 5,000-step flow.

Run: .venv/bin/python bench/compile_large_flow.py [--steps 5000] [--repeat 3]
Prints the best of N runs for each stage and the whole pipeline, plus a 500-step baseline in the
same run (the ratio shows whether compile time grows linearly with the flow).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.flowgen import generate_flow
from dsl.check import check_unit
from dsl.compile import compile_text, lower
from dsl.parser import lark_parser, parse_text
from dsl.project import Resources, Unit


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(steps: int, repeat: int) -> dict[str, float]:
    text = generate_flow(steps)
    parsed = parse_text(text, "gen.flow")
    assert not parsed.reporter.items, "generated flow has syntax errors"

    def check() -> None:
        p = parse_text(text, "gen.flow")
        check_unit(Unit("gen.flow", p, Resources()), set())

    full = compile_text(text, "gen.flow")
    assert full.ok, [d.message for d in full.diagnostics][:5]
    return {
        "lines": text.count("\n"),
        "parse_s": best(lambda: parse_text(text, "gen.flow"), repeat),
        "parse_check_s": best(check, repeat),
        "lower_s": best(lambda: lower(parsed.program), repeat),
        "compile_json_s": best(lambda: json.dumps(compile_text(text, "gen.flow").ir()), repeat),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    lark_parser()  # grammar load is a one-time start-up cost, reported separately
    t0 = time.perf_counter()
    lark_parser.cache_clear()
    lark_parser()
    grammar_s = time.perf_counter() - t0
    base = measure(args.steps // 10, args.repeat)
    big = measure(args.steps, args.repeat)
    print(f"grammar load (once per process): {grammar_s * 1000:.0f} ms")
    for label, r in ((f"{args.steps // 10} steps", base), (f"{args.steps} steps", big)):
        print(f"{label:>12}: {r['lines']:6d} lines  parse {r['parse_s']:.3f}s  "
              f"parse+check {r['parse_check_s']:.3f}s  lower {r['lower_s']:.3f}s  "
              f"full compile to JSON {r['compile_json_s']:.3f}s")
    ratio = big["compile_json_s"] / base["compile_json_s"]
    print(f"scaling: {args.steps} steps take {ratio:.1f}x the time of {args.steps // 10} steps "
          f"(10x would be linear)")


if __name__ == "__main__":
    main()
