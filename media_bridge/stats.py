"""`voxflow serve --stats FILE`: one JSON line per finished call, and the event loop's lag.

Frames received per call let a load test compare what the switch sent with what the bridge
took in (dropped frames); the loop lag (how late a 20 ms ticker wakes, the worst of each second)
shows whether the bridge keeps up with real time.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any, TextIO

TICK_S = 0.02


class StatsWriter:
    def __init__(self, path: Path) -> None:
        self._file: TextIO = path.open("a", encoding="utf-8", buffering=1)
        self._task: asyncio.Task[None] | None = None

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")

    def call_finished(self, bridge: Any) -> None:
        self.write({"kind": "call", "uuid": bridge.uuid, "frames": bridge.frames,
                    "reason": bridge.close_reason, "at": time.time()})

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._lag())

    async def _lag(self) -> None:
        loop = asyncio.get_running_loop()
        worst, window = 0.0, loop.time()
        while True:
            due = loop.time() + TICK_S
            await asyncio.sleep(TICK_S)
            worst = max(worst, loop.time() - due)
            if loop.time() - window >= 1.0:
                self.write({"kind": "lag", "max_ms": round(worst * 1000, 2), "at": time.time()})
                worst, window = 0.0, loop.time()

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._file.close()
