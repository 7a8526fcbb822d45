"""What happened around the queues, kept in the embedded database (SQLite, standard library).

`Store.record(event, commands)` writes one router step in one transaction; `kpis` computes
service level, ASA, abandonment, AHT and callbacks kept from those records, never from
counters. The schema is versioned (`schema.MIGRATIONS`, `PRAGMA user_version`).
"""

from agents.store.kpis import Kpis, day_window, kpis
from agents.store.recorder import Store

__all__ = ["Kpis", "Store", "day_window", "kpis"]
