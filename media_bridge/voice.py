"""`VoiceService`: a bot on the phone — the media bridge, the Event Socket client, the runtime
and the speech stack, wired as `voxflow serve` runs them.

With `standin=True` it also runs a stand-in FreeSWITCH on loopback and connects to it: that is
how `voxflow call` and the audio conversation tests place calls without a switch. The speech
models load once per process (`SpeechStack`) and are shared by every call.

With `agents=` (an `AgentService` whose switch is a `media_bridge.agent_link.EslSwitch`) it runs
in queue mode: hand-offs go to voxflow's own queues, callers wait on their socket hearing hold
audio and announcements, and an agent's accept bridges them over the same Event Socket.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import aiohttp

from media_bridge import protocol as P
from media_bridge.esl import EVENTS, EslClient
from media_bridge.server import MediaBridgeServer
from media_bridge.settings import BridgeSettings
from media_bridge.standin import StandInSwitch
from runtime import actions as A
from runtime.bot import Bot
from runtime.session import Session

if TYPE_CHECKING:
    from agents.service import AgentService

log = logging.getLogger("voxflow.voice")
FLAVOURS = {P.PlaybackMode.FILE: "community", P.PlaybackMode.INJECT_BINARY: "cloudfieldcz",
            P.PlaybackMode.INJECT_STREAM_AUDIO: "pr118"}


@dataclass
class SpeechStack:
    """The process's speech models: synthesis (with the prompt cache), VAD, recognisers."""

    synthesizer: Any
    picker: Any
    vad_options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, *, prompt_cache: str | None = None) -> SpeechStack:
        from speech.asr.choose import AsrPolicy
        from speech.prompts import CachedSynthesizer, PromptCache
        from speech.tts import PiperSynthesizer

        synth = CachedSynthesizer(PromptCache(prompt_cache), PiperSynthesizer())
        return cls(synthesizer=synth, picker=AsrPolicy.from_env())

    def warm(self, ir: Any, hints: Any = None) -> list[str]:
        """Loads now what the bot's input steps will hear with (the VAD, each step's engine and
        grammar) rather than during the first call, whose caller would wait seconds for it.
        Returns the engines' names."""
        from speech.asr.base import Task, ir_input_nodes, listen_of
        from speech.vad import session

        session()
        engines: set[str] = set()
        for node in ir_input_nodes(ir):
            listen = listen_of(node)
            task = Task.from_listen(listen, hints(listen) if hints is not None else ())
            engine = self.picker.engine_for(task)
            engine.recognizer(task, 8000).cancel()
            engines.add(engine.name)
        return sorted(engines)

    def listener(self, rate: int, post: Any, hints: Any = None) -> Any:
        from speech.listener import SpeechListener
        from speech.vad import Vad

        return SpeechListener(rate, post, self.picker, Vad(rate, **self.vad_options),
                              hints=hints)


@dataclass
class EslTarget:
    host: str = "127.0.0.1"
    port: int = 8021
    password: str = field(default="ClueCon", repr=False)


