"""First audio of a dynamic prompt: how long a caller waits, after their key press, for the first
sound of a prompt synthesised live (a read-back, a knowledge answer), with the whole prompt
synthesised before anything is sent ("whole") or sentence by sentence ("streamed").

    .venv/bin/python bench/first_audio.py                 # 5 calls per prompt and variant
    .venv/bin/python bench/first_audio.py --reps 3 --playback inject-binary

One process: the stand-in FreeSWITCH, the media bridge and a bot whose only reply is the
prompt under test (`say "{env.text}"`: interpolated, so never cached), spoken with piper (the
bundled voice) through the prompt-cached synthesizer as `voxflow serve` uses it. Each call
waits for the menu to listen, presses 1 over the Event Socket and measures key press -> first
byte of the reply's audio at the switch (file mode: its first `streamAudio` file; injection:
its first chunk); in file mode it also waits for the reply's other files and reports the
longest silence a caller would hear between sentences (a sentence that came after the one
before it had finished playing); then it hangs up. "whole" hides the synthesizer's `stream`,
which is how the channel played every prompt before; the variants alternate call by call, so
both see the same machine load.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dsl.compile import compile_text  # noqa: E402
from media_bridge.esl import EslClient  # noqa: E402
from media_bridge.protocol import PlaybackMode  # noqa: E402
from media_bridge.server import MediaBridgeServer, metadata_for  # noqa: E402
from media_bridge.settings import BridgeSettings  # noqa: E402
from media_bridge.standin import StandInSwitch  # noqa: E402
from runtime.program import load_program  # noqa: E402
from runtime.session import Session  # noqa: E402
from speech.prompts import CachedSynthesizer, PromptCache  # noqa: E402
from speech.tts import PiperSynthesizer  # noqa: E402

FLOW = '''
flow firstaudio "First audio of a dynamic prompt"
  defaults
    input keys
    noinput after 60s
    attempts 3

start
  go ask

menu ask
  prompt "Press one."
  1 "one" -> speak
  on failure hangup

step speak
  say "{env.text}"
  hangup
'''
PROMPTS = {  # name -> a prompt synthesised live
    "digits read-back": "That's one, two, three, four, five, six, seven, eight. Is that right?",
    "date read-back": "I heard Thursday, July 4, 1985. Is that right? Press 1 for yes, or 2 "
                      "to say it again.",
    "knowledge answer": "You can pay your bill online, by phone, or at any Acme store. Online "
                        "payments are free and post the same day. Payments by phone cost one "
                        "dollar. Store payments can take up to two days to show on your "
                        "account.",
}
FLAVOURS = {PlaybackMode.FILE: "community", PlaybackMode.INJECT_BINARY: "cloudfieldcz",
            PlaybackMode.INJECT_STREAM_AUDIO: "pr118"}
TOKEN = "bench-first-audio"
RATE = 8000


class WholeOnly:
    """The synthesizer without its `stream`: every prompt is synthesised whole first."""

    def __init__(self, synth: CachedSynthesizer) -> None:
        self.synth = synth

    async def synthesize(self, text: str, *, rate: int, language: str = "",
                         voice: str = "") -> bytes:
        return await self.synth.synthesize(text, rate=rate, language=language, voice=voice)


class Switchable:
    """The bridge's synthesizer; each call is placed with one variant or the other."""

    def __init__(self, synth: CachedSynthesizer) -> None:
        self.streamed, self.whole = synth, WholeOnly(synth)
        self.current: Any = synth

    async def synthesize(self, text: str, *, rate: int, language: str = "",
                         voice: str = "") -> bytes:
        return await self.current.synthesize(text, rate=rate, language=language, voice=voice)

    def __getattr__(self, name: str) -> Any:  # `stream` exists only while streaming
        if name == "stream" and self.current is self.streamed:
            return self.streamed.stream
        raise AttributeError(name)


async def one_call(switch: StandInSwitch, esl: EslClient, server: MediaBridgeServer,
                   url: str, texts: dict[str, str], text: str,
                   pieces: int = 0) -> tuple[float, float | None]:
    """Place a call whose reply is `text`, press 1 when the menu listens. Returns ms until the
    reply's first audio and, when `pieces` (file mode: the files the reply comes in) is given,
    the longest silence between them a caller would hear (0: none), else None."""
    loop = asyncio.get_running_loop()
    pressed = 0.0
    arrived: list[tuple[float, int]] = []  # (when, bytes) of the reply's audio
    first = asyncio.Event()
    whole = asyncio.Event()
    call = switch.new_call(variables={"STREAM_EXTRA_HEADERS": f'{{"Authorization": '
                                                              f'"Bearer {TOKEN}"}}'})
    texts[call.uuid] = text  # the bot's env.text (read when the stream opens)

    def heard(pcm: bytes, rate: int, how: str) -> None:
        if not pressed:
            return  # the menu prompt
        arrived.append((loop.time(), len(pcm)))
        first.set()
        if len(arrived) == pieces:
            whole.set()

    call.on_audio = heard
    reply = await esl.audio_stream_start(call.uuid, url, RATE, metadata_for(call.uuid, RATE))
    assert reply.ok, reply.text
    while not listening(server, call.uuid):
        await asyncio.sleep(0.005)
    pressed = loop.time()
    call.press("1")
    await asyncio.wait_for(first.wait(), 30)
    gap = None
    if pieces:
        await asyncio.wait_for(whole.wait(), 30)
        gap = longest_gap(arrived) * 1000
    await call.hang_up()
    await server.wait_finished(call.uuid, 10)
    return (arrived[0][0] - pressed) * 1000, gap


