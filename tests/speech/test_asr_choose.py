"""The default policy end to end: the acme bot's steps heard by the engines it picks."""

from __future__ import annotations

import pytest

from runtime.inputs import MIN_SPEECH_CONFIDENCE
from runtime.normalize import normalize
from speech.asr.base import Task
from speech.asr.cascade import CascadeRecognizer
from speech.asr.choose import AsrPolicy, engine_for, recognizer_for
from speech.asr.text import words_key
from speech.asr.whisper import WhisperRecognizer
from tests.speech.asr_support import bot_listens, caller, feed

POLICY = AsrPolicy()  # the defaults, whatever the environment says


@pytest.fixture(scope="module")
def acme():  # type: ignore[no-untyped-def]
    return bot_listens("acme")


def hear(listen, text: str, seed: int, rate: int = 8000):  # type: ignore[no-untyped-def]
    rec = recognizer_for(listen, rate, POLICY)
    feed(rec, caller(text, rate, snr_db=20, seed=seed), rate, stop_when_complete=True)
    return rec, rec.finish()


def test_menu_phrases_are_answered_by_the_grammar(acme) -> None:  # type: ignore[no-untyped-def]
    engines = []
    for i, phrase in enumerate(("how much do I owe", "make a payment", "no service")):
        rec, hyp = hear(acme["step.main_menu"], phrase, seed=i)
        assert isinstance(rec, CascadeRecognizer)
        assert words_key(hyp.text) == words_key(phrase), hyp
        assert hyp.confidence >= MIN_SPEECH_CONFIDENCE
        engines.append(hyp.engine)
    # Mostly the grammar alone (20-40 ms); Whisper only where the grammar was not sure.
    assert engines.count("sphinx") >= 2, engines


def test_other_speech_at_the_menu_reaches_whisper(acme) -> None:  # type: ignore[no-untyped-def]
    _, hyp = hear(acme["step.main_menu"], "can I speak to a human please", seed=20)
    assert hyp.engine == "whisper"
    assert "human" in hyp.text.lower()  # for the runtime's intent matching


def test_yes_no_step_with_an_agent_request(acme) -> None:  # type: ignore[no-untyped-def]
    listen = acme["step.anything_else/0"]
    _, yes = hear(listen, "yes please", seed=21)
    assert normalize("yes_no", yes.text).value is True
    assert yes.confidence >= MIN_SPEECH_CONFIDENCE
    _, agent = hear(listen, "I want to talk to an agent", seed=22)
    assert agent.engine == "whisper" and "agent" in agent.text.lower()


def test_account_numbers_go_to_whisper_digits(acme) -> None:  # type: ignore[no-untyped-def]
    rec, hyp = hear(acme["step.balance/1"], "one two double three, four oh five six", seed=23)
    assert isinstance(rec, WhisperRecognizer) and rec.complete
    assert hyp.text == "12334056"


def test_engines_are_shared(acme) -> None:  # type: ignore[no-untyped-def]
    menu = Task.from_listen(acme["step.main_menu"])
    assert engine_for(menu, POLICY) is POLICY.engine_for(menu)
    assert engine_for(menu, POLICY).name == "sphinx+whisper"
    yes_no = Task.from_listen(acme["step.anything_else/0"])
    cascade = engine_for(yes_no, POLICY)
    assert cascade is engine_for(menu, POLICY)
    assert engine_for(Task(kind="menu", phrases=("mail",)), POLICY) is cascade


class _Said:
    """A recognizer that heard what it is told to (the cascade's rules, without audio)."""

    def __init__(self, text: str, confidence: float, engine: str) -> None:
        from speech.asr.base import Hypothesis

        self.hyp = Hypothesis(text=text, confidence=confidence, final=True, engine=engine)
        self.complete = False

    def feed(self, pcm: bytes) -> None:
        return None

    def finish(self):  # type: ignore[no-untyped-def]
        return self.hyp

    def cancel(self) -> None:
        pass


def _cascade(task: Task, grammar: tuple[str, float], heard: tuple[str, float]) -> str:
    from speech.asr.cascade import CascadeEngine

    engine = CascadeEngine(POLICY.engine_for(Task(kind="menu", phrases=("a",))).first,  # type: ignore[attr-defined]
                           POLICY.engine_for(Task(kind="open")), accept=0.6)
    rec = CascadeRecognizer(engine, task, 8000, _Said(*grammar, "sphinx"),  # type: ignore[arg-type]
                            _Said(*heard, "whisper"))
    return rec.finish().text


