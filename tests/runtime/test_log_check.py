"""`log does not contain "…"`: what the caller said is looked for, the clock's times are not."""

from __future__ import annotations

from pathlib import Path

from runtime.bot import load_bot
from runtime.convtest import load_tests
from runtime.harness import run_tests_sync

FLOW = """\
flow cards "Card digits"
  language en-US

on failure
  hangup

start
  ask last4 as digits(4) sensitive
    prompt "The last four digits of your card?"
  ask ref as digits(4)
    prompt "And your reference?"
  say "Thanks."
  hangup
"""

TESTS = """\
test "a card's digits stay out of the log at a time whose timestamp holds them"
  given time = "2026-11-24T01:47:01Z"
  bot asks "last four digits"
  caller says "four eight two one"
  bot asks "reference"
  caller presses 1234
  bot says "Thanks."
  bot hangs up
  log does not contain "4821"

test "words said at a step the flow does not call sensitive are in the log"
  bot asks "last four digits"
  caller presses 1111
  bot asks "reference"
  caller says "four eight two one"
  bot says "Thanks."
  log does not contain "four eight two one"
"""


def test_the_log_check_reads_what_was_said_not_the_clock(tmp_path: Path) -> None:
    # 2026-11-24T01:47:01Z is 1795484821 s after the epoch: every log entry of that second
    # carries "4821" in its time. An audio run at that moment failed the bank's identity call.
    (tmp_path / "cards.flow").write_text(FLOW)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "log.test.flow").write_text(TESTS)
    bot = load_bot(tmp_path)
    secret, spoken = run_tests_sync(bot, load_tests(tmp_path))
    assert secret.ok, secret.report
    assert not spoken.ok
    assert "the call log contains 'four eight two one'" in spoken.report
