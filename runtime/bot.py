"""A bot folder made ready to run: its flow compiled, its intents trained, its hooks found."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsl.compile import compile_file
from dsl.diagnostics import render_all
from dsl.project import HOOKS_FILE, NLU_FILE, Loader
from nlu.loader import load_nlu
from runtime.hooks import Hooks
from runtime.intents import IntentMatcher, TrainingDataError
from runtime.program import LoadedProgram, load_program

if TYPE_CHECKING:
    from knowledge.base import KnowledgeBase


class BotError(Exception):
    """The bot cannot run; the message says why and what to fix."""


@dataclass
class Bot:
    folder: Path
    flow_path: Path
    ir: dict[str, Any]
    program: LoadedProgram
    intents: IntentMatcher | None
    hooks_path: Path | None
    knowledge: KnowledgeBase | None = None  # the bot's knowledge/ collections, indexed

    def hooks(self) -> Hooks | None:
        return Hooks.load(self.hooks_path) if self.hooks_path else None


def entry_flow(folder: Path) -> Path:
    """The bot's main flow: the .flow file no other flow in the folder `use`s."""
    if folder.is_file():
        return folder
    flows = sorted(p for p in folder.glob("*.flow") if not p.name.endswith(".test.flow"))
    if not flows:
        raise BotError(f"{folder} has no .flow file")
    loader = Loader()
    used: set[Path] = set()
    for f in flows:
        unit = loader.load(f)
        used |= {Path(u.path).resolve() for u in unit.imports.values()}
    entries = [f for f in flows if f.resolve() not in used]
    if len(entries) != 1:
        names = ", ".join(f.name for f in entries)
        raise BotError(f"{folder} has {len(entries)} main flows ({names}); name one of them")
    return entries[0]


def load_bot(path: Path) -> Bot:
    flow_path = entry_flow(path)
    folder = flow_path.parent
    comp = compile_file(flow_path)
    if not comp.ok:
        raise BotError(f"{flow_path} has errors:\n\n"
                       + render_all(comp.diagnostics, comp.sources))
    ir = comp.ir()
    nlu = folder / NLU_FILE
    try:  # the built-in NLU engine, or Rasa in front of it (nlu/loader.py)
        intents = load_nlu(nlu) if nlu.is_file() else None
    except TrainingDataError as exc:
        raise BotError(str(exc)) from None
    hooks = folder / HOOKS_FILE
    return Bot(folder, flow_path, ir, load_program(ir), intents,
               hooks if hooks.is_file() else None, _knowledge(folder))


def _knowledge(folder: Path) -> KnowledgeBase | None:
    """The bot's knowledge base, re-ingested when its files changed since the last load."""
    if not (folder / "knowledge").is_dir():
        return None
    from knowledge.base import KnowledgeBase
    from knowledge.errors import KnowledgeError

    try:
        return KnowledgeBase.for_bot(folder)
    except KnowledgeError as exc:
        raise BotError(str(exc)) from None
