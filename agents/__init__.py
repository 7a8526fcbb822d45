"""Handoff to people: queues, agents and routing, expected wait, and the records KPIs come from.

`Router.handle(event) -> [Command, ...]` is deterministic and does no I/O, like the runtime's
`Session`: a driver feeds it events (an agent went available, a call was handed off, an offer
was accepted, time passed) and performs the commands (offer a call on an agent's screen, bridge,
originate a callback, announce a position). `store.Store` keeps what happened in SQLite.
See docs/architecture.md.
"""
