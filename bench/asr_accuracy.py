"""Speech recognition accuracy and latency on synthesised phone calls (speech/asr/).

Callers are synthesised with the bundled piper voice (speech/tts.py), padded with 250 ms of
silence before and 350 ms after (what a VAD hands over), and put through `phone_line`: 8 kHz,
a mu-law round trip, and white noise at 10, 15, 20 and 30 dB SNR in turn (a different noise seed
for every utterance). Each engine hears every utterance through the streaming interface (20 ms
chunks), as the media bridge will feed it.

Measured per engine:

* menu: every menu phrase of bots/acme and bots/bank (their main menus and the bank's
  mail-or-branch choice), from the compiled IR; right when the text selects the spoken phrase's
  choice the way runtime/inputs.py matches phrases, with a confidence the runtime accepts
  (>= MIN_SPEECH_CONFIDENCE).
* yes/no: ten ways of saying yes or no; right when runtime/normalize.py reads the same answer.
* out of grammar: sentences that are no answer of the menu or yes/no question ("what time do you
  close"); counted as falsely accepted when they come out as an answer the runtime would take.
* digits: 8-digit strings (a third with a repeated digit), read the way callers read them:
  digit words, "oh" or "zero", sometimes "double", sometimes with a pause in the middle; right
  only when the digit string is exact and its confidence is accepted.
* latency: from the end of the audio (the last chunk fed) to the final result, p50 and p95.

Engines: sphinx (grammars), whisper (tiny.en), and the cascade the default policy gives menu and
yes/no steps that also accept intents (every step of both bots: they have global intent
handlers). Vosk cannot be measured: the only Vosk model installable here is Korean.

    .venv/bin/python bench/asr_accuracy.py                 # full run (~10 minutes on 2 cores)
    .venv/bin/python bench/asr_accuracy.py --digits 20 --quick
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stats import pct  # noqa: E402
from dsl.compile import compile_file, ir_json  # noqa: E402
from runtime.actions import Listen  # noqa: E402
from runtime.inputs import MIN_SPEECH_CONFIDENCE  # noqa: E402
from runtime.normalize import normalize  # noqa: E402
from speech.asr.base import AsrEngine, Task, ir_input_nodes, listen_of  # noqa: E402
from speech.asr.cascade import CascadeEngine  # noqa: E402
from speech.asr.choose import AsrPolicy  # noqa: E402
from speech.asr.sphinx import SphinxEngine  # noqa: E402
from speech.asr.text import DIGIT_WORDS  # noqa: E402
from speech.asr.whisper import WhisperEngine  # noqa: E402
from speech.audio import phone_line, resample_float, silence, to_pcm  # noqa: E402

SNRS = (10, 15, 20, 30)
YES_NO = {"yes": True, "yeah": True, "yep": True, "that's right": True, "correct": True,
          "no": False, "nope": False, "no thanks": False, "no thank you": False,
          "that's wrong": False}
OUT_OF_GRAMMAR = ("what time do you close", "can you tell me the weather", "i want to talk about "
                  "my mortgage", "cancel my subscription", "hello", "good morning",
                  "how do i reset my password", "i moved house", "who am i talking to",
                  "transfer money", "operator", "maybe later")


# ---- what the bots expect --------------------------------------------------------------------

@dataclass
class Menu:
    bot: str
    step: str
    listen: Listen
    choices: list[tuple[str, ...]]  # phrases per choice, in order


def bot_menus(bot: str) -> list[Menu]:
    """The menus and choice questions of a bot, from its compiled IR."""
    folder = ROOT / "bots" / bot
    flow = folder / f"{bot}.flow"
    menus = []
    for node in ir_input_nodes(ir_json(compile_file(flow))):
        exp = node["expect"]
        if not exp.get("phrases") or exp.get("slot_type") == "yes_no":
            continue
        listen = listen_of(node)
        if node.get("choices"):
            choices = [tuple(c.get("phrases", ())) for c in node["choices"]]
        else:
            choices = [(p,) for p in listen.phrases]
        menus.append(Menu(bot, listen.step, listen, choices))
    return menus


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def chosen(choices: list[tuple[str, ...]], text: str) -> int | None:
    """The choice runtime/inputs.py would select for `text` by its phrases."""
    said = _words(text)
    for i, phrases in enumerate(choices):
        for phrase in phrases:
            if re.search(rf"(^| ){re.escape(_words(phrase))}( |$)", said):
                return i
    return None


# ---- callers ---------------------------------------------------------------------------------

class Callers:
    """Synthesised callers. piper's generator noise is off (it is sampled anew on every call,
    which would make every run of this benchmark different); callers vary instead by speaking
    rate (piper's length scale 0.85, 1.0 or 1.2, by seed), noise level and noise seed."""

    RATES = (0.85, 1.0, 1.2)

    def __init__(self) -> None:
        from speech.tts import PiperTts

        self.tts = PiperTts()
        self._cache: dict[tuple[str, float], bytes] = {}
        self.rate = 16000  # synthesis rate (the phone line band-limits to 8 kHz anyway)

    def speech(self, text: str, length_scale: float) -> bytes:
        key = (text, length_scale)
        if key not in self._cache:
            audio = np.concatenate(list(self.tts.iter_float(text, noise=False,
                                                            length_scale=length_scale)))
            self._cache[key] = to_pcm(resample_float(audio, self.tts.native_rate, self.rate))
        return self._cache[key]

    def audio(self, text: str, snr: float, seed: int, rate: int = 8000) -> bytes:
        pcm = self.speech(text, self.RATES[seed % len(self.RATES)])
        padded = silence(250, self.rate) + pcm + silence(350, self.rate)
        return phone_line(padded, self.rate, out_rate=rate, snr_db=snr, seed=seed)


def digit_strings(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        digits = "".join(rng.choice("0123456789") for _ in range(8))
        if i % 3 == 0:  # a digit repeated two or three times
            run = rng.choice((2, 3))
            k = rng.randrange(0, 9 - run)
            digits = digits[:k] + digits[k] * run + digits[k + run:]
        assert len(digits) == 8
        out.append(digits)
    return out


def read_digits(digits: str, rng: random.Random) -> str:
    """How a caller reads a digit string: words, "oh", "double", maybe a pause."""
    use_oh, use_double = rng.random() < 0.5, rng.random() < 0.4
    words: list[str] = []
    i = 0
    while i < len(digits):
        c = digits[i]
        word = "oh" if c == "0" and use_oh else DIGIT_WORDS[int(c)]
        run = 1
        while i + run < len(digits) and digits[i + run] == c:
            run += 1
        if use_double and run == 2:
            words.append(f"double {word}")
            i += 2
        else:
            words.append(word)
            i += 1
    if rng.random() < 0.4:
        k = len(words) // 2
        return " ".join(words[:k]) + ", " + " ".join(words[k:])
    return " ".join(words)


# ---- running ---------------------------------------------------------------------------------

@dataclass
class Score:
    right: int = 0
    total: int = 0
    latencies: list[float] = field(default_factory=list)

    def add(self, ok: bool, latency: float) -> None:
        self.right += ok
        self.total += 1
        self.latencies.append(latency)

    def rate(self) -> str:
        return f"{100 * self.right / self.total:.1f} % ({self.right}/{self.total})" \
            if self.total else "-"


def hear(engine: AsrEngine, task: Task, audio: bytes, rate: int) -> tuple[Any, float]:
    """Feed 20 ms chunks until the audio ends or the recognizer is complete; the latency is
    that of the last chunk's `feed` (where a partial decode may have completed the answer)
    plus `finish()`: from the last audio to the final result."""
    rec = engine.recognizer(task, rate)
    step = rate * 2 // 50  # 20 ms
    last = 0.0
    for k in range(0, len(audio), step):
        start = time.perf_counter()
        rec.feed(audio[k:k + step])
        last = time.perf_counter() - start
        if rec.complete:
            break
    start = time.perf_counter()
    hyp = rec.finish()
    return hyp, last + time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--digits", type=int, default=100, help="8-digit strings (default 100)")
    ap.add_argument("--quick", action="store_true", help="one SNR per phrase instead of four")
    ap.add_argument("--engines", default="sphinx,whisper,cascade")
    ap.add_argument("--rate", type=int, default=8000)
    ap.add_argument("--accept", type=float, default=AsrPolicy().accept,
                    help="the cascade's grammar confidence taken without Whisper")
    ap.add_argument("--verbose", action="store_true", help="print every error")
    args = ap.parse_args()
    rate = args.rate

    callers = Callers()
    sphinx = SphinxEngine()
    whisper = WhisperEngine()
    whisper_digits = WhisperEngine(partials=True)
    engines: dict[str, AsrEngine] = {"sphinx": sphinx, "whisper": whisper,
                                     "cascade": CascadeEngine(sphinx, whisper,
                                                              accept=args.accept)}
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    sphinx.load()
    whisper.load()

    menus = bot_menus("acme") + bot_menus("bank")
    yes_no_task = Task(kind="yes_no", phrases=("yes", "no"), intents=("agent_request",))
    snr_cycle = SNRS[1:2] if args.quick else SNRS

    results: dict[tuple[str, str], Score] = {}

    def score(name: str, what: str) -> Score:
        return results.setdefault((name, what), Score())

    def note(name: str, what: str, said: str, hyp: Any) -> None:
        if args.verbose:
            print(f"  {name:8s} {what:8s} {said!r} -> {hyp.text!r} ({hyp.confidence:.2f})")

    seed = 0
    for name in names:
        engine = engines[name]
        t0 = time.time()
        # menus
        for menu in menus:
            task = Task.from_listen(menu.listen)
            for index, phrases in enumerate(menu.choices):
                for phrase in phrases:
                    for snr in snr_cycle:
                        seed += 1
                        hyp, latency = hear(engine, task, callers.audio(phrase, snr, seed), rate)
                        ok = (hyp.confidence >= MIN_SPEECH_CONFIDENCE
                              and chosen(menu.choices, hyp.text) == index)
                        score(name, "menu").add(ok, latency)
                        score(name, f"menu {snr}").add(ok, latency)
                        if not ok:
                            note(name, "menu", phrase, hyp)
            for sentence in OUT_OF_GRAMMAR:
                seed += 1
                snr = snr_cycle[seed % len(snr_cycle)]
                hyp, latency = hear(engine, task, callers.audio(sentence, snr, seed), rate)
                taken = (hyp.confidence >= MIN_SPEECH_CONFIDENCE
                         and chosen(menu.choices, hyp.text) is not None)
                score(name, "oog menu").add(taken, latency)
                if taken:
                    note(name, "oog", sentence, hyp)
        # yes / no
        for phrase, meaning in YES_NO.items():
            for snr in snr_cycle:
                seed += 1
                hyp, latency = hear(engine, yes_no_task, callers.audio(phrase, snr, seed), rate)
                ok = (hyp.confidence >= MIN_SPEECH_CONFIDENCE
                      and normalize("yes_no", hyp.text).value == meaning)
                score(name, "yes_no").add(ok, latency)
                if not ok:
                    note(name, "yes_no", phrase, hyp)
        for sentence in OUT_OF_GRAMMAR:
            seed += 1
            snr = snr_cycle[seed % len(snr_cycle)]
            hyp, latency = hear(engine, yes_no_task, callers.audio(sentence, snr, seed), rate)
            taken = (hyp.confidence >= MIN_SPEECH_CONFIDENCE
                     and normalize("yes_no", hyp.text).value is not None)
            score(name, "oog yes_no").add(taken, latency)
            if taken:
                note(name, "oog", sentence, hyp)
        # digits (the cascade has no digits of its own: the policy sends digits to whisper)
        if name != "cascade":
            digit_engine = whisper_digits if name == "whisper" else engine
            task = Task(kind="digits", min_digits=8, max_digits=8, slot_type="digits")
            rng = random.Random(11)
            for i, digits in enumerate(digit_strings(args.digits)):
                snr = SNRS[i % len(SNRS)]
                seed += 1
                said = read_digits(digits, rng)
                hyp, latency = hear(digit_engine, task, callers.audio(said, snr, seed), rate)
                ok = hyp.confidence >= MIN_SPEECH_CONFIDENCE and hyp.text == digits
                score(name, "digits").add(ok, latency)
                score(name, f"digits {snr}").add(ok, latency)
                if not ok:
                    note(name, "digits", said, hyp)
        print(f"{name}: {time.time() - t0:.0f} s", file=sys.stderr)

    print(f"\nSpeech recognition on synthesised phone callers ({rate} Hz, mu-law, SNR "
          f"{', '.join(str(s) for s in (snr_cycle if args.quick else SNRS))} dB; cascade "
          f"accepts the grammar from {args.accept})\n")
    header = ("| engine | menu answers | yes/no | out-of-grammar accepted (menu / yes-no) | "
              "8-digit exact | latency p50 / p95 |")
    print(header)
    print("|---|---|---|---|---|---|")
    for name in names:
        lat = [x for (n, w), s in results.items() if n == name and " " not in w
               for x in s.latencies]
        digits = score(name, "digits").rate() if name != "cascade" else "(whisper)"
        print(f"| {name} | {score(name, 'menu').rate()} | {score(name, 'yes_no').rate()} | "
              f"{score(name, 'oog menu').rate()} / {score(name, 'oog yes_no').rate()} | "
              f"{digits} | {1000 * pct(lat, 0.5):.0f} / {1000 * pct(lat, 0.95):.0f} ms |")
    print("\nBy SNR (menu answers; 8-digit exact):")
    for name in names:
        parts = []
        for snr in snr_cycle:
            parts.append(f"{snr} dB: {score(name, f'menu {snr}').rate()}")
        if name != "cascade":
            parts += [f"digits {snr} dB: {score(name, f'digits {snr}').rate()}" for snr in SNRS]
        print(f"  {name}: " + "; ".join(parts))
    print("\nLatency by task, p50 / p95 (ms):")
    for (name, what), s in sorted(results.items()):
        if " " not in what or what.startswith("oog"):
            print(f"  {name:8s} {what:11s} {1000 * pct(s.latencies, 0.5):6.0f} / "
                  f"{1000 * pct(s.latencies, 0.95):6.0f}  (n={s.total})")
    print("\nvosk: not measured (the only Vosk model installable here is Korean)")


if __name__ == "__main__":
    main()
