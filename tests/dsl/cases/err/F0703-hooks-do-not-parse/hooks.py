"""Hooks for the Acme hotline."""


def log_call(number)
    print("call from", number)
