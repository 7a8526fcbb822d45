"""The closed set of ways an input step's turn can end; every one is recorded in the call log."""

from enum import StrEnum


class Outcome(StrEnum):
    KEY_COMPLETE = "key-complete"  # the expected number of keys (or a menu key) was pressed
    TERMINATOR = "terminator"  # the terminator key ended the entry
    INTERDIGIT_TIMEOUT = "interdigit-timeout"  # the caller stopped keying in
    SPEECH = "speech"  # a final recognition result that matched
    NO_INPUT = "no-input"  # silence until the no-input timer fired
    NO_MATCH = "no-match"  # input that matched nothing the step accepts
    HANG_UP = "hang-up"  # the caller left during the step
