"""Hooks for the services case: checked by name and argument count, never imported."""


def open_ticket(number, order_id):
    return {"id": f"T-{number[-4:]}-{order_id}"}
