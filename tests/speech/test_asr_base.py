"""The ASR interface without models: tasks from the bots' Listen actions, text on both sides of
recognition, the engine policy and its configuration errors."""

from __future__ import annotations

import pytest

from runtime.actions import Listen
from runtime.normalize import normalize
from speech.asr.base import AsrError, Task
from speech.asr.cascade import knows_answer
from speech.asr.choose import AsrPolicy
from speech.asr.text import digit_string, number_words, prompt_list, spoken_words
from speech.asr.whisper import WhisperEngine
from tests.speech.asr_support import bot_listens


def test_tasks_from_the_acme_listens() -> None:
    listens = bot_listens("acme")
    menu = Task.from_listen(listens["step.main_menu"])
    assert menu.kind == "menu"
    assert "how much do I owe" in menu.phrases and "my internet is down" in menu.phrases
    assert "check_balance" in menu.intents and menu.hints == menu.phrases

    account = Task.from_listen(listens["step.balance/1"])
    assert (account.kind, account.min_digits, account.max_digits) == ("digits", 8, 8)
    assert account.digit_bounds == (8, 8)

    yes_no = Task.from_listen(listens["step.anything_else/0"])
    assert yes_no.kind == "yes_no" and yes_no.phrases == ("yes", "no")

    text = Task.from_listen(listens["step.outage_report/2"])
    assert text.kind == "open"

    amount = Task.from_listen(listens["step.payment_amount/0"])
    assert amount.kind == "open" and amount.slot_type == "currency"
    # Whisper is shown how amounts are written, after the step's words
    assert WhisperEngine().prompt_for(amount).endswith(
        "It was $12.99. About $300. $42.50.")


def test_tasks_from_other_listens() -> None:
    choice = Task.from_listen(Listen(slot_type="choice", phrases=("mail", "branch")))
    assert choice.kind == "menu" and choice.phrases == ("mail", "branch")
    phone = Task.from_listen(Listen(slot_type="phone"))
    assert phone.kind == "digits" and phone.digit_bounds == (7, 15)
    boolean = Task.from_listen(Listen(slot_type="boolean"))
    assert boolean.kind == "yes_no" and boolean.phrases == ("yes", "no")
    bare = Task.from_listen(Listen(slot_type="digits"))
    assert bare.digit_bounds == (1, 20)
    assert Task.from_listen(Listen()).kind == "open"  # a step that only takes intents


def test_task_validation() -> None:
    with pytest.raises(ValueError, match="unknown task kind"):
        Task(kind="essay")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one phrase"):
        Task(kind="menu", phrases=(" ",))
    with pytest.raises(ValueError, match="more than max_digits"):
        Task(kind="digits", min_digits=9, max_digits=8)
    with pytest.raises(ValueError, match="positive"):
        Task(kind="digits", min_digits=0)


@pytest.mark.parametrize(("heard", "digits"), [
    ("2, 2, 1, 1, 0, 0", "221100"),
    ("4.5 double 6.7", "45667"),
    ("oh four two", "042"),
    ("eight six eight three four four four seven", "86834447"),
    ("Eight six, eight three, four four, four seven.", "86834447"),
    ("one two double oh triple five", "1200555"),
    ("563-1483.", "5631483"),
    ("an agent please", ""),
])
def test_digit_strings_from_recognised_text(heard: str, digits: str) -> None:
    assert digit_string(heard) == digits
    if digits:  # and the runtime reads the plain string as the same digits
        assert normalize("digits", digits, min_digits=len(digits),
                         max_digits=len(digits)).value == digits


def test_phrases_as_spoken_words() -> None:
    assert spoken_words("I can\u2019t find my card!") == ["i", "can't", "find", "my", "card"]
    assert spoken_words("Press 1 & 2 for 24 hours") == [
        "press", "one", "and", "two", "for", "twenty", "four", "hours"]
    assert spoken_words("account 0042") == ["account", "zero", "zero", "four", "two"]
    assert number_words(1205) == "one thousand two hundred five"
    assert prompt_list(["balance", "Balance", "pay my bill"]) == "Balance, Pay my bill."


