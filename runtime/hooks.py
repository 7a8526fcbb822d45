"""A bot's Python hooks (hooks.py next to its flow), run with a time limit.

Hooks run in worker threads so a slow one cannot stall other calls. A thread cannot be killed:
past the time limit the call stops waiting and takes the error path, and the hook finishes in
the background (its result is dropped).
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
from pathlib import Path
from types import ModuleType
from typing import Any


class HookError(Exception):
    """A hook is missing, failed, or took too long; the message is safe to log."""


class Hooks:
    def __init__(self, module: ModuleType) -> None:
        self.module = module

    @classmethod
    def load(cls, path: Path) -> Hooks:
        spec = importlib.util.spec_from_file_location(f"voxflow_hooks_{abs(hash(path))}", path)
        if spec is None or spec.loader is None:
            raise HookError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return cls(module)

    async def call(self, name: str, args: tuple[Any, ...], timeout_ms: int) -> Any:
        func = getattr(self.module, name, None)
        if func is None or name.startswith("_") or not callable(func):
            raise HookError(f"no hook named {name}")
        try:
            if inspect.iscoroutinefunction(func):
                return await asyncio.wait_for(func(*args), timeout_ms / 1000)
            return await asyncio.wait_for(asyncio.to_thread(func, *args), timeout_ms / 1000)
        except TimeoutError:
            raise HookError(f"hook {name} took longer than {timeout_ms} ms") from None
        except Exception as exc:
            raise HookError(f"hook {name} failed: {type(exc).__name__}") from exc
