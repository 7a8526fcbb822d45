"""pocketsphinx grammars on synthesised phone callers (real model, real audio)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from runtime.inputs import MIN_SPEECH_CONFIDENCE
from runtime.normalize import normalize
from speech.asr.base import AsrError, Task
from speech.asr.sphinx import EXTRA_SPEECH_CAP, SphinxEngine, build_grammar
from tests.speech.asr_support import SYNTH_RATE, bot_listens, caller, feed, speech

ACME_OUT_OF_GRAMMAR = ("what time do you close", "i want to talk about my mortgage",
                       "can you tell me the weather", "good morning", "cancel my subscription",
                       "i moved house", "who am i talking to", "the dog ate my homework")


@pytest.fixture(scope="module")
def engine() -> SphinxEngine:
    engine = SphinxEngine()
    engine.load()
    return engine


@pytest.fixture(scope="module")
def acme_menu() -> Task:
    return Task.from_listen(bot_listens("acme")["step.main_menu"])


def hear(engine: SphinxEngine, task: Task, audio: bytes, rate: int = 8000):  # type: ignore[no-untyped-def]
    rec = engine.recognizer(task, rate)
    feed(rec, audio, rate)
    return rec.finish()


@pytest.mark.parametrize("rate", [8000, 16000])
def test_acme_menu_phrases(engine: SphinxEngine, acme_menu: Task, rate: int) -> None:
    heard = []
    for i, phrase in enumerate(acme_menu.phrases):
        hyp = hear(engine, acme_menu, caller(phrase, rate, snr_db=20, seed=i), rate)
        assert hyp.final and hyp.engine == "sphinx"
        assert hyp.text == phrase  # exactly as the flow wrote it ("how much do I owe")
        heard.append(hyp.confidence)
    assert sum(c >= MIN_SPEECH_CONFIDENCE for c in heard) >= len(heard) - 1


def test_bank_menu_phrases_with_apostrophes(engine: SphinxEngine) -> None:
    task = Task.from_listen(bot_listens("bank")["step.main_menu"])
    for i, phrase in enumerate(("I can't find my card", "a payment I don't recognize",
                                "my wallet was stolen", "representative")):
        assert hear(engine, task, caller(phrase, snr_db=20, seed=40 + i)).text == phrase


def test_yes_and_no_in_their_common_forms(engine: SphinxEngine) -> None:
    task = Task.from_listen(bot_listens("acme")["step.anything_else/0"])
    said = {"yes": True, "yeah": True, "that's right": True, "correct": True, "no": False,
            "nope": False, "no thank you": False}
    for i, (answer, meaning) in enumerate(said.items()):
        hyp = hear(engine, task, caller(answer, snr_db=20, seed=60 + i))
        assert normalize("yes_no", hyp.text).value is meaning, (answer, hyp)
        assert hyp.confidence >= MIN_SPEECH_CONFIDENCE, (answer, hyp)


def test_out_of_grammar_speech_is_rejected(engine: SphinxEngine, acme_menu: Task) -> None:
    taken = []
    for i, sentence in enumerate(ACME_OUT_OF_GRAMMAR):
        hyp = hear(engine, acme_menu, caller(sentence, snr_db=20, seed=80 + i))
        if hyp.text and hyp.confidence >= MIN_SPEECH_CONFIDENCE:
            taken.append((sentence, hyp.text, round(hyp.confidence, 2)))
    # A grammar forces speech onto its nearest phrase; the confidence says when it did.
    assert len(taken) <= 1, taken
    closes = hear(engine, acme_menu, caller("what time do you close", snr_db=20, seed=80))
    assert closes.text == "" or closes.confidence < MIN_SPEECH_CONFIDENCE


def test_a_whole_phrase_completes_the_turn(engine: SphinxEngine, acme_menu: Task) -> None:
    audio = caller("my internet is down", snr_db=20, seed=3, trailing_ms=1500)
    rec = engine.recognizer(acme_menu, 8000)
    partials, completed_at = feed(rec, audio, 8000, stop_when_complete=True)
    assert partials and not partials[-1].final
    assert completed_at is not None and completed_at < len(audio) / 16000 - 0.8
    assert rec.finish().text == "my internet is down"


def test_a_phrase_that_starts_a_longer_one_waits(engine: SphinxEngine, acme_menu: Task) -> None:
    rec = engine.recognizer(acme_menu, 8000)  # "pay" may go on as "pay my bill"
    _, completed_at = feed(rec, caller("pay", snr_db=25, seed=4, trailing_ms=1500), 8000)
    assert completed_at is None
    assert rec.finish().text == "pay"


def test_digit_grammar_completes_at_the_last_digit(engine: SphinxEngine) -> None:
    task = Task(kind="digits", min_digits=8, max_digits=8)
    audio = caller("four one two two seven oh five nine", 16000, snr_db=35, seed=5,
                   trailing_ms=1500)
    rec = engine.recognizer(task, 16000)
    partials, completed_at = feed(rec, audio, 16000, stop_when_complete=True)
    assert completed_at is not None and completed_at < len(audio) / 32000 - 0.8
    hyp = rec.finish()
    assert len(hyp.text) == 8 and hyp.text.isdigit()
    assert any(len(p.text) < 8 for p in partials)  # digits arrived one by one


def test_the_digit_grammar_counts_double_and_triple(engine: SphinxEngine) -> None:
    grammar = engine.grammar(Task(kind="digits", min_digits=3, max_digits=4))
    assert grammar.read("double five oh") == ("550", True)
    assert grammar.read("triple one") == ("111", True)
    assert grammar.read("one two") == ("12", False)
    assert "<s4> = (<d> <s3>) | (double <d> <s2>) | (triple <d> <s1>);" in grammar.jsgf
    assert "public <top> = <s3> | <s4>;" in grammar.jsgf


def test_words_missing_from_the_dictionary(engine: SphinxEngine, caplog) -> None:  # type: ignore[no-untyped-def]
    task = Task(kind="menu", phrases=("Riverstone card", "IVR help", "blorptastic help", "zqxv"))
    grammar = build_grammar(task, engine._take().decoder.lookup_word)
    assert "(river stone card)" in grammar.jsgf  # a compound split into dictionary words
    assert "(letter_i letter_v letter_r help)" in grammar.jsgf  # an acronym spelled
    assert ("letter_v", "V IY") in grammar.extra_words
    assert grammar.outputs["river stone card"] == "Riverstone card"
    assert "(help)" in grammar.jsgf  # the unknown word left out, the phrase kept
    assert any("blorptastic" in s for s in grammar.skipped)
    assert "'zqxv'" in grammar.skipped  # nothing left of it: the phrase is dropped
    assert "blorptastic" in caplog.text
    hyp = hear(engine, task, caller("riverstone card", snr_db=25, seed=6))
    assert hyp.text == "Riverstone card"
    with pytest.raises(AsrError, match="can be said"):
        build_grammar(Task(kind="menu", phrases=("zqxv",)), engine._take().decoder.lookup_word)


def test_concurrent_recognizers_use_their_own_decoders(engine: SphinxEngine,
                                                       acme_menu: Task) -> None:
    phrases = ("balance", "no service", "make a payment", "outage")
    results: dict[str, str] = {}

    def run(phrase: str, seed: int) -> None:
        rec = engine.recognizer(acme_menu, 8000)
        feed(rec, caller(phrase, snr_db=25, seed=seed), 8000)
        results[phrase] = rec.finish().text

    threads = [threading.Thread(target=run, args=(p, 90 + i)) for i, p in enumerate(phrases)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {p: p for p in phrases}


def test_calls_waiting_for_an_answer_hold_no_decoder(acme_menu: Task) -> None:
    # Each decoder holds the acoustic model (~27 MB): 200 calls at a menu must not hold 200.
    engine = SphinxEngine()
    waiting = [engine.recognizer(acme_menu, 8000) for _ in range(20)]
    assert engine.decoders == 1  # the one kept ready for the first caller who speaks
    speaking = waiting[:3]
    for i, rec in enumerate(speaking):  # three callers answer at once: a decoder each
        feed(rec, caller("balance", snr_db=25, seed=70 + i), 8000)
    assert engine.decoders == 3
    for rec in speaking:
        assert rec.finish().text == "balance"
    for rec in waiting[3:]:
        rec.cancel()
    assert engine.decoders == 3
    assert hear(engine, acme_menu, caller("outage", snr_db=25, seed=73)).text == "outage"
    assert engine.decoders == 3  # the next turns reuse them


def test_configuration_errors() -> None:
    with pytest.raises(AsrError, match="/nonexistent/model"):
        SphinxEngine(hmm="/nonexistent/model").recognizer(Task(kind="yes_no"), 8000)
    engine = SphinxEngine()
    with pytest.raises(AsrError, match="closed tasks"):
        engine.recognizer(Task(kind="open"), 8000)
    with pytest.raises(ValueError, match="8000 or 16000"):
        engine.recognizer(Task(kind="yes_no"), 44100)


def test_cancel_and_reuse(engine: SphinxEngine, acme_menu: Task) -> None:
    rec = engine.recognizer(acme_menu, 8000)
    rec.feed(caller("balance", snr_db=25, seed=7)[:4000])
    rec.cancel()
    with pytest.raises(RuntimeError, match="finished"):
        rec.feed(b"\0\0" * 160)
    assert hear(engine, acme_menu, caller("balance", snr_db=25, seed=7)).text == "balance"


def test_a_sentence_that_is_no_answer_does_not_complete_while_the_caller_talks(
        engine: SphinxEngine, acme_menu: Task) -> None:
    # Its best path rests on a phrase for a while ("...my number"); ending the turn there cut
    # the caller off mid-sentence and the open engine heard half of it.
    sentence = "can I keep my number if I move house"
    audio = caller(sentence, snr_db=25, seed=5, trailing_ms=1500)
    words = np.abs(np.frombuffer(speech(sentence), dtype="<i2").astype(np.float32))
    last_word_ends_s = 0.25 + np.flatnonzero(words > 0.05 * words.max())[-1] / SYNTH_RATE
    rec = engine.recognizer(acme_menu, 8000)
    _, completed_at = feed(rec, audio, 8000, stop_when_complete=True)
    assert completed_at is None or completed_at > last_word_ends_s
    rec.cancel()


def test_speech_beyond_the_answer_caps_the_confidence(engine: SphinxEngine,
                                                      acme_menu: Task) -> None:
    # "I want to make a payment" is no phrase of this menu ("make a payment" is): the grammar
    # puts "I want to" in silence, and says so with a confidence the runtime does not take.
    hyp = hear(engine, acme_menu, caller("well I really want to make a payment", snr_db=25,
                                         seed=7))
    assert hyp.confidence <= EXTRA_SPEECH_CAP, hyp
    right = hear(engine, acme_menu, caller("make a payment", snr_db=25, seed=7))
    assert right.text == "make a payment" and right.confidence > EXTRA_SPEECH_CAP, right


def test_a_sentence_cut_at_its_end_is_not_taken_for_a_phrase_held_over_it(
        engine: SphinxEngine, acme_menu: Task) -> None:
    # The turn ends early, as the listener ends it, with no silence after the words: the
    # search put "that's everything thanks bye" into "service" (1.2 s) and took "no service"
    # at 0.75, so a caller saying goodbye was sent to the outage line.
    goodbye = "no that's everything thanks bye"
    for seed in range(3):
        rec = engine.recognizer(acme_menu, 8000)
        _, completed_at = feed(rec, caller(goodbye, snr_db=25, seed=seed), 8000,
                               stop_when_complete=True)
        hyp = rec.finish()
        assert completed_at is not None  # the early end this test is about
        assert hyp.confidence <= EXTRA_SPEECH_CAP, hyp
    # The answer itself, ended the same way, still counts.
    rec = engine.recognizer(acme_menu, 8000)
    feed(rec, caller("no service", snr_db=25, seed=0), 8000, stop_when_complete=True)
    right = rec.finish()
    assert right.text == "no service" and right.confidence > EXTRA_SPEECH_CAP, right


def test_serving_loads_each_input_steps_engine_before_the_first_call() -> None:
    from pathlib import Path

    from media_bridge.voice import SpeechStack
    from runtime.bot import load_bot
    from speech.asr.base import ir_input_nodes, listen_of
    from speech.asr.choose import AsrPolicy

    bot = load_bot(Path(__file__).resolve().parents[2] / "bench" / "voice" / "menu_loop.flow")
    # Engines of its own in this process: two callers may speak at the same moment.
    policy = AsrPolicy(fallback="none", sphinx_decoders=2)
    assert SpeechStack(synthesizer=None, picker=policy).warm(bot.ir) == ["sphinx"]
    menu = Task.from_listen(listen_of(ir_input_nodes(bot.ir)[0]))
    engine = policy.engine_for(menu)
    assert isinstance(engine, SphinxEngine)
    assert engine.decoders == 2  # made before any call, with the menu's grammar loaded
    both = [engine.recognizer(menu, 8000) for _ in range(2)]
    for i, rec in enumerate(both):
        feed(rec, caller("billing", snr_db=25, seed=74 + i), 8000)
    assert [rec.finish().text for rec in both] == ["billing", "billing"]
    assert engine.decoders == 2  # none made while they spoke


def test_a_whole_answer_the_best_path_never_started_is_not_taken(engine: SphinxEngine,
                                                                 acme_menu: Task) -> None:
    # The test caller's "I want to make a payment": the search kept no whole answer and its
    # best path stopped at "how much"; the lattice's best whole answer, "balance", scored as
    # well as a clear answer (0.90) and sent a payment to the balance.
    from speech.simulated import CallerVoice

    voice = CallerVoice()
    for variant in (0, 1):
        hyp = hear(engine, acme_menu, voice.line_sync("I want to make a payment", 8000, variant))
        assert hyp.text != "balance" or hyp.confidence < MIN_SPEECH_CONFIDENCE, (variant, hyp)
    # A path that stopped inside the answer still gives the answer ("no thank" -> "no thanks").
    yes_no = Task(kind="yes_no", phrases=("yes", "no"))
    hyp = hear(engine, yes_no, caller("no thanks", snr_db=20, seed=3))
    assert normalize("yes_no", hyp.text).value is False and hyp.confidence >= MIN_SPEECH_CONFIDENCE
