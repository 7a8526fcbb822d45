"""Every caller line of the example bots' conversation tests, heard the way a call hears it.

The audio suite (`make test-audio`) plays whole conversations in real time: about 13 minutes,
and a failed call says little about which turn went wrong. This replays only the turns
(`speech/replay.py`): each test runs in the text harness, and at every `caller says` line the
step's `Listen` is kept. The line is then synthesised with the bundled voice, put through the
phone line (8 kHz, mu-law, noise at the caller's SNR), and heard by the recognizer the policy
picks for that step (`speech.asr.choose`), fed in 20 ms chunks with the early end the
listener uses. The turn is **right** when the test, run again in the text harness with that one
line replaced by what was heard (text and confidence), still passes: what the caller would
notice.

    .venv/bin/python bench/asr_turns.py                # both bots, every turn (~3 minutes)
    .venv/bin/python bench/asr_turns.py --bot bank --verbose --snr 20
    .venv/bin/python bench/asr_turns.py --speed 1 --verbose  # the test caller, faster
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runtime.bot import load_bot  # noqa: E402
from speech.replay import Turn, replay  # noqa: E402
from speech.simulated import CallerVoice  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bot", action="append", help="acme, bank (default: both)")
    parser.add_argument("--snr", type=float, default=25.0, help="caller line SNR (dB)")
    parser.add_argument("--speed", type=int, default=0, choices=range(3),
                        help="the test caller's speed: 0 as written (the tests'), 1 brisk, 2 slow")
    parser.add_argument("--verbose", action="store_true", help="print every miss")
    parser.add_argument("--grep", default="", help="only lines containing this text")
    parser.add_argument("--kind", action="append",
                        help="only turns of this kind: menu, yes_no, digits, open")
    args = parser.parse_args()
    # Tests whose services are down on purpose make the runtime warn "fetch failed" at every
    # replay of them; the misses are what this prints.
    logging.getLogger("voxflow").setLevel(logging.ERROR)
    voice = CallerVoice(snr_db=args.snr, variant=args.speed)  # the audio suite's caller

    def keep(turn: Turn, kind: str) -> bool:
        return (args.grep.lower() in turn.text.lower()) and (not args.kind or kind in args.kind)

    totals: Counter[str] = Counter()
    by_kind: Counter[tuple[str, bool]] = Counter()
    for name in args.bot or ["acme", "bank"]:
        for heard in replay(load_bot(ROOT / "bots" / name), voice, keep=keep):
            totals["right" if heard.right else "wrong"] += 1
            by_kind[(heard.kind, heard.right)] += 1
            if args.verbose and not heard.right:
                print(f"MISS {heard.describe()}", flush=True)
    n = totals["right"] + totals["wrong"]
    print(f"\n{totals['right']}/{n} turns heard as the text harness reads them "
          f"({100 * totals['right'] / max(n, 1):.1f} %) at {args.snr:g} dB SNR")
    for kind in sorted({k for k, _ in by_kind}):
        ok, bad = by_kind[(kind, True)], by_kind[(kind, False)]
        print(f"  {kind:8s} {ok}/{ok + bad}")


if __name__ == "__main__":
    main()
