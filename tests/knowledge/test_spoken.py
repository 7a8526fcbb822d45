"""Answers for the ear: short, no markdown or links, numbers in speakable form."""

from __future__ import annotations

import re

import pytest

from knowledge.search import Hit, Ranking
from knowledge.spoken import MAX_WORDS, sentences, shape_answer, speakable


def hit(text: str, kind: str = "section") -> Hit:
    return Hit(1, "a.md#intro", kind, "Title", text, (), 1.0, frozenset(), frozenset())


def ranking(idf: dict[str, float]) -> Ranking:
    return Ranking(list(idf), idf)


@pytest.mark.parametrize(("written", "spoken"), [
    ("Tell us at least two weeks ahead, online at acme.com/move or by calling us.",
     "Tell us at least two weeks ahead, online or by calling us."),
    ("**By phone**: choose \"pay a bill\" (it's safe).", "By phone: choose pay a bill, it's safe."),
    ("Calls cost $2 a minute and data $2.50 per megabyte.",
     "Calls cost 2 dollars a minute and data 2 dollars and 50 cents per megabyte."),
    ("The limit is $3,000 a day and a 3% fee applies.",
     "The limit is 3000 dollars a day and a 3 percent fee applies."),
    ("Call +1 800 555 0199 from abroad.", "Call 1, 8 0 0, 5 5 5, 0 1 9 9 from abroad."),
    ("We're closed on 2026-12-25.", "We're closed on Friday, December 25, 2026."),
    ("Open 07:00-22:00 on weekdays.", "Open 7 AM to 10 PM on weekdays."),
    ("Add a 5GB top-up, e.g. in the app & online, within 1-2 days.",
     "Add a 5 gigabytes top-up, for example in the app and online, within 1 to 2 days."),
    ("Visit https://acme.com/help for 24/7 help", "For 24 hours a day, 7 days a week help."),
])
def test_speakable_sentences(written: str, spoken: str) -> None:
    assert speakable(written) == spoken


def test_sentences_split_on_ends_and_lines_not_abbreviations() -> None:
    assert sentences("Use e.g. Visa. It costs $5.50. Done!\nA list item") == [
        "Use e.g. Visa.", "It costs $5.50.", "Done!", "A list item"]


def test_faq_answer_is_read_from_the_start_within_the_word_limit() -> None:
    long_tail = " ".join(["More detail here."] * 20)
    text = shape_answer(hit(f"Yes, it's free. Ask at acme.com/free. {long_tail}", "faq"),
                        ranking({"free": 1.0}))
    assert text.startswith("Yes, it's free. More detail here.")  # "Ask at <link>" is dropped
    assert len(text.split()) <= MAX_WORDS


def test_article_answer_is_the_best_one_or_two_sentences_in_order() -> None:
    text = ("Roaming is on for every plan.\n"
            "Canada and Mexico: calls work like at home.\n"
            "Everywhere else: calls cost $2 a minute.\n"
            "Turn off data roaming before you travel.")
    spoken = shape_answer(hit(text), ranking({"mexico": 3.0, "call": 1.0}))
    assert spoken == ("Canada and Mexico: calls work like at home. Everywhere else: calls cost "
                      "2 dollars a minute.")


def test_a_list_intro_brings_its_first_item() -> None:
    text = "A payment can be declined for several reasons:\nThe card is frozen.\nOther things."
    assert shape_answer(hit(text), ranking({"declin": 2.0, "reason": 1.0})) == (
        "A payment can be declined for several reasons. The card is frozen.")


def test_long_sentences_are_cut_at_a_clause_within_the_limit() -> None:
    clause = "you can pay in the app or at a store or by phone"
    text = f"{clause}, {clause}, {clause}, {clause}, {clause}."
    spoken = shape_answer(hit(text, "faq"), ranking({"pay": 1.0}))
    assert len(spoken.split()) <= MAX_WORDS
    assert spoken.endswith("phone.") and spoken[0] == "Y"


def test_no_markdown_urls_or_table_text_reach_the_answer() -> None:
    text = "See [the guide](https://x.com/g) for **details**: `reset` it.\n| a | b |"
    spoken = shape_answer(hit(text), ranking({"reset": 1.0}))
    assert not re.search(r"[*`|\[\]#]|https?:|\.com", spoken), spoken
