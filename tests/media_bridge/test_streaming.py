"""Prompts synthesised live are played sentence by sentence: the caller hears the first
sentence while the rest is being made, in every playback mode. A synthesizer whose sentences
the test lets through one at a time (events, not timing) shows the order of things."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from media_bridge import protocol as P
from media_bridge.fakes import FakeSentenceSynthesizer, FakeToneSynthesizer, sentence_spans
from media_bridge.protocol import PlaybackMode
from media_bridge.standin import StandInCall
from tests.media_bridge.rig import Rig, events, run, until

MODES = [PlaybackMode.FILE, PlaybackMode.INJECT_BINARY, PlaybackMode.INJECT_STREAM_AUDIO]
HEARD = "Thursday July 4 1985"
FLOW = '''
flow s "Streamed prompts"
  defaults
    input keys
    noinput after 5s
    attempts 2

start
  say "Hello. This is a test."
  go main

menu main
  prompt "I heard {env.heard}. Is that right? Press one for yes, two for no."
  1 "yes" -> yes
  2 "no" -> no
  on failure hangup

step yes
  say "Thanks."
  hangup

step no
  say "Sorry."
  hangup
'''
HELLO = "Hello. This is a test."
READ_BACK = f"I heard {HEARD}. Is that right? Press one for yes, two for no."
RATE = 8000


class GatedSynthesizer(FakeSentenceSynthesizer):
    """Streams the sentences of `gated` only as the test lets each through (`let`); other
    texts stream freely. `made` is every sentence synthesised, in order; `closed` the gated
    streams that ended, finished or not."""

    def __init__(self, gated: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.gated = gated
        self.gates = [asyncio.Event() for _ in sentence_spans(gated)]
        self.made: list[str] = []
        self.closed = 0

    def let(self, *sentences: int) -> None:
        for i in sentences:
            self.gates[i].set()

    async def stream(self, text: str, rate: int, *, language: str = "",
                     voice: str = "") -> AsyncIterator[bytes]:
        whole = await self.synthesize(text, rate=rate, language=language, voice=voice)
        try:
            for i, (start, end) in enumerate(sentence_spans(text)):
                if text == self.gated:
                    await self.gates[i].wait()
                self.made.append(text[start:end])
                yield whole[self.offset(start, rate):self.offset(end, rate)]
        finally:
            if text == self.gated:
                self.closed += 1


def whole(text: str, ms_per_character: float) -> bytes:
    """The text's audio in one piece, as the fake voice makes it."""
    return FakeToneSynthesizer(ms_per_character=ms_per_character).tone(text, RATE)


async def placed(rig: Rig) -> tuple[StandInCall, list[bytes]]:
    """A call whose bot audio is collected as it reaches the switch (each streamAudio file,
    or each injected chunk)."""
    heard: list[bytes] = []

    def listen(call: StandInCall) -> None:
        call.on_audio = lambda pcm, rate, how: heard.append(pcm)

    return await rig.call(before_start=listen), heard


def stream_files(call: StandInCall) -> list[bytes]:
    """The audio of each streamAudio message the bridge sent (file mode)."""
    out = []
    for text in call.streams[0].received_text:
        kind, rate, data, _ = P.parse_stream_audio(text)  # type: ignore[misc]
        assert (kind, rate) == ("raw", RATE)
        out.append(data)
    return out


def finished_once(session: Any) -> dict[str, bool]:
    """playback id -> interrupted, checking that no Play ended twice or never."""
    finished = events(session, "playback_finished")
    ids = [e["playback_id"] for e in finished]
    assert len(ids) == len(set(ids)), f"a Play finished twice: {ids}"
    plays = [e["playback_id"] for e in session.log
             if e["kind"] == "action" and e.get("type") == "play"]
    assert sorted(ids) == sorted(plays), "every Play ends exactly once"
    return {e["playback_id"]: e["interrupted"] for e in finished}


