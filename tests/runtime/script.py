"""Drive a session with scripted events, as the drivers would: `run_script(flow, events)`."""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from dsl.compile import compile_file
from runtime import actions as A
from runtime import events as E
from runtime.intents import ExampleMatcher, training_data_from_text
from runtime.session import Session

T0 = 1_795_006_800.0  # 2026-11-18 13:00 UTC, a Wednesday


def compile_flow(text: str, nlu: str | None = None,
                 files: dict[str, str] | None = None) -> dict[str, Any]:
    """Compile a flow the way a bot folder is compiled (nlu.yml, hooks.py... beside it)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "test.flow"
        path.write_text(text, encoding="utf-8")
        extra = dict(files or {})
        if nlu:
            extra["nlu.yml"] = nlu
        for name, content in extra.items():
            (Path(folder) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(folder) / name).write_text(content, encoding="utf-8")
        comp = compile_file(path)
        errors = [d.message for d in comp.diagnostics if d.severity == "error"]
        assert not errors, errors
        return comp.ir()


def new_session(text: str, nlu: str | None = None,
                files: dict[str, str] | None = None) -> Session:
    intents = ExampleMatcher(training_data_from_text(nlu)) if nlu else None
    return Session(compile_flow(text, nlu, files), intents=intents)


class Call:
    """A session plus a faithful stand-in for the driver: prompts end when told to."""

    def __init__(self, text: str, nlu: str | None = None,
                 files: dict[str, str] | None = None, **start: Any) -> None:
        self.session = new_session(text, nlu, files)
        self.actions: list[A.Action] = []
        self.at = T0
        self.send(E.CallStarted(caller=start.pop("caller", "+15550100"), **start))

    def send(self, event: E.Event) -> list[A.Action]:
        self.at += 1
        event = type(event)(**{**event.__dict__, "at": event.at or self.at})
        out = self.session.handle(event)
        self.actions += out
        return out

    def finish_prompts(self) -> list[A.Action]:
        """Every Play not yet finished ends (a text channel plays instantly)."""
        out: list[A.Action] = []
        for action in list(self.actions):
            if isinstance(action, A.Play) and action.playback_id not in self._finished:
                self._finished.add(action.playback_id)
                out += self.send(E.PlaybackFinished(playback_id=action.playback_id))
        return out

    @property
    def _finished(self) -> set[str]:
        return self.__dict__.setdefault("_done", set())

    def timer(self, prefix: str) -> str:
        """The id of the running timer with this prefix (noinput / interdigit)."""
        started = [a.timer_id for a in self.actions if isinstance(a, A.StartTimer)]
        cancelled = {a.timer_id for a in self.actions if isinstance(a, A.CancelTimer)}
        fired = self.__dict__.setdefault("_fired", set())
        live = [t for t in started if t.startswith(prefix) and t not in cancelled | fired]
        assert live, f"no running {prefix} timer"
        fired.add(live[-1])
        return live[-1]

    def fire(self, prefix: str) -> list[A.Action]:
        return self.send(E.TimerFired(timer_id=self.timer(prefix)))

    def said(self) -> list[str]:
        return [a.text for a in self.actions if isinstance(a, A.Play) and a.text]

    def outcomes(self) -> list[str]:
        return [e["outcome"] for e in self.session.log if e["kind"] == "outcome"]

    def restored(self) -> Call:
        """A copy of this call restored from a JSON snapshot of its session."""
        snap = json.loads(json.dumps(self.session.snapshot()))
        twin = Call.__new__(Call)
        twin.__dict__.update({k: v for k, v in self.__dict__.items() if k != "session"})
        twin.__dict__["_done"] = set(self._finished)
        twin.__dict__["_fired"] = set(self.__dict__.get("_fired", set()))
        twin.actions = list(self.actions)
        twin.session = Session.restore(self.session.program, snap, intents=self.session.intents)
        twin.session.log = list(self.session.log)  # the log is output, streamed elsewhere
        return twin


def as_json(actions: list[A.Action]) -> list[dict[str, Any]]:
    return [asdict(a) for a in actions]
