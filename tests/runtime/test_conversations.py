"""Every bot's conversation tests (bots/*/tests/*.test.flow), run under pytest."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.bot import load_bot
from runtime.convtest import ConversationTest, load_tests
from runtime.harness import run_tests_sync

BOTS = sorted(p.parent for p in Path("bots").glob("*/tests"))
CASES = [(bot, test) for bot in BOTS for test in load_tests(bot)]


@pytest.mark.parametrize(("bot_folder", "test"), CASES,
                         ids=[f"{b.name}: {t.name}" for b, t in CASES])
def test_conversation(bot_folder: Path, test: ConversationTest) -> None:
    bot = load_bot(bot_folder)
    [result] = run_tests_sync(bot, [test])
    assert result.ok, result.report


def test_every_bot_has_conversation_tests() -> None:
    bots = sorted(p.parent for p in Path("bots").glob("*/*.flow"))
    assert bots and all((b / "tests").is_dir() for b in bots), bots
