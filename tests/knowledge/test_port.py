"""The knowledge base behind the driver's `Knowledge` port, end to end: a real bot, a real index
file, the session and the asyncio driver; answers are spoken and the handoff carries what was
consulted."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from runtime import actions as A
from runtime import events as E
from runtime.bot import BotError, load_bot
from runtime.driver import CallDriver, ManualClock
from runtime.harness import TranscriptChannel
from runtime.session import Session

WEDNESDAY_10AM_NEW_YORK = 1795014000.0  # 2026-11-18T10:00:00-05:00: the team is there


@pytest.fixture(autouse=True)
def own_index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXFLOW_KB_DIR", str(tmp_path / "indexes"))


async def call(bot_folder: Path, *said: str) -> tuple[Session, TranscriptChannel]:
    """A call where each `said` is speech, or "#0" a key press. No intent matcher: the menu's own
    phrases decide, and every other utterance is a question, so this tests the knowledge port
    alone, whatever the NLU engine of the day makes of the words."""
    bot = load_bot(bot_folder)
    assert isinstance(bot.knowledge, KnowledgeBase)
    session = Session(bot.program, intents=None)
    channel = TranscriptChannel()
    driver = CallDriver(session, channel, clock=ManualClock(at=WEDNESDAY_10AM_NEW_YORK),
                        hooks=bot.hooks(), knowledge=bot.knowledge)
    await driver.send(E.CallStarted(caller="+15550100"))
    for text in said:
        if text.startswith("#"):
            await driver.send(E.KeyPressed(key=text[1:]))
        else:
            await driver.send(E.Speech(text=text, confidence=0.9))
    return session, channel


def test_bot_loads_its_knowledge_base_into_the_configured_index(tmp_path: Path) -> None:
    bot = load_bot(Path("bots/acme"))
    assert bot.knowledge is not None
    assert Path(bot.knowledge.index) == tmp_path / "indexes" / "acme.sqlite"
    assert bot.knowledge.version("acme-help") == 1
    assert load_bot(Path("bots/acme")).knowledge.version("acme-help") == 1  # type: ignore[union-attr]


def test_an_answer_is_spoken_and_the_handoff_carries_what_was_consulted() -> None:
    _session, channel = asyncio.run(call(
        Path("bots/acme"), "someone stole my phone", "yes", "#0"))
    said = [a.text for a in channel.actions if isinstance(a, A.Play)]
    assert any(t.startswith("We can block the phone itself using its IMEI number") for t in said)
    [handoff] = [a for a in channel.actions if isinstance(a, A.Handoff)]
    [consulted] = handoff.consulted
    assert consulted["question"] == "someone stole my phone"
    assert consulted["source"] == "lost-or-stolen-phone.md#intro (Lost or stolen phone)"
    assert consulted["confidence"] >= 0.6


def test_a_question_below_the_threshold_takes_on_no_answer() -> None:
    _, channel = asyncio.run(call(Path("bots/acme"), "do you sell home security cameras"))
    said = [a.text for a in channel.actions if isinstance(a, A.Play)]
    assert "I'm not sure about that one." in said
    [handoff] = [a for a in channel.actions if isinstance(a, A.Handoff)]
    assert handoff.consulted == ()


def test_the_port_answers_with_text_confidence_and_source(tmp_path: Path) -> None:
    kb = KnowledgeBase(Path("bots/bank/knowledge"), tmp_path / "bank.sqlite")
    kb.ingest()
    text, confidence, source = asyncio.run(kb.ask("bank-help", "what is the contactless limit"))
    assert text.startswith("250 dollars per payment.")
    assert confidence > 0.65
    assert source == "bank-faq.yml#contactless-limit (What's the contactless limit?)"


def test_a_bot_with_a_bad_knowledge_file_does_not_load(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    shutil.copytree("bots/acme", folder, ignore=shutil.ignore_patterns("tests"))
    (folder / "knowledge" / "acme-help" / "broken.csv").write_text("question,answer\nQ?\n")
    with pytest.raises(BotError, match=r"acme-help/broken.csv:2: this row has 1 fields but the "
                                       r"header has 2"):
        load_bot(folder)