def longest_gap(arrived: list[tuple[float, int]]) -> float:
    """Seconds of the longest silence a caller hears between pieces played back to back from
    the first one's arrival (a piece that comes after the one before it has ended)."""
    end, gap = arrived[0][0], 0.0
    for at, size in arrived:
        gap = max(gap, at - end)
        end = max(at, end) + size / (2 * RATE)
    return gap


def listening(server: MediaBridgeServer, uuid: str) -> bool:
    bridge = server.bridges.get(uuid)
    session = bridge.session if bridge is not None else None
    state = session.state.input if session is not None else None
    return state is not None and state.phase == "listening"


async def main(args: argparse.Namespace) -> None:
    mode = PlaybackMode(args.playback)
    # Each call hangs up as soon as its reply is heard: the commands for the rest of the reply
    # are refused, as they should be, and are not news.
    logging.getLogger("voxflow").setLevel(logging.ERROR)
    program = load_program(compile_text(FLOW).ir())
    piper = PiperSynthesizer()
    await piper.synthesize("Warming up the voice.", rate=RATE)  # loads the model once
    texts: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as cache_dir:
        synth = Switchable(CachedSynthesizer(PromptCache(cache_dir), piper))
        switch = StandInSwitch(password="ClueCon", flavour=FLAVOURS[mode],
                               broadcast_delay_s=0.0)
        port = await switch.start()
        esl = EslClient("127.0.0.1", port, "ClueCon")
        await esl.start()
        settings = BridgeSettings(token=TOKEN, playback=mode)
        server = MediaBridgeServer(settings, esl, lambda metadata: Session(program),
                                   synthesizer=synth,
                                   env_for=lambda metadata: {"text": texts[metadata.uuid]})
        url = f"{await server.start()}/calls"
        results: dict[tuple[str, str], list[float]] = {}
        gaps: dict[str, list[float]] = {}  # file mode, streamed: silences between sentences
        file_mode = mode is PlaybackMode.FILE
        try:
            for name, text in PROMPTS.items():
                started = time.perf_counter()
                sentences = len(await asyncio.to_thread(list, piper.tts().iter_pcm(text, RATE)))
                whole_s = time.perf_counter() - started
                print(f"{name}: {sentences} sentences, {whole_s * 1000:.0f} ms to synthesise "
                      "whole", flush=True)
                for rep in range(args.reps):
                    for variant in (("whole", "streamed") if rep % 2 == 0
                                    else ("streamed", "whole")):
                        streamed = variant == "streamed"
                        synth.current = synth.streamed if streamed else synth.whole
                        files = (sentences if streamed else 1) if file_mode else 0
                        ms, gap = await one_call(switch, esl, server, url, texts, text, files)
                        texts.clear()
                        results.setdefault((name, variant), []).append(ms)
                        if gap is not None and streamed:
                            gaps.setdefault(name, []).append(gap)
                        silence = "" if gap is None else f", longest silence {gap:.0f} ms"
                        print(f"  {variant:8} {ms:7.0f} ms{silence}", flush=True)
        finally:
            await server.stop()
            await esl.close()
            await switch.close()
    print(f"\nfirst audio after the key press, {args.playback} playback, {args.reps} calls "
          "each (p50, min-max):")
    print("| prompt | whole | streamed | streamed: longest silence between sentences |")
    print("|---|---|---|---|")
    for name in PROMPTS:
        cells = [spread(results[(name, variant)]) for variant in ("whole", "streamed")]
        cells.append(f"{max(gaps[name]):.0f} ms" if name in gaps else "n/a")
        print(f"| {name} | {' | '.join(cells)} |")


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ms ({min(values):.0f}-{max(values):.0f})"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5, help="calls per prompt and variant")
    parser.add_argument("--playback", default="file",
                        choices=[m.value for m in PlaybackMode])
    asyncio.run(main(parser.parse_args()))