def test_an_unsure_grammar_answer_with_no_second_opinion() -> None:
    # At a menu the grammar's single word beats Whisper's mishearing of it ("pay" -> "Hey.")...
    menu = Task(kind="menu", phrases=("pay", "balance"))
    assert _cascade(menu, ("pay", 0.5), ("Hey.", 0.3)) == "pay"
    # ...but a yes or no confirms something: "hmm" forced onto "no" is not taken.
    yes_no = Task(kind="yes_no", phrases=("yes", "no"))
    assert _cascade(yes_no, ("no", 0.42), ("Hmm.", 0.3)) == "Hmm."
    assert _cascade(yes_no, ("yep", 0.3), ("Yes.", 0.5)) == "yep"  # both heard a yes


class _Glancing(_Said):
    """An open engine's recognizer that also glances (as Whisper's does)."""

    def __init__(self, glance: str, text: str, confidence: float) -> None:
        super().__init__(text, confidence, "whisper")
        self.seen = _Said(glance, confidence, "whisper-glance").hyp
        self.finished = False

    def glance(self):  # type: ignore[no-untyped-def]
        return self.seen

    def finish(self):  # type: ignore[no-untyped-def]
        self.finished = True
        return self.hyp


def _glancing(task: Task, grammar: tuple[str, float], then: _Glancing):  # type: ignore[no-untyped-def]
    from speech.asr.cascade import CascadeEngine

    engine = CascadeEngine(POLICY.engine_for(Task(kind="menu", phrases=("a",))).first,  # type: ignore[attr-defined]
                           POLICY.engine_for(Task(kind="open")), accept=0.6)
    rec = CascadeRecognizer(engine, task, 8000, _Said(*grammar, "sphinx"), then)  # type: ignore[arg-type]
    return rec.finish()


def test_a_glance_that_agrees_spares_the_transcript() -> None:
    menu = Task(kind="menu", phrases=("billing", "balance"), intents=("agent_request",))
    then = _Glancing("Billing.", "Billing.", 0.4)
    hyp = _glancing(menu, ("billing", 0.3), then)
    assert (hyp.text, hyp.engine, then.finished) == ("billing", "sphinx=whisper-glance", False)
    assert hyp.confidence >= 0.6
    # A glance that does not hold the grammar's answer: a step with intents needs the
    # transcript (the caller may have asked for something else in a sentence).
    then = _Glancing("Bill in the...", "I have a question about my bill.", 0.8)
    hyp = _glancing(menu, ("billing", 0.3), then)
    assert then.finished and hyp.text == "I have a question about my bill."


def test_a_closed_step_takes_any_answer_in_the_glance() -> None:
    # No intents: only an answer can be taken, so a glance holding one is enough...
    menu = Task(kind="menu", phrases=("billing", "balance"))
    then = _Glancing("Balance.", "never asked", 0.7)
    hyp = _glancing(menu, ("billing", 0.2), then)
    assert (hyp.text, then.finished) == ("Balance.", False)
    # ...and one holding none is checked by the transcript (a glance misses answers).
    then = _Glancing("Bell in.", "Billing.", 0.7)
    assert _glancing(menu, ("billing", 0.2), then).text == "billing"
    assert then.finished
    yes_no = Task(kind="yes_no", phrases=("yes", "no"))
    then = _Glancing("Hmm.", "Hmm.", 0.3)
    assert _glancing(yes_no, ("no", 0.42), then).text == "Hmm."


GLANCING = AsrPolicy(accept=0.99)  # every grammar answer is checked by Whisper