def gated_rig(mode: PlaybackMode, gated: str, ms_per_character: float) -> tuple[Rig,
                                                                             GatedSynthesizer]:
    rig = Rig(mode, FLOW, ms_per_character=ms_per_character, env={"heard": HEARD})
    synth = GatedSynthesizer(gated, ms_per_character=ms_per_character)
    rig.synth = synth  # before the bridge starts: its calls speak with this one
    return rig, synth


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
def test_the_first_sentence_plays_before_the_last_is_synthesised(mode: PlaybackMode) -> None:
    async def main() -> None:
        rig, synth = gated_rig(mode, READ_BACK, ms_per_character=4.0)
        async with rig:
            call, heard = await placed(rig)
            session = rig.session(call)
            await until(lambda: any(e.get("text") == READ_BACK for e in session.log),
                        what="the read-back to be asked for")
            synth.let(0)
            if mode is PlaybackMode.FILE:
                # sent as its own file, and already broadcast to the caller
                first_file = f"{rig.switch.temp_dir}/{call.uuid}_2.tmp.r8"
                await until(lambda: f"uuid_broadcast {call.uuid} {first_file} aleg"
                            in rig.switch.api_log, what="the first sentence to play")
                first = synth.offset(sentence_spans(READ_BACK)[0][1], RATE)
                assert len(heard) == 3 and len(heard[2]) == first
            else:
                hello = len(whole(HELLO, 4.0))
                await until(lambda: len(b"".join(heard)) > hello,
                            what="the first sentence to play")
            # the rest is not even made yet
            assert synth.made[-1] == f"I heard {HEARD}. "
            assert "Is that right? " not in synth.made
            synth.let(1, 2)
            await until(lambda: session.state.input is not None
                        and session.state.input.phase == "listening", what="the menu")
            await until(lambda: len(finished_once(session)) == 2, what="the prompts to end")
            audio = b"".join(heard)
            expected = whole(HELLO, 4.0) + whole(READ_BACK, 4.0)
            assert audio == expected  # the sentences joined are the whole prompt
            if mode is PlaybackMode.FILE:
                files = stream_files(call)
                # "Hello." "This is a test." and the read-back's three sentences
                assert len(files) == 5
                assert b"".join(files[2:]) == whole(READ_BACK, 4.0)
                assert [status for _, status in call.broadcasts] == ["done"] * 5
                assert [f for f, _ in call.broadcasts] == [
                    f"{rig.switch.temp_dir}/{call.uuid}_{n}.tmp.r8" for n in range(5)]
            assert not any(finished_once(session).values())
            call.press("1")
            await rig.finished(call)
            assert not any(finished_once(session).values())

    run(main())


@pytest.mark.parametrize("made", [1, 2], ids=["second sentence not made",
                                               "second sentence made and queued"])
@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
def test_a_barge_in_during_the_first_sentence_stops_the_whole_prompt(
        mode: PlaybackMode, made: int) -> None:
    async def main() -> None:
        # 60 ms a character: the read-back's first sentence plays for about 1.7 s
        rig, synth = gated_rig(mode, READ_BACK, ms_per_character=60.0)
        spans = sentence_spans(READ_BACK)
        async with rig:
            call, _ = await placed(rig)
            session = rig.session(call)
            await until(lambda: any(e.get("text") == READ_BACK for e in session.log),
                        what="the read-back to be asked for")
            hello = len(whole(HELLO, 60.0))
            synth.let(*range(made))
            file = f"{rig.switch.temp_dir}/{call.uuid}_{{}}.tmp.r8".format
            if mode is PlaybackMode.FILE:
                # the first sentence plays; with two made, the second is queued behind it
                await until(lambda: f"uuid_broadcast {call.uuid} {file(1 + made)} aleg"
                            in rig.switch.api_log, what="the sentences to be broadcast")
                await until(lambda: call.playing and len(call.broadcasts) == 2,
                            what="the first sentence to play")
            else:
                await until(lambda: len(synth.made) == 2 + made, what="the sentences")
                await until(lambda: len(call.injected) > hello, timeout=8,
                            what="the first sentence to play")
            await until(lambda: events(session, "playback_finished"), what="Hello to end")
            call.press("2")  # barge-in
            await until(lambda: len(events(session, "playback_finished")) == 2,
                        what="the read-back to stop")
            await until(lambda: synth.closed == 1, what="the synthesis to be cancelled")
            synth.let(0, 1, 2)  # too late: nothing more of the prompt is made or played
            await rig.finished(call)
            assert synth.made[2:] == [READ_BACK[a:b] for a, b in spans[:made]] + ["Sorry."]
            ended = finished_once(session)
            assert list(ended.values()) == [False, True, False]  # Hello, the read-back, Sorry
            sorry = whole("Sorry.", 60.0)
            if mode is PlaybackMode.FILE:
                assert f"uuid_break {call.uuid} all" in rig.switch.api_log
                files = stream_files(call)
                assert len(files) == 3 + made  # Hello (2), the sentences made, Sorry
                assert files[-1] == sorry
                # the second sentence, queued on the switch, went with the break
                assert call.broadcasts == [(file(0), "done"), (file(1), "done"),
                                           (file(2), "break"), (file(2 + made), "done")]
            else:
                assert call.clears == 1
                first = synth.offset(spans[0][1], RATE)
                # Hello, part of the first sentence (paced: not all of it was sent), Sorry
                assert len(call.injected) <= hello + first + len(sorry)
                assert bytes(call.injected).endswith(sorry)

    run(main(), timeout=30)