class VoiceService:
    def __init__(self, bot: Bot, speech: SpeechStack, *, settings: BridgeSettings | None = None,
                 esl: EslTarget | None = None, standin: bool = False,
                 agents: AgentService | None = None) -> None:
        from media_bridge.agent_link import EslSwitch

        if agents is not None and not isinstance(agents.switch, EslSwitch):
            raise TypeError("VoiceService(agents=...) needs a service whose switch is an "
                            "EslSwitch (media_bridge.agent_link), which it attaches")
        self.bot, self.speech, self.agents = bot, speech, agents
        settings = settings or BridgeSettings()
        if not settings.token:
            settings = replace(settings, token=secrets.token_urlsafe(24))
        self.settings = settings
        self.esl_target = esl or EslTarget()
        self.switch: StandInSwitch | None = None
        if standin:
            self.switch = StandInSwitch(password=self.esl_target.password,
                                        flavour=FLAVOURS[settings.playback])
        self.handoffs: dict[str, A.Handoff] = {}  # the bot's hand-off per call uuid
        self.test_env: dict[str, dict[str, Any]] = {}  # per-call env.* (stand-in tests only)
        self.test_clock: dict[str, float] = {}  # per-call clock offsets (stand-in tests only)
        self._http: aiohttp.ClientSession | None = None
        self.esl: EslClient | None = None
        self.bridge: MediaBridgeServer | None = None
        self.stream_url = ""
        self._hints = None  # the bot's NLU words per step (speech/vocabulary.py)
        data = getattr(bot.intents, "data", None)
        if data is not None:
            from speech.vocabulary import Vocabulary

            self._hints = Vocabulary(data).hints

    def warm_speech(self) -> list[str]:
        """`SpeechStack.warm` for this bot (blocking: call it before serving)."""
        return self.speech.warm(self.bot.ir, self._hints)

    @property
    def token(self) -> str:
        return self.settings.token

    async def start(self, host: str = "127.0.0.1", port: int = 0, *,
                    reuse_port: bool = False) -> str:
        """Starts everything; returns the WebSocket URL mod_audio_stream should open.
        `reuse_port`: share the port with other processes (`serve --workers`). What started
        is stopped again if a later part fails (no Event Socket, a port in use)."""
        try:
            return await self._start(host, port, reuse_port)
        except BaseException:
            await self.stop()
            raise

    async def _start(self, host: str, port: int, reuse_port: bool) -> str:
        target = self.esl_target
        if self.switch is not None:
            target = replace(target, host="127.0.0.1", port=await self.switch.start())
        self._http = aiohttp.ClientSession()
        events: tuple[str, ...] = EVENTS
        if self.agents is not None:
            from media_bridge.agent_link import ESL_EVENTS

            events = ESL_EVENTS
        self.esl = EslClient(target.host, target.port, target.password, events=events)
        await self.esl.start()
        self.bridge = MediaBridgeServer(
            self.settings, self.esl, self._new_session, synthesizer=self.speech.synthesizer,
            hooks=self.bot.hooks(), http=self._http, knowledge=self.bot.knowledge,
            speech=self._listener, env_for=self._env_for,
            clock_offset_for=self._clock_offset_for)
        self.bridge.on_handoff.append(self._handoff)
        self.bridge.on_finished.append(self._finished)
        if self.agents is not None:
            from media_bridge.agent_link import EslSwitch

            switch = self.agents.switch
            assert isinstance(switch, EslSwitch)
            switch.attach(self.agents, self.esl, self.bridge, self.speech.synthesizer)
            await self.agents.start()
        base = await self.bridge.start(host, port, reuse_port=reuse_port)
        self.stream_url = f"{base}/calls"
        return self.stream_url

    async def stop(self) -> None:
        if self.agents is not None and self.esl is not None:
            from media_bridge.agent_link import EslSwitch

            switch = self.agents.switch
            assert isinstance(switch, EslSwitch)
            await switch.close()  # waiting callers are hung up, not left parked
        if self.bridge is not None:
            await self.bridge.stop()
        if self.esl is not None:
            await self.esl.close()
        if self.switch is not None:
            await self.switch.close()
        if self._http is not None:
            await self._http.close()

    def session_of(self, uuid: str) -> Session | None:
        bridge = self.bridge
        if bridge is None:
            return None
        call = bridge.bridges.get(uuid) or bridge.finished.get(uuid)
        return call.session if call is not None else None

    # ---- per call -----------------------------------------------------------------------------
    def _listener(self, rate: int, post: Any) -> Any:
        return self.speech.listener(rate, post, hints=self._hints)

    def _new_session(self, metadata: P.Metadata) -> Session:
        return Session(self.bot.program, intents=self.bot.intents)

    def _env_for(self, metadata: P.Metadata) -> dict[str, Any]:
        return dict(self.test_env.get(metadata.uuid, self.settings.env))

    def _clock_offset_for(self, metadata: P.Metadata) -> float:
        return self.test_clock.get(metadata.uuid, 0.0)

    def _handoff(self, uuid: str, action: A.Handoff) -> None:
        self.handoffs[uuid] = action

    def _finished(self, bridge: Any) -> None:
        self.test_env.pop(bridge.uuid, None)
        self.test_clock.pop(bridge.uuid, None)
        if len(self.handoffs) > 1000:  # kept for inspection; a long-running server must not grow
            self.handoffs.pop(next(iter(self.handoffs)))

