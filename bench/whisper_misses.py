"""Whether Whisper tiny.en holds the words it misses anywhere a rescorer could find them.

Three caller lines of the conversation tests fail through the audio path because the bundled
open-speech model mishears one word on the phone band ("nicked", "my wifi", "swallowed"; the
xfail calls of tests/audio/test_bot_calls.py). Before building an N-best rescorer (the NLU
choosing among readings) or contextual biasing (words of the bot's NLU swapped in and scored),
this measures what either could use. For each line, at the test caller's three speeds, heard
through the phone line as in the tests, at the step where the tests say it:

* the rank of the first of the 8 best readings (beam 8) holding the word, unprompted and with
  the menu transcript's prompt (the bot's own setting), or "-" when none holds it;
* the mean log-probability per token of the line as said and of Whisper's best reading,
  forced on the same audio (CTranslate2 `align`, as the cascade's `weigh` scores phrases).

    .venv/bin/python bench/whisper_misses.py
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from pathlib import Path

import numpy as np
import soxr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runtime.bot import load_bot  # noqa: E402
from runtime.convtest import load_tests  # noqa: E402
from speech.asr.base import Task  # noqa: E402
from speech.asr.whisper import MODEL_RATE, WhisperEngine, _vocab  # noqa: E402
from speech.replay import capture  # noqa: E402
from speech.simulated import CallerVoice  # noqa: E402

# (bot, the caller's line, the word Whisper misses: a pattern over the reading, lowercased)
LINES = (
    ("bank", "somebody nicked my wallet on the train this morning", r"\bnicked\b"),
    ("acme", "my wifi has been dead since yesterday", r"\bwi-?fi\b"),
    ("bank", "the cash machine swallowed my card", r"\bswallowed\b"),
)
BEAM = 8
RATE = 8000


def main() -> None:
    # Tests whose services are down on purpose say "fetch failed" while the turns are captured.
    logging.getLogger("voxflow").setLevel(logging.ERROR)
    engine = WhisperEngine()
    engine.load()
    voice = CallerVoice()
    suppress = _vocab(engine.model).default_suppress
    print(f"{'line':<38} speed  rank free / prompted   said   best reading")
    for bot_name, line, word in LINES:
        bot = load_bot(ROOT / "bots" / bot_name)
        turns = asyncio.run(capture(bot, load_tests(bot.folder)))
        turn = next(t for t in turns if t.text == line)
        task = Task.from_listen(turn.listen)
        for speed in range(3):
            pcm = voice.line_sync(line, RATE, speed)
            audio = soxr.resample(np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768,
                                  RATE, MODEL_RATE)
            encoded = engine._encode(audio)
            ranks = []
            for prompt in ("", engine.transcript_prompt(task)):
                readings, _ = engine._generate(encoded, engine._start(prompt), beam=BEAM,
                                               hypotheses=BEAM, suppress=suppress)
                rank = next((i for i, r in enumerate(readings, 1)
                             if re.search(word, r.text.lower())), None)
                ranks.append(str(rank) if rank else "-")
                if not prompt:
                    best = readings[0].text
            look = engine.look(audio, Task(kind="open"))
            said, heard = engine._score(look, line), engine._score(look, best)
            print(f"{line[:38]:<38} {speed:>5}  {ranks[0]:>4} / {ranks[1]:<8}  "
                  f"{said:6.2f} {heard:6.2f}  {best}")


if __name__ == "__main__":
    main()