def test_a_later_prompt_waits_for_the_earlier_ones_sentences() -> None:
    async def main() -> None:
        rig, synth = gated_rig(PlaybackMode.FILE, HELLO, ms_per_character=4.0)
        async with rig:
            call, heard = await placed(rig)
            session = rig.session(call)
            synth.let(0)
            await until(lambda: len(heard) == 1, what="Hello")
            await until(lambda: any(e.get("text") == READ_BACK for e in session.log),
                        what="the read-back to be asked for")
            # the read-back is queued, but not synthesised before Hello's last sentence
            assert READ_BACK not in synth.spoken and synth.made == ["Hello. "]
            synth.let(1)
            await until(lambda: len(call.broadcasts) == 5, what="every file to play")
            assert synth.made == ["Hello. ", "This is a test.", f"I heard {HEARD}. ",
                                  "Is that right? ", "Press one for yes, two for no."]
            assert b"".join(stream_files(call)) == whole(HELLO, 4.0) + whole(READ_BACK, 4.0)
            await call.hang_up()

    run(main())


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
def test_a_synthesizer_without_stream_plays_each_prompt_whole(mode: PlaybackMode) -> None:
    async def main() -> None:
        async with Rig(mode, FLOW, env={"heard": HEARD}, streaming=False) as rig:
            assert not hasattr(rig.synth, "stream")
            call, heard = await placed(rig)
            session = rig.session(call)
            await until(lambda: session.state.input is not None
                        and session.state.input.phase == "listening", what="the menu")
            await until(lambda: len(finished_once(session)) == 2, what="the prompts to end")
            assert b"".join(heard) == whole(HELLO, 4.0) + whole(READ_BACK, 4.0)
            if mode is PlaybackMode.FILE:
                assert stream_files(call) == [whole(HELLO, 4.0), whole(READ_BACK, 4.0)]
            call.press("1")
            await rig.finished(call)
            assert not any(finished_once(session).values())

    run(main())


# ---- the synthesizers' side ---------------------------------------------------------------------

def test_the_prompt_cache_serves_a_hit_whole_and_streams_a_miss(tmp_path: Path) -> None:
    """`CachedSynthesizer.stream`: a cached prompt is one piece, read from the cache; a live
    prompt comes sentence by sentence from the voice's `stream`, or whole from a voice
    without one; nothing live is kept."""
    from media_bridge.speech import sentences
    from speech.prompts import CachedSynthesizer, PromptCache

    cache = PromptCache(tmp_path)
    voice = FakeSentenceSynthesizer(ms_per_character=4.0)
    cached = CachedSynthesizer(cache, voice)
    cache.put("Press one. Or two.", "", RATE, cached.engine, b"\x01\x02" * 100)

    async def pieces(synth: Any, text: str) -> list[bytes]:
        return [p async for p in sentences(synth, text, rate=RATE)]

    async def main() -> None:
        assert await pieces(cached, "Press one. Or two.") == [b"\x01\x02" * 100]
        assert voice.spoken == [] and (cached.hits, cached.misses) == (1, 0)
        live = await pieces(cached, READ_BACK)
        assert len(live) == 3 and b"".join(live) == whole(READ_BACK, 4.0)
        assert (cached.hits, cached.misses) == (1, 1)
        plain = CachedSynthesizer(cache, FakeToneSynthesizer(ms_per_character=4.0))
        assert await pieces(plain, READ_BACK) == [whole(READ_BACK, 4.0)]
        assert await pieces(cached, "   ") == []
        assert cache.remembered(cache.key(READ_BACK, "", RATE, cached.engine)) is None

    asyncio.run(main())
