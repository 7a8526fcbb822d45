"""Matching `bot says "..."` against what a recogniser wrote down of the bot's audio."""

import pytest

from media_bridge.hearing import FOREIGN_SOUND_RATIO, find, words
from speech.tts import english_sounds


def test_words_spell_numbers_as_single_digits() -> None:
    assert words("That's 12345678.") == ["that's", *"12345678"]
    assert words("That's one two three four, five six seven eight") == ["that's", *"12345678"]
    assert words("Press 1 for billing") == ["press", "1", "for", "billing"]
    assert words("It’s OK") == ["it's", "ok"]


@pytest.mark.parametrize("heard", [
    "Please say your date of birth like 4 July 1985.",  # what the ear wrote in a CI run
    "Please say your date of birth, like the 4th of July, 1985.",
    "Please say your date of birth like July 4th, 1985."])
def test_a_date_matches_however_the_ear_writes_its_numbers(heard: str) -> None:
    expected = words(
        "Please say your date of birth, like the fourth of July, nineteen eighty five.")
    assert expected[-7:] == ["4", "of", "july", "1", "9", "8", "5"]
    match = find(expected, words(heard))
    assert match is not None and match.recall >= 0.85


def test_ordinals_are_digits_too() -> None:
    assert words("the twenty first of May") == words("the 21st of May") == [
        "the", "2", "1", "of", "may"]
    assert find(words("on the fourth of May"), words("on the 5th of June")) is None


def test_an_expectation_matches_despite_a_misheard_word() -> None:
    heard = words("Thanks for calling Acme. For your balance, press one. For billing press two.")
    match = find(words("For your balance, press 1"), heard)
    assert match is not None and match.recall == 1.0
    misheard = words("Thanks for calling Acne. For your balance, press one.")
    assert find(words("Thanks for calling Acme"), misheard) is not None


def test_a_different_sentence_does_not_match() -> None:
    heard = words("Sorry, I didn't catch that. Please say it again.")
    assert find(words("Your balance is"), heard) is None


def test_matching_starts_after_the_cursor() -> None:
    heard = words("Goodbye. Anything else? Goodbye.")
    first = find(["goodbye"], heard)
    assert first is not None and first.start == 0
    second = find(["goodbye"], heard, first.end)
    assert second is not None and second.start == 3
    assert find(["goodbye"], heard, second.end) is None


def test_words_must_come_in_order_and_close_together() -> None:
    heard = words("press two for billing and later one day the balance")
    assert find(words("press one for balance"), heard) is None


def test_a_misheard_name_matches_by_its_letters_without_eating_the_next_sentence() -> None:
    heard = words("Thanks for calling that, me, tell a com. For your balance, press one.")
    first = find(words("Thanks for calling Acme Telecom"), heard)
    assert first is not None and first.end <= heard.index("your") - 1
    assert find(words("For your balance, press 1"), heard, first.end) is not None


@pytest.mark.parametrize("heard", [
    "Grasses pour lamour atmitellacom.",  # letters alike 0.47: the sounds carry it
    "Grass-ass poor lammer at me tell a calm.",
    "Grass S pour a lamer Acne Telecom.",
])
def test_a_spanish_line_heard_by_the_english_ear_matches_by_its_sounds(heard: str) -> None:
    said = words(f"{heard} For your balance, press one.", stem=False)
    spanish = words("Gracias por llamar a Acme Telecom.", stem=False)
    assert find(spanish, said) is None  # English lines keep the strict letter ratio
    match = find(spanish, said, letter_ratio=FOREIGN_SOUND_RATIO, sounds=english_sounds)
    assert match is not None and match.end <= said.index("for")


@pytest.mark.parametrize(("spanish", "english"), [
    ("Gracias por llamar a Acme Telecom.", "Thanks for calling Acme Telecom."),
    ("Gracias por llamar a Acme Telecom.", "Thank for calling at me tell a com."),
    ("Gracias por llamar a la línea de tarjetas de Riverstone Bank.",
     "Thanks for calling Riverstone Bank card services."),
])
def test_the_english_line_in_its_place_does_not_sound_like_it(spanish: str,
                                                               english: str) -> None:
    assert find(words(spanish, stem=False), words(english, stem=False),
                letter_ratio=FOREIGN_SOUND_RATIO, sounds=english_sounds) is None