def test_unsure_menu_answers_are_confirmed_by_a_glance(acme) -> None:  # type: ignore[no-untyped-def]
    listen = acme["step.main_menu"]
    for i, phrase in enumerate(("make a payment", "no service")):
        rec = recognizer_for(listen, 8000, GLANCING)
        feed(rec, caller(phrase, 8000, snr_db=20, seed=30 + i), 8000, stop_when_complete=True)
        hyp = rec.finish()
        assert words_key(hyp.text) == words_key(phrase), hyp
        assert hyp.engine == "sphinx=whisper-glance", hyp
        assert hyp.confidence >= MIN_SPEECH_CONFIDENCE
    # A sentence at a step with intents is still transcribed whole, for the intent matching.
    rec = recognizer_for(listen, 8000, GLANCING)
    feed(rec, caller("can I speak to a human please", 8000, snr_db=20, seed=20), 8000,
         stop_when_complete=True)
    hyp = rec.finish()
    assert hyp.engine == "whisper" and "human" in hyp.text.lower(), hyp


def test_a_closed_menu_confirms_by_a_glance() -> None:
    menu = Task(kind="menu", phrases=("balance", "pay a bill", "report an outage",
                                      "talk to an agent"))
    for i, phrase in enumerate(("pay a bill", "talk to an agent")):
        rec = engine_for(menu, GLANCING).recognizer(menu, 8000)
        feed(rec, caller(phrase, 8000, snr_db=20, seed=40 + i), 8000, stop_when_complete=True)
        hyp = rec.finish()
        assert words_key(hyp.text) == words_key(phrase), hyp
        assert hyp.engine == "sphinx=whisper-glance", hyp


# The voice benchmark's closed menu (bench/voice/menu_loop.flow).
BENCH_MENU = Task(kind="menu", phrases=("balance", "my balance", "billing", "pay a bill",
                                        "outage", "report an outage", "agent",
                                        "talk to an agent"))


def _heard_by_the_test_caller(task: Task, said: str, variant: int):  # type: ignore[no-untyped-def]
    from speech.simulated import CallerVoice

    rec = engine_for(task, POLICY).recognizer(task, 8000)
    feed(rec, CallerVoice(snr_db=25).line_sync(said, 8000, variant), 8000)
    return rec.finish()


@pytest.mark.parametrize("variant", [0, 1, 2])
def test_a_menu_word_the_glance_cannot_spell_is_weighed_not_transcribed(variant: int) -> None:
    # "outage" on the phone band: the grammar hears it at 0.03-0.06 and the glance writes
    # "Arage," or "Average,"; Whisper made to write "Outage." finds it far likelier than the
    # grammar's runners-up, and as likely as its own reading. Before, a 0.7 s transcript.
    hyp = _heard_by_the_test_caller(BENCH_MENU, "outage", variant)
    assert (hyp.text, hyp.engine) == ("outage", "sphinx=whisper-ranked"), hyp
    assert hyp.confidence >= MIN_SPEECH_CONFIDENCE


@pytest.mark.parametrize("said", ["I want to make a payment", "what time do you close",
                                  "the bill"])
def test_a_sentence_outside_the_menu_is_not_weighed_into_an_answer(said: str) -> None:
    # The grammar forces these onto "talk to an agent" or "pay a bill", and Whisper ranks the
    # same phrase first among the menu's, but far less likely than the sentence it heard.
    hyp = _heard_by_the_test_caller(BENCH_MENU, said, 0)
    assert hyp.engine == "whisper" and words_key(hyp.text) == words_key(said), hyp


# The bank's main menu (bots/bank/bank.flow), whose first choice has "I can't find my card".
BANK_MENU = Task(kind="menu", phrases=(
    "lost", "lost card", "I lost my card", "I can't find my card", "stolen",
    "my card was stolen", "my wallet was stolen", "fraud", "a payment I don't recognize",
    "activate", "my new card came", "speak to someone", "agent", "representative"),
    intents=("lost_card", "stolen_card", "suspicious_transaction", "activate_card"))


@pytest.mark.parametrize("variant", [0, 1, 2])
def test_a_sentence_sharing_words_with_a_phrase_is_not_weighed_into_it(variant: int) -> None:
    # Glanced as "The cash machines, while with my card." (7 words), the sentence fitted "I
    # can't find my card" within RANK_GAP on the shared "my card", and the caller was told
    # their card was lost. A glance of a sentence is no answer the glance could not spell.
    hyp = _heard_by_the_test_caller(BANK_MENU, "the cash machine swallowed my card", variant)
    assert hyp.engine != "sphinx=whisper-ranked", hyp
    assert "card" in words_key(hyp.text), hyp
