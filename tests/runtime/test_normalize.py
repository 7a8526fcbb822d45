"""Slot-value normalisers: table-driven, with ASR-style input (lower case, no punctuation,
number words, fillers) and keyed input, rejections included. Today is pinned: Wednesday
2026-11-18."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.normalize import (
    Parsed,
    normalize,
    numbers_as_digits,
    say_as,
    spoken_digits,
    spoken_number,
)

TODAY = datetime.date(2026, 11, 18)  # a Wednesday
assert TODAY.weekday() == 2


def value(slot_type: str, text: str, **kw: Any) -> Any:
    kw.setdefault("today", TODAY)
    return normalize(slot_type, text, **kw).value


# --- spoken_digits / spoken_number -------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("one two three double five oh", "123550"),
    ("one two three four five six seven eight", "12345678"),
    ("12345678", "12345678"),
    ("1 2 3 4", "1234"),
    ("1-2-3-4", "1234"),
    ("double five", "55"),
    ("triple seven", "777"),
    ("treble two one", "2221"),
    ("double oh seven", "007"),
    ("zero zero one", "001"),
    ("o one", "01"),
    ("nought one", "01"),
    ("um it's one two three", "123"),
    ("uh my account number is four four two one", "4421"),
    ("oh it's one two three", "123"),  # the interjection "oh" is no zero
    ("one two oh", "120"),
    ("twenty five", "25"),
    ("nineteen hundred", "1900"),
    ("oh one hundred", "0100"),
    ("one hundred twenty three", "123"),
    ("one hundred and five", "105"),
    ("one eight hundred five five five", "1800555"),  # a unit after hundred is a new digit
    ("two thousand five", "2005"),
    ("two thousand and twenty", "2020"),
    ("a hundred", "100"),
    ("one two tree four", "1234"),  # ASR homophone between digits
    ("one to three", "123"),
    ("five for six", "546"),
    ("i want to pay one two three", "123"),  # "to" before the digits is a word
    ("one two three four no sorry five six seven eight", "5678"),
    ("one two three i mean one two four", "124"),
    ("555-0100", "5550100"),
    ("(555) 010-0100", "5550100100"),
    ("1234#", "1234"),
    ("one, two, three", "123"),
    ("hello", None),
    ("", None),
    ("oh", None),
    ("i don't know", None),
])
def test_spoken_digits(text: str, expected: str | None) -> None:
    assert spoken_digits(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("the fourth of july nineteen eighty five", "the 4 of july 19 85"),
    ("twenty first of may two thousand and five", "21 of may 2005"),
    ("a hundred and one dalmatians", "101 dalmatians"),
    ("a dog and one cat", "a dog and 1 cat"),
    ("oh four", "oh 4"),
    ("thirtieth", "30"),
])
def test_numbers_as_digits(text: str, expected: str) -> None:
    assert " ".join(numbers_as_digits(text.split())) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("twenty five point five", 25.5),
    ("1,200", 1200),
    ("twenty five", 25),
    ("a hundred and five", 105),
    ("two thousand and twenty", 2020),
    ("3.5", 3.5),
    ("three and a half", 3.5),
    ("two and a quarter", 2.25),
    ("one and three quarters", 1.75),
    ("a half", 0.5),
    ("point five", 0.5),
    ("three point one four", 3.14),
    ("two point oh five", 2.05),
    ("zero", 0),
    ("nineteen", 19),
    ("fifteen hundred", 1500),
    ("twenty five hundred", 2500),
    ("one million two hundred thousand", 1_200_000),
    ("one thousand two hundred and thirty four", 1234),
    ("minus five", -5),
    ("negative twelve", -12),
    ("1.5 million", 1_500_000),
    ("5 hundred", 500),
    ("um it's like twenty one", 21),
    ("five no six", 6),
    ("seven sorry eight", 8),
    ("about forty two i think", 42),
    ("five five", None),  # two numbers back to back: digits, not a number
    ("nineteen eighty", None),  # a year, not a number
    ("twenty twenty five", None),
    ("two or three", None),  # two different numbers
    ("one two three", None),
    ("hundred", None),
    ("thousand", None),
    ("and", None),
    ("nothing", None),
    ("", None),
])
def test_spoken_number(text: str, expected: float | None) -> None:
    assert spoken_number(text) == expected


# --- digits ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "lo", "hi", "expected", "complete"), [
    ("one two three four five six seven eight", 8, 8, "12345678", True),
    ("12345678", 8, 8, "12345678", True),
    ("um it's one two three four double five six seven", 8, 8, "12345567", True),
    ("one two three four five six seven", 8, 8, None, False),
    ("one two three four five six seven eight nine", 8, 8, None, False),
    ("1 2 3", 3, 4, "123", False),
    ("1 2 3 4", 3, 4, "1234", True),
    ("12", 3, 4, None, False),
    ("12345", 3, 4, None, False),
    ("four one one one two two two two three three three three four four four", 15, 16,
     "411122223333444", False),
    ("four one one one two two two two three three three three four four four four", 15, 16,
     "4111222233334444", True),
    ("oh four two seven", 4, 4, "0427", True),
    ("zero four slash two seven", 4, 4, "0427", True),
    ("five", None, None, "5", True),
    ("one two three four five six seven eight nine zero", None, None, "1234567890", True),
    ("i don't have it", None, None, None, False),
    ("", 1, 4, None, False),
])
def test_digits(text: str, lo: int | None, hi: int | None, expected: str | None,
                complete: bool) -> None:
    parsed = normalize("digits", text, min_digits=lo, max_digits=hi)
    assert (parsed.value, parsed.complete) == (expected, complete)


def test_digits_text_is_the_part_that_was_digits() -> None:
    parsed = normalize("digits", "um it's one two three four please", min_digits=4)
    assert parsed == Parsed("1234", True, "one two three four")


# --- number ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("twenty five", 25),
    ("a hundred and five", 105),
    ("two thousand and twenty", 2020),
    ("3.5", 3.5),
    ("three and a half", 3.5),
    ("twenty five point five", 25.5),
    ("1,200", 1200),
    ("42", 42),
    ("3.0", 3),
    ("um i'd like four please", 4),
    ("i need two tickets", 2),
    ("twelve no thirteen", 13),
    ("five five", None),
    ("two or three", None),
    ("lots", None),
])
def test_number(text: str, expected: float | None) -> None:
    result = value("number", text)
    assert result == expected
    if expected is not None:
        assert type(result) is type(expected)  # whole numbers come back as int


def test_number_text() -> None:
    assert normalize("number", "i think about twenty five").text == "twenty five"


# --- currency ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("twenty five dollars", 25.0),
    ("$25.50", 25.5),
    ("$25", 25.0),
    ("twenty five fifty", 25.5),
    ("twelve ninety nine", 12.99),
    ("25 dollars and 50 cents", 25.5),
    ("twenty five dollars and fifty cents", 25.5),
    ("twenty five dollars fifty", 25.5),
    ("twenty five and fifty cents", 25.5),
    ("fifty cents", 0.5),
    ("five cents", 0.05),
    ("a dollar", 1.0),
    ("a buck fifty", 1.5),
    ("five oh five", 5.05),
    ("one hundred and fifty dollars", 150.0),
    ("100 and 20", 120.0),  # Whisper's way of writing "a hundred and twenty"
    ("it was 200 and 5 dollars", 205.0),
    ("100 and 20 cents", 100.2),
    ("two hundred fifty", 250.0),
    ("a hundred bucks", 100.0),
    ("one thousand two hundred dollars", 1200.0),
    ("1,200 dollars", 1200.0),
    ("twenty five", 25.0),
    ("25.5", 25.5),
    ("twenty five point five oh dollars", 25.5),
    ("10.555", 10.56),  # rounded to cents, half up
    ("um i'd like to pay forty dollars please", 40.0),
    ("forty dollars no fifty dollars", 50.0),
    ("$25 and 50 cents", 25.5),
    ("$10 dollars.", 10.0),  # a recogniser writes the sign and keeps the word
    ("About $200.", 200.0),
    ("twenty five five", None),  # "five" is no way to say cents
    ("twenty five dollars and a hundred cents", None),
    ("minus five dollars", None),
    ("99999999999999996174794753", None),  # no sum a caller says; rounding it overflowed
    ("twenty dollars or thirty dollars", None),
    ("dollars", None),
    ("no idea", None),
])
def test_currency(text: str, expected: float | None) -> None:
    result = value("currency", text)
    assert result == expected
    assert result is None or isinstance(result, float)


def test_currency_text_includes_the_sign() -> None:
    assert normalize("currency", "it's $25.50").text == "$25.50"


# --- date --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("today", "2026-11-18"),
    ("tonight", "2026-11-18"),
    ("tomorrow", "2026-11-19"),
    ("yesterday", "2026-11-17"),
    ("the day after tomorrow", "2026-11-20"),
    ("the day before yesterday", "2026-11-16"),
    # bare weekday: next on or after today; "this" the same; "next" = next calendar week
    ("friday", "2026-11-20"),
    ("on friday", "2026-11-20"),
    ("this friday", "2026-11-20"),
    ("this coming friday", "2026-11-20"),
    ("next friday", "2026-11-27"),
    ("next monday", "2026-11-23"),
    ("wednesday", "2026-11-18"),
    ("next wednesday", "2026-11-25"),
    ("monday", "2026-11-23"),
    ("last friday", "2026-11-13"),
    ("last wednesday", "2026-11-11"),
    ("friday next week", "2026-11-27"),
    ("monday this week", "2026-11-16"),
    ("friday the twentieth", "2026-11-20"),  # the explicit date decides
    ("in three days", "2026-11-21"),
    ("in a week", "2026-11-25"),
    ("two weeks from today", "2026-12-02"),
    ("five days ago", "2026-11-13"),
    # month and day: the next one on or after today
    ("the third of march", "2027-03-03"),
    ("march 3rd", "2027-03-03"),
    ("march third", "2027-03-03"),
    ("march the third", "2027-03-03"),
    ("march three", "2027-03-03"),
    ("3rd march", "2027-03-03"),
    ("december twenty fifth", "2026-12-25"),
    ("november eighteenth", "2026-11-18"),
    ("november seventeenth", "2027-11-17"),
    ("the thirty first of december", "2026-12-31"),
    ("february twenty ninth", "2028-02-29"),  # the next leap year
    ("the fifth", "2026-12-05"),
    ("on the twentieth", "2026-11-20"),
    ("the 30th", "2026-11-30"),
    # with a year
    ("march 3rd 2027", "2027-03-03"),
    ("march 3, 2027", "2027-03-03"),
    ("march third twenty twenty seven", "2027-03-03"),
    ("my birthday is july fourth nineteen eighty", "1980-07-04"),
    ("july 4th 1980", "1980-07-04"),
    ("the fourth of july nineteen eighty five", "1985-07-04"),
    ("january first two thousand five", "2005-01-01"),
    ("january first two thousand and five", "2005-01-01"),
    ("june tenth nineteen oh five", "1905-06-10"),
    ("may second twenty oh nine", "2009-05-02"),
    ("april first nineteen hundred", "1900-04-01"),
    ("march twenty five twenty twenty six", "2026-03-25"),
    # numeric: month/day for en-US
    ("3/4/2027", "2027-03-04"),
    ("03/04/2027", "2027-03-04"),
    ("3/4", "2027-03-04"),
    ("12/25", "2026-12-25"),
    ("7/4/80", "1980-07-04"),
    ("7/4/27", "2027-07-04"),
    ("3-4-2027", "2027-03-04"),
    ("2027-03-04", "2027-03-04"),
    ("um it was on 11/2/2026", "2026-11-02"),
    # a recogniser's text
    ("November 30, it's 1972.", "1972-11-30"),
    ("the fourth of July in nineteen eighty five", "1985-07-04"),
    ("1st of July, 1985.", "1985-07-01"),
    # rejections
    ("february thirtieth", None),
    ("april thirty first", None),
    ("13/4/2027", None),  # no swapping: month 13 is an error
    ("2027-02-30", None),
    ("march", None),
    ("next week", None),
    ("wait a second", None),  # an ordinal without "the" is no date
    ("may i pay later", None),
    ("friday or saturday", None),
    ("twenty twenty", None),
    ("i don't know", None),
    ("", None),
    # corrections
    ("friday no saturday", "2026-11-21"),
    ("tomorrow sorry the day after tomorrow", "2026-11-20"),
])
def test_date(text: str, expected: str | None) -> None:
    assert value("date", text) == expected


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("3/4/2027", "en-GB", "2027-04-03"),
    ("3/4/2027", "en-US", "2027-03-04"),
    ("25/12/2026", "en-GB", "2026-12-25"),
    ("25/12/2026", "en-US", None),
    ("2027-03-04", "en-GB", "2027-03-04"),  # ISO is always year-month-day
    ("the third of march", "en-GB", "2027-03-03"),
])
def test_date_order_follows_language(text: str, language: str, expected: str | None) -> None:
    assert value("date", text, language=language) == expected


@pytest.mark.parametrize(("today", "text", "expected"), [
    (datetime.date(2026, 11, 22), "next monday", "2026-11-23"),  # on a Sunday
    (datetime.date(2026, 11, 22), "monday", "2026-11-23"),
    (datetime.date(2026, 11, 22), "last sunday", "2026-11-15"),
    (datetime.date(2026, 11, 21), "last friday", "2026-11-20"),  # most recent, on a Saturday
    (datetime.date(2026, 12, 31), "tomorrow", "2027-01-01"),
    (datetime.date(2026, 12, 31), "the first", "2027-01-01"),
    (datetime.date(2027, 1, 31), "the thirty first", "2027-01-31"),
    (datetime.date(2027, 2, 1), "the thirtieth", "2027-03-30"),  # February has none
    (datetime.datetime(2026, 11, 18, 9, 30), "tomorrow", "2026-11-19"),
])
def test_date_relative_to_today(today: datetime.date, text: str, expected: str) -> None:
    assert value("date", text, today=today) == expected


def test_date_text() -> None:
    parsed = normalize("date", "my birthday is july fourth nineteen eighty", today=TODAY)
    assert parsed.text == "july fourth nineteen eighty"


# --- time --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("three pm", "15:00"),
    ("3 pm", "15:00"),
    ("3pm", "15:00"),
    ("3:30 p.m.", "15:30"),
    ("3:30 p m", "15:30"),
    ("three thirty", "15:30"),  # 1-7 without am/pm: afternoon
    ("nine thirty", "09:30"),  # 8-11: morning
    ("ten", "10:00"),
    ("twelve", "12:00"),
    ("twelve fifteen", "12:15"),
    ("seven", "19:00"),
    ("eight", "08:00"),
    ("seven am", "07:00"),
    ("seven thirty in the morning", "07:30"),
    ("eight in the evening", "20:00"),
    ("eight tonight", "20:00"),
    ("tonight at eight", "20:00"),
    ("nine this morning", "09:00"),
    ("eleven pm", "23:00"),
    ("twelve am", "00:00"),
    ("twelve thirty am", "00:30"),
    ("twelve pm", "12:00"),
    ("half past two", "14:30"),
    ("half past nine", "09:30"),
    ("half past two am", "02:30"),
    ("quarter to five", "16:45"),
    ("a quarter to eight", "07:45"),
    ("quarter to one", "12:45"),
    ("quarter to twelve", "11:45"),
    ("quarter past ten", "10:15"),
    ("a quarter after five", "17:15"),
    ("ten past three", "15:10"),
    ("twenty to six", "17:40"),
    ("twenty five minutes past eleven", "11:25"),
    ("quarter to midnight", "23:45"),
    ("noon", "12:00"),
    ("midday", "12:00"),
    ("twelve noon", "12:00"),
    ("midnight", "00:00"),
    ("twelve midnight", "00:00"),
    ("three o'clock", "15:00"),
    ("nine oclock", "09:00"),
    ("three oh five", "15:05"),
    ("ten forty five", "10:45"),
    ("fifteen thirty", "15:30"),
    ("fifteen hundred", "15:00"),
    ("fifteen hundred hours", "15:00"),
    ("oh nine hundred", "09:00"),
    ("twenty one fifteen", "21:15"),
    ("15:30", "15:30"),
    ("09:30", "09:30"),  # keyed HHMM arrives as HH:MM: 24-hour
    ("00:15", "00:15"),
    ("930", "09:30"),
    ("1530", "15:30"),
    ("1530 hours", "15:30"),
    ("um can you do three thirty tomorrow", "15:30"),
    ("for two people at seven", "19:00"),  # the marked time wins over a bare number
    ("around four pm for three people", "16:00"),
    ("five no six pm", "18:00"),
    # rejections
    ("three or four", None),
    ("13:75", None),
    ("thirteen am", None),
    ("twenty five", None),
    ("sometime soon", None),
    ("", None),
])
def test_time(text: str, expected: str | None) -> None:
    assert value("time", text) == expected


# --- yes / no ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("yes", True), ("yeah", True), ("yep", True), ("yup", True), ("sure", True),
    ("that's right", True), ("thats right", True), ("correct", True), ("that's correct", True),
    ("please do", True), ("yes please", True), ("uh huh", True), ("mm hmm", True),
    ("absolutely", True), ("of course", True), ("go ahead", True), ("right", True),
    ("YES", True), ("Yes.", True), ("um yeah", True), ("oh yes", True), ("yes yes", True),
    ("yeah sure why not", True), ("no problem", True), ("i think so", True),
    ("okay", True), ("ok", True), ("please", True), ("alright", True), ("1", True),
    ("no", False), ("nope", False), ("nah", False), ("not really", False),
    ("no thanks", False), ("no thank you", False), ("that's wrong", False),
    ("that's not right", False), ("that is not correct", False), ("incorrect", False),
    ("i don't think so", False), ("i do not", False), ("absolutely not", False),
    ("of course not", False), ("no no no", False), ("okay no", False), ("never", False),
    ("2", False), ("Know.", False), ("Know that's everything.", False),
    ("yes no", None), ("i know", None), ("no yes", None), ("yeah no", None),
    ("no that's right", None),
    ("i'm not sure", None), ("maybe", None), ("i don't know", None), ("not sure yes", None),
    ("what", None), ("", None), ("3", None),
])
def test_yes_no(text: str, expected: bool | None) -> None:
    assert value("yes_no", text) is expected


# --- phone -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("five five five oh one hundred", "5550100"),
    ("plus one five five five one two three four five six seven", "+15551234567"),
    ("plus four four two oh seven nine four six oh nine five eight", "+442079460958"),
    ("one eight hundred five five five one two one two", "18005551212"),
    ("my number is five one two five five five oh one hundred", "5125550100"),
    ("+1 (555) 010-0100", "+15550100100"),
    ("555-0100", "5550100"),
    ("5125550100", "5125550100"),
    ("area code five one two then five five five one two one two", "5125551212"),
    ("one two three", None),  # too short
    ("one two three four five six seven eight nine zero one two three four five six", None),
    ("i don't have one", None),
])
def test_phone(text: str, expected: str | None) -> None:
    assert value("phone", text) == expected


def test_phone_text_includes_plus() -> None:
    parsed = normalize("phone", "it's plus one five five five one two one two")
    assert parsed == Parsed("+15551212", True, "plus one five five five one two one two")


def test_phone_honours_digit_limits() -> None:
    assert value("phone", "five five five oh one hundred", min_digits=10) is None
    assert value("phone", "one two three", min_digits=3, max_digits=3) == "123"


# --- choice ------------------------------------------------------------------------------------

COLOURS = ("Red", "Green", "Blue")
ACCOUNTS = ("Checking account", "Savings account", "Credit card")


@pytest.mark.parametrize(("text", "choices", "expected"), [
    ("red", COLOURS, "Red"),
    ("RED", COLOURS, "Red"),
    ("  Blue  ", COLOURS, "Blue"),
    ("i'd like the red one please", COLOURS, "Red"),
    ("um green", COLOURS, "Green"),
    ("the first one", COLOURS, "Red"),
    ("first", COLOURS, "Red"),
    ("the second", COLOURS, "Green"),
    ("number two", COLOURS, "Green"),
    ("option 3", COLOURS, "Blue"),
    ("two", COLOURS, "Green"),
    ("2", COLOURS, "Green"),
    ("the last one", COLOURS, "Blue"),
    ("not the red one the blue one", COLOURS, "Blue"),
    ("red no blue", COLOURS, "Blue"),
    ("the red one the first one", COLOURS, "Red"),  # name and ordinal agree
    ("checking account", ACCOUNTS, "Checking account"),
    ("checkingaccount", ACCOUNTS, None),
    ("savings", ACCOUNTS, "Savings account"),  # a word no other choice has
    ("my savings please", ACCOUNTS, "Savings account"),
    ("the credit card", ACCOUNTS, "Credit card"),
    ("credit cards", ACCOUNTS, "Credit card"),
    ("checking   account", ACCOUNTS, "Checking account"),
    ("red or blue", COLOURS, None),
    ("the red one the second one", COLOURS, None),  # name and ordinal disagree
    ("the fourth one", COLOURS, None),
    ("five", COLOURS, None),
    ("4", COLOURS, None),
    ("0", COLOURS, None),
    ("purple", COLOURS, None),
    ("account", ACCOUNTS, None),  # shared by two choices
    ("wait a second", COLOURS, None),  # "second" without "the" is no ordinal
    ("red", (), None),
    ("", COLOURS, None),
])
def test_choice(text: str, choices: tuple[str, ...], expected: str | None) -> None:
    assert value("choice", text, choices=choices) == expected


def test_choice_prefers_the_longer_overlapping_choice() -> None:
    assert value("choice", "my credit card", choices=("Card", "Credit card")) == "Credit card"
    assert value("choice", "the card", choices=("Card", "Credit card")) == "Card"


# --- text and pattern --------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("  my dog ate it  ", "my dog ate it"),
    ("hello", "hello"),
    ("", None),
    ("   ", None),
])
def test_text(text: str, expected: str | None) -> None:
    assert value("text", text) == expected


POLICY = r"[A-Z]{2}\d{3}"


@pytest.mark.parametrize(("text", "pattern", "expected"), [
    ("AB123", POLICY, "AB123"),
    ("ab123", POLICY, "AB123"),
    ("ab 123", POLICY, "AB123"),
    ("a b one two three", POLICY, "AB123"),
    ("um my code is a b one two three", POLICY, "AB123"),
    ("my code is ab 123 thanks", POLICY, "AB123"),
    ("alpha bravo one two three", POLICY, "AB123"),
    ("b as in boy c as in charlie four five six", POLICY, "BC456"),
    ("double u x ray one two three", POLICY, "WX123"),
    ("a b double one two", POLICY, "AB112"),
    ("a b one twenty three", POLICY, "AB123"),
    ("oh k one two three", POLICY, "OK123"),  # "oh" as the letter O
    ("a b one oh three", POLICY, "AB103"),  # ... and as the digit 0
    ("bee see one two three", POLICY, "BC123"),
    ("a b dash one two", r"[A-Z]{2}-\d{2}", "AB-12"),
    ("a b one two", r"[A-Z]{2}\d{2}", "AB12"),
    ("ab-12", r"[A-Z]{2}-\d{2}", "AB-12"),
    ("one two three", r"\d{3}", "123"),
    ("a b one two", POLICY, None),
    ("hello world", POLICY, None),
    ("", POLICY, None),
])
def test_pattern(text: str, pattern: str, expected: str | None) -> None:
    assert value("pattern", text, pattern=pattern) == expected


def test_pattern_text_is_the_spelled_part() -> None:
    parsed = normalize("pattern", "um my code is a b one two three", pattern=POLICY)
    assert parsed == Parsed("AB123", True, "a b one two three")


def test_invalid_pattern_raises() -> None:
    with pytest.raises(re.error):
        normalize("pattern", "abc", pattern="[")


def test_unknown_slot_type_raises() -> None:
    with pytest.raises(ValueError, match="unknown slot type"):
        normalize("colour", "red")


# --- say_as ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "given", "expected"), [
    ("digits", "1234", "1 2 3 4"),
    ("digits", 1234, "1 2 3 4"),
    ("digits", "555-0100", "5 5 5 0 1 0 0"),
    ("digits", "+15551234", "plus 1 5 5 5 1 2 3 4"),
    ("number", 25, "25"),
    ("number", 25.0, "25"),
    ("number", 25.5, "25.5"),
    ("number", "25.50", "25.5"),
    ("number", -3, "-3"),
    ("number", 1200, "1200"),
    ("number", 0.1, "0.1"),
    ("number", 1e20, "100000000000000000000"),
    ("currency", 25.5, "25 dollars and 50 cents"),
    ("currency", 25, "25 dollars"),
    ("currency", 1, "1 dollar"),
    ("currency", 1.01, "1 dollar and 1 cent"),
    ("currency", 0.5, "50 cents"),
    ("currency", 0, "0 dollars"),
    ("currency", 1200, "1200 dollars"),
    ("currency", 10.555, "10 dollars and 56 cents"),
    ("currency", "19.99", "19 dollars and 99 cents"),
    ("currency", -5, "minus 5 dollars"),
    ("date", "2027-03-04", "Thursday, March 4, 2027"),
    ("date", "2026-11-18", "Wednesday, November 18, 2026"),
    ("date", datetime.date(2027, 3, 3), "Wednesday, March 3, 2027"),
    ("date", datetime.datetime(2027, 3, 3, 10, 0), "Wednesday, March 3, 2027"),
    ("time", "15:30", "3:30 PM"),
    ("time", "09:05", "9:05 AM"),
    ("time", "15:00", "3 PM"),
    ("time", "00:30", "12:30 AM"),
    ("time", "12:45", "12:45 PM"),
    ("time", "12:00", "noon"),
    ("time", "00:00", "midnight"),
    ("time", datetime.time(7, 15), "7:15 AM"),
    ("spell", "ab12", "A B 1 2"),
    ("spell", "AB-12", "A B dash 1 2"),
    ("spell", "j.doe@x", "J dot D O E at X"),
    ("spell", "a b", "A B"),
])
def test_say_as(fmt: str, given: Any, expected: str) -> None:
    assert say_as(fmt, given) == expected


@pytest.mark.parametrize(("fmt", "given"), [
    ("shout", "x"),
    ("number", "many"),
    ("number", True),
    ("number", None),
    ("number", float("nan")),
    ("currency", "lots"),
    ("date", "2027-02-30"),
    ("date", "tomorrow"),
    ("date", 5),
    ("time", "25:00"),
    ("time", "noonish"),
])
def test_say_as_rejects(fmt: str, given: Any) -> None:
    with pytest.raises(ValueError):
        say_as(fmt, given)


@pytest.mark.parametrize(("slot_type", "text", "fmt"), [
    ("date", "next friday", "date"),
    ("time", "half past two", "time"),
    ("currency", "twenty five fifty", "currency"),
    ("number", "three and a half", "number"),
    ("digits", "one two three four", "digits"),
])
def test_normalised_values_can_be_said(slot_type: str, text: str, fmt: str) -> None:
    assert say_as(fmt, value(slot_type, text))


# --- properties --------------------------------------------------------------------------------

SLOT_TYPES = ("digits", "number", "currency", "date", "time", "yes_no", "phone", "choice",
              "text", "pattern")
_SPOKEN = ("one two three four five six seven eight nine zero oh o double triple ten "
           "eleven twelve twenty thirty hundred thousand million and a point half quarter "
           "dollars cents $ the of first second third last next this friday march july "
           "today tomorrow in days ago am pm p m past to noon midnight o'clock yes no not "
           "sure right please red blue um it's i mean sorry 12 3:30 3/4/2027 2027-03-04 "
           "1,200 25.50 + - # bee as b x ray")
VOCABULARY = _SPOKEN.split()
EXPECTED_TYPES = {"digits": str, "number": (int, float), "currency": float, "date": str,
                  "time": str, "yes_no": bool, "phone": str, "choice": str, "text": str,
                  "pattern": str}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY), max_size=12).map(" ".join)
       | st.text(max_size=40))
def test_never_raises_and_values_are_well_formed(text: str) -> None:
    for slot_type in SLOT_TYPES:
        parsed = normalize(slot_type, text, min_digits=None, max_digits=None,
                           choices=("Red", "Blue"), pattern=r"[A-Z]{2}\d+", today=TODAY)
        assert isinstance(parsed, Parsed)
        if parsed.value is None:
            continue
        assert isinstance(parsed.value, EXPECTED_TYPES[slot_type])
        assert parsed.text and parsed.text in text  # the text is a piece of the input
        if slot_type == "date":
            datetime.date.fromisoformat(parsed.value)  # type: ignore[arg-type]
        if slot_type == "time":
            assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", parsed.value)  # type: ignore[arg-type]
        if slot_type in ("digits", "phone"):
            assert re.fullmatch(r"\+?\d+", parsed.value)  # type: ignore[arg-type]
        assert normalize(slot_type, text, choices=("Red", "Blue"), pattern=r"[A-Z]{2}\d+",
                         today=TODAY) == parsed  # deterministic