def test_answers_a_step_knows() -> None:
    menu = Task(kind="menu", phrases=("pay my bill", "balance"))
    assert knows_answer(menu, "I'd like to pay my bill, please.")
    assert not knows_answer(menu, "pay my bills later")  # runtime matching: whole words
    yes_no = Task(kind="yes_no", phrases=("yes", "no"))
    assert knows_answer(yes_no, "Yeah.") and knows_answer(yes_no, "no thank you")
    assert not knows_answer(yes_no, "what time do you close")


def test_default_policy_for_the_acme_steps() -> None:
    policy = AsrPolicy()
    listens = bot_listens("acme")
    names = {step: policy.engine_name(Task.from_listen(listen))
             for step, listen in listens.items()}
    # Closed steps cascade to Whisper; digits and open questions go to Whisper itself.
    assert names["step.main_menu"] == "sphinx+whisper"
    assert names["step.anything_else/0"] == "sphinx+whisper"
    assert names["step.balance/1"] == "whisper"
    assert names["step.outage_report/2"] == "whisper"
    # Without intents too: Whisper confirms answers the grammar scored low.
    assert policy.engine_name(Task(kind="menu", phrases=("mail", "branch"))) == "sphinx+whisper"
    assert policy.engine_name(Task(kind="yes_no")) == "sphinx+whisper"
    no_fallback = AsrPolicy(fallback="none")
    assert no_fallback.engine_name(Task.from_listen(listens["step.main_menu"])) == "sphinx"


def test_policy_from_the_environment() -> None:
    policy = AsrPolicy.from_env({"VOXFLOW_ASR_DIGITS": "sphinx", "VOXFLOW_ASR_ACCEPT": "0.8"})
    assert policy.digits == "sphinx" and policy.accept == 0.8
    assert AsrPolicy.from_env({"VOXFLOW_WHISPER_REPLICAS": "4"}).whisper_replicas == 4
    assert AsrPolicy.from_env({"VOXFLOW_SPHINX_DECODERS": "30"}).sphinx_decoders == 30
    vosk = AsrPolicy.from_env({"VOXFLOW_VOSK_MODEL": "/models/vosk-en"})
    assert vosk.vosk_model == "/models/vosk-en"
    assert {vosk.engine_name(Task(kind=k, phrases=("a",)))  # type: ignore[arg-type]
            for k in ("menu", "yes_no", "digits", "open")} == {"vosk"}
    assert AsrPolicy.from_env({}) == AsrPolicy()


def test_policy_configuration_errors() -> None:
    with pytest.raises(AsrError, match="unknown speech engine 'kaldi' for menu"):
        AsrPolicy(menu="kaldi")
    with pytest.raises(AsrError, match="cannot hear open questions"):
        AsrPolicy(open="sphinx")
    with pytest.raises(AsrError, match="VOXFLOW_VOSK_MODEL"):
        AsrPolicy(menu="vosk")
    with pytest.raises(AsrError, match="VOXFLOW_ASR_ACCEPT must be a number"):
        AsrPolicy.from_env({"VOXFLOW_ASR_ACCEPT": "high"})
    with pytest.raises(AsrError, match="between 0 and 1"):
        AsrPolicy(accept=2.0)
    with pytest.raises(AsrError, match="REPLICAS must be a whole number, not 'two'"):
        AsrPolicy.from_env({"VOXFLOW_WHISPER_REPLICAS": "two"})
    with pytest.raises(AsrError, match="whisper replicas must be 1-64, not 0"):
        AsrPolicy(whisper_replicas=0)
    with pytest.raises(AsrError, match=r"DECODERS must be a whole number, not '8\.5'"):
        AsrPolicy.from_env({"VOXFLOW_SPHINX_DECODERS": "8.5"})
    with pytest.raises(AsrError, match="sphinx decoders must be 1-512, not 0"):
        AsrPolicy(sphinx_decoders=0)
