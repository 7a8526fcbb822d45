"""Queue mode: voxflow's own queues (`agents/`) on the phone, over the Event Socket.

`EslSwitch` is two things, attached to one media bridge and one `AgentService`:

- the **holder** of handed-off callers (`MediaBridgeServer.holder`): when a bot runs
  `handoff`, the call goes to `AgentService.handoff` instead of the dialplan, and the caller
  stays on the same mod_audio_stream socket, now a `QueuedCall`: they hear a soft generated
  hold chime and the router's announcements (position, expected wait, the callback offer),
  synthesised with the bot's voice and played through the call's `MediaChannel` like prompts.
  Keys still work: the callback key (1) accepts a callback once it was offered, the voicemail
  key (2) leaves a message where the queue ends in voicemail (recorded with the service,
  `voicemail_left`, for the desktop to list and play). A hang-up while waiting is
  `AgentService.hung_up` (abandoned).
- the **switch** (`agents.switch.Switch`) the service drives:
  - `bridge`: pause the call's audio stream, `uuid_setvar_multi` the hand-off's variables
    (`BridgeRequest.variables()`) with `hangup_after_bridge=true` and `continue_on_fail=true`,
    then `uuid_transfer <uuid> bridge:<endpoint>,park inline`; the caller's
    `CHANNEL_HANGUP_COMPLETE` later ends the agent's call (`hung_up`), or, before any
    `CHANNEL_BRIDGE` (they hung up while the agent's phone rang), is
    `bridge_failed(caller_gone=True)` with `CALLER_HUNG_UP`: abandoned, and the agent is
    free again. When the agent's phone does not take the call, the inline dialplan goes on to
    `park`: `CHANNEL_PARK` on the caller before any `CHANNEL_BRIDGE` means the bridge failed
    (`variable_originate_disposition` says why). The stream is resumed, the caller waits
    again where they were (hold audio, keys) and the service hears `bridge_failed`; a command
    that fails during `bridge` does the same.
  - `originate` (callbacks): `bgapi originate {vars}<agent endpoint> &bridge(<customer>)`,
    the agent's phone first; `CHANNEL_BRIDGE` on that leg means the customer answered
    (`originate_result(answered=True)`), its hang-up before that means nobody did.
  - `cancel_originate` and `hangup`: `uuid_kill`. Failures raise `SwitchError`.

Commands and their sources are in docs/freeswitch.md (section 6). Announcements are English.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import math
import re
import struct
import uuid as uuidlib
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from agents import commands as C
from agents.events import CALLER_HUNG_UP
from agents.screen import last_intent
from agents.switch import (
    BridgeRequest,
    CallerCommand,
    CallerGone,
    OriginateRequest,
    SwitchError,
    clean_cause,
)
from media_bridge import esl_codec as codec
from media_bridge.channel import HANGUP_CAUSE_FAILED
from media_bridge.esl import EVENTS, ApiReply, EslClient, EslUnavailable
from media_bridge.esl_codec import EslEvent
from media_bridge.speech import Synthesizer
from runtime import actions as A
from runtime import events as E
from runtime.normalize import say_as

if TYPE_CHECKING:
    from agents.service import AgentService
    from media_bridge.server import CallBridge, MediaBridgeServer

log = logging.getLogger("voxflow.agents.switch")

# The Event Socket subscription queue mode needs (plain events first; the CUSTOM subclasses
# follow, see esl.py): CHANNEL_BRIDGE tells that a callback's customer answered, or that a
# caller reached the agent's phone; CHANNEL_PARK before it, that the bridge failed.
ESL_EVENTS = (*EVENTS, "CHANNEL_BRIDGE", "CHANNEL_PARK")
# Set on the caller's channel with the hand-off's variables before the transfer: when the
# agent hangs up the caller's leg ends (the `park` after the bridge is for failures only), and
# a failed bridge goes on to that `park` instead of hanging the caller up.
BRIDGE_VARIABLES = {"hangup_after_bridge": "true", "continue_on_fail": "true"}

WORD_RE = re.compile(r"[^\s'\"\\]+")  # one argument of an api command line
VALUE_RE = re.compile(r"[A-Za-z0-9_.:@/+-]*")  # a channel variable inside {...}
NUMBER_RE = re.compile(r"\+?[0-9]{3,20}")  # a callback number (from caller ID: untrusted)
HOLD_SECONDS = 4


@dataclass(frozen=True, kw_only=True)
class LinkSettings:
    # Where a callback customer is dialled ({number} is the caller's number, digits and +):
    # a gateway of your switch. The agent's own endpoint (users' `endpoint`) rings first.
    callback_dial: str = "sofia/gateway/voxflow/{number}"
    callback_caller_id: str = ""  # the number the customer sees; "" leaves the switch's
    callback_ring_s: int = 30  # how long the agent's phone rings for a callback
    callback_key: str = "1"  # accepts a callback, once it was offered
    voicemail_key: str = "2"  # leaves a message, in queues whose maximum wait ends in voicemail
    voicemail_max_s: int = 120


class EslSwitch:
    """`agents.switch.Switch` over the Event Socket, and the media bridge's queue mode. Made
    before the service (which takes it), then `attach`ed to it and to the bridge."""

    def __init__(self, settings: LinkSettings | None = None) -> None:
        self.settings = settings or LinkSettings()
        self.service: AgentService | None = None
        self.esl: EslClient | None = None
        self.synthesizer: Synthesizer | None = None
        self.waiting: dict[str, QueuedCall] = {}  # callers on our sockets, by call id (uuid)
        self.legs: dict[str, Leg] = {}  # calls given to the switch (bridged, called back)
        self.originations: dict[str, Leg] = {}  # callback attempts by offer id
        self.voicemails: dict[str, str] = {}  # call id -> file URI of the message left
        self._tasks: set[asyncio.Task[Any]] = set()

    def attach(self, service: AgentService, esl: EslClient,
               server: MediaBridgeServer | None = None,
               synthesizer: Synthesizer | None = None) -> None:
        """Take hand-offs from `server` (queue mode) and drive calls over `esl`. Give `esl` the
        subscription in `ESL_EVENTS` so callbacks can tell an answer."""
        self.service, self.esl = service, esl
        if server is not None:
            server.holder = self
            self.synthesizer = synthesizer or server.synthesizer
        elif synthesizer is not None:
            self.synthesizer = synthesizer

    async def close(self) -> None:
        """Shutting down: hang up the callers still waiting (they would be left parked in
        silence), while the Event Socket is still there; each is recorded as abandoned."""
        await asyncio.gather(*(self._kill_quietly(uuid) for uuid in list(self.waiting)))
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=1.0)

    # ---- the holder: a hand-off arrives ----------------------------------------------------
    async def take(self, bridge: CallBridge, action: A.Handoff) -> str:
        service, session, channel = self.service, bridge.session, bridge.channel
        if service is None or session is None or channel is None:
            return "no agent service is attached"
        caller = dict(session.state.caller)
        intent, confidence = last_intent(session.log)
        spec = service.router.queues.get(action.queue)
        header = session.program.main.header
        call = QueuedCall(self, bridge, action, voice=header.voice if header else "",
                          language=session.state.language,
                          voicemail=bool(spec and spec.max_wait_then == "voicemail"))
        # Registered first: the service's announcements for this call may follow at once.
        self.waiting[bridge.uuid] = call
        bridge.held = call
        try:
            result = await service.handoff(bridge.uuid, action, caller, intent=intent,
                                           intent_confidence=confidence)
        except Exception:
            log.exception("the agent service failed to take a hand-off",
                          extra={"call": bridge.uuid})
            result = None
        if result is None or not result.queued:
            bridge.held = None
            self.waiting.pop(bridge.uuid, None)
            return (result.reason if result is not None else "") or "the queue refused the call"
        log.info("caller queued", extra={"call": bridge.uuid, "queue": action.queue,
                                         "position": result.position})
        call.start()
        return ""

    # ---- the switch port ---------------------------------------------------------------------
    async def bridge(self, request: BridgeRequest) -> None:
        call_id = _word(request.call_id, "the call id")
        destination = inline_bridge(request.endpoint)
        call = self.waiting.get(call_id)
        if call is None or call.state != "queued":
            raise CallerGone("the caller is no longer waiting on this media bridge")
        leg = Leg(uuid=call_id, call_id=call_id, kind="bridge", offer_id=request.offer_id,
                  queued=call)
        self.legs[call_id] = leg
        call.leave_for_agent(lambda event: self._leg_event(leg, event))
        paused = False
        try:
            # The stream first: its media bug goes along with the transfer. Paused, it sends
            # nothing of the agent's conversation to the bot, and stays open: a failed bridge
            # resumes it and the caller waits again on the same socket.
            await self._ok(codec.uuid_audio_stream_pause(call_id),
                           "pause the call's audio stream")
            paused = True
            await self._ok(codec.uuid_setvar_multi(call_id, {**request.variables(),
                                                             **BRIDGE_VARIABLES}),
                           "set the hand-off's channel variables")
            await self._ok(f"uuid_transfer {call_id} {destination} inline",
                           f"transfer the caller to {request.endpoint}")
        except SwitchError as exc:
            if leg.done and leg.hung_up:
                # The caller hung up meanwhile (why the command failed), and that is reported
                # already (`_hung_up_ringing`): nothing more to tell the service.
                log.info("bridge ended: the caller hung up", extra={"call": call_id})
                return
            # The transfer did not happen: the caller is still parked on their stream.
            if await self._back_to_queue(leg, resume=paused):
                raise  # the service puts the call back in the queue and tells the agent
            raise CallerGone(f"{exc}; the caller is gone") from None
        log.info("caller transferred to an agent", extra={"call": call_id,
                                                          "agent": request.agent})

    async def originate(self, request: OriginateRequest) -> None:
        service, s = self._service(), self.settings
        number = request.number
        if not NUMBER_RE.fullmatch(number):
            log.warning("callback number is not a dialable number", extra={
                "call": request.call_id})
            service.originate_result(request.offer_id, False)
            return
        leg_uuid = str(uuidlib.uuid4())
        try:
            endpoint = _word(request.endpoint, "the agent's endpoint")
            dial = s.callback_dial.format(number=number)
            if s.callback_caller_id:
                dial = f"{{origination_caller_id_number={s.callback_caller_id}}}{dial}"
            if not WORD_RE.fullmatch(dial) or "(" in dial or ")" in dial:
                raise SwitchError(f"the callback dial string {dial!r} is not one word "
                                  "without parentheses")
            variables = _channel_variables({
                "origination_uuid": leg_uuid,
                "originate_timeout": str(int(s.callback_ring_s)),
                "origination_caller_id_number": number,  # the agent's phone shows whom
                "voxflow_handoff_id": request.handoff_id, "voxflow_call_id": request.call_id,
                "voxflow_queue": request.queue, "voxflow_agent": request.agent,
                "voxflow_offer_id": request.offer_id,
                "voxflow_callback_attempt": str(request.attempt)})
        except SwitchError as exc:
            log.warning("callback not placed: %s", exc, extra={"call": request.call_id})
            service.originate_result(request.offer_id, False)
            return
        leg = Leg(uuid=leg_uuid, call_id=request.call_id, kind="callback",
                  offer_id=request.offer_id)
        self.originations[request.offer_id] = leg
        self.legs[request.call_id] = leg
        esl = self._esl()
        esl.watch(leg_uuid, lambda event: self._leg_event(leg, event))
        try:
            # bgapi: the reply comes at once; originate itself waits for the agent to answer.
            await self._ok(f"bgapi originate {variables}{endpoint} &bridge({dial})",
                           f"call {request.agent} for a callback")
        except SwitchError as exc:
            log.warning("callback not placed: %s", exc, extra={"call": request.call_id})
            esl.unwatch(leg_uuid)
            self._forget(leg)
            service.originate_result(request.offer_id, False)

    async def cancel_originate(self, offer_id: str, call_id: str) -> None:
        leg = self.originations.get(offer_id)
        if leg is None or leg.done:
            return
        leg.cancelled = True  # its hang-up is not a result: the router has moved on
        if not await self._kill_quietly(leg.uuid):
            self._leg_ended(leg)  # never created (or already gone): nothing will come

    async def hangup(self, call_id: str) -> None:
        """The agent ended the call on the desktop: end the caller's leg (or the callback's);
        its CHANNEL_HANGUP_COMPLETE reports it, or at once if the leg is already gone."""
        leg = self.legs.get(call_id)
        target = leg.uuid if leg is not None else call_id
        try:
            reply = await self._esl().kill(target)
        except (EslUnavailable, codec.CommandError) as exc:
            raise SwitchError(f"could not end the call: {exc}") from None
        if not reply.ok:  # no such channel: its hang-up was missed, or it never had one
            if leg is not None:
                self._leg_ended(leg)
            else:
                self._service().hung_up(call_id)

    async def tell_caller(self, command: CallerCommand) -> None:
        if isinstance(command, C.Rejected):
            return  # a refused hand-off went back to the bot's `on error` (see `take`)
        call = self.waiting.get(command.call_id)
        if call is None:
            log.debug("nothing to tell: the caller is not waiting here",
                      extra={"call": command.call_id, "what": command.type})
            return
        call.tell(command)

    # ---- legs the switch has (bridged callers, callback calls) -------------------------------
    def _leg_event(self, leg: Leg, event: EslEvent) -> None:
        if event.name == "CHANNEL_BRIDGE":
            leg.bridged = True
            if leg.kind == "callback" and not leg.answered and not leg.done:
                leg.answered = True
                if not leg.cancelled:
                    self._service().originate_result(leg.offer_id, True)
        elif event.name == "CHANNEL_PARK":
            if leg.kind == "bridge" and not leg.bridged and not leg.done and not leg.failing:
                # The inline dialplan reached the `park` after the bridge: it failed.
                leg.failing = True
                self.spawn(self._bridge_failed(
                    leg, event.get("variable_originate_disposition")))
        elif event.name == "CHANNEL_HANGUP_COMPLETE":
            leg.hung_up = True
            if self.esl is not None:
                self.esl.unwatch(leg.uuid)
            if leg.queued is not None:
                leg.queued.bridge.esl_successor = None  # nothing more to pass on
            if leg.failing:
                return  # a failing bridge reports the hang-up itself
            if leg.kind == "bridge" and not leg.bridged:
                self._hung_up_ringing(leg)
            else:
                self._leg_ended(leg)

    def _hung_up_ringing(self, leg: Leg) -> None:
        """The caller hung up before their leg was bridged (the agent's phone was ringing, or
        not yet): they never spoke to the agent, so the call is abandoned, not answered, and
        the agent, whose phone did nothing wrong, is free again (`CALLER_HUNG_UP`)."""
        if leg.done:
            return
        leg.done = True
        self._forget(leg)
        log.info("caller hung up while the agent's phone rang", extra={"call": leg.call_id})
        self._service().bridge_failed(leg.call_id, CALLER_HUNG_UP, offer_id=leg.offer_id,
                                      caller_gone=True)

    async def _bridge_failed(self, leg: Leg, cause: str) -> None:
        """The agent's phone did not take the call (NO_ANSWER, USER_BUSY...): the caller
        waits again, in their place, or (gone meanwhile, or their stream would not resume)
        the call is abandoned; either way the agent goes not ready (`bridge_failed`)."""
        cause = clean_cause(cause)
        back = await self._back_to_queue(leg)
        log.info("bridge to the agent failed", extra={"call": leg.call_id, "cause": cause,
                                                      "requeued": back})
        self._service().bridge_failed(leg.call_id, cause, offer_id=leg.offer_id,
                                      caller_gone=not back)

    async def _back_to_queue(self, leg: Leg, resume: bool = True) -> bool:
        """After a failed bridge: resume the caller's stream and put them back in the queue
        (hold audio, keys, their events ours again). False when they cannot wait: they hung
        up, their socket closed, or the stream would not resume (then their leg is hung up,
        rather than left parked in silence)."""
        leg.done = True
        self._forget(leg)
        call = leg.queued
        if call is None:
            return False
        able = call.state == "bridging" and not leg.hung_up
        if able and resume:
            try:
                await self._ok(codec.uuid_audio_stream_resume(leg.uuid),
                               "resume the caller's audio stream")
            except SwitchError as exc:
                log.warning("the caller cannot wait again: %s", exc, extra={"call": leg.uuid})
                able = False
        if able and call.state == "bridging" and not leg.hung_up:  # not gone meanwhile
            call.back_in_queue()
            return True
        call.bridge.esl_successor = None  # the bridge sees its own end
        if not leg.hung_up:
            await self._kill_quietly(leg.uuid, HANGUP_CAUSE_FAILED)
        return False

    def _leg_ended(self, leg: Leg) -> None:
        if leg.done:
            return
        leg.done = True
        self._forget(leg)
        if leg.kind == "callback" and self.esl is not None:
            self.esl.unwatch(leg.uuid)  # its own leg (a bridged caller's is unwatched above)
        service = self._service()
        if leg.kind == "callback":
            if leg.cancelled:
                return
            if not leg.answered:
                service.originate_result(leg.offer_id, False)
                return
        service.hung_up(leg.call_id)  # the conversation with the agent is over

    def _forget(self, leg: Leg) -> None:
        if self.legs.get(leg.call_id) is leg:
            del self.legs[leg.call_id]
        if leg.offer_id and self.originations.get(leg.offer_id) is leg:
            del self.originations[leg.offer_id]

    # ---- Event Socket helpers -----------------------------------------------------------------
    def _esl(self) -> EslClient:
        if self.esl is None:
            raise SwitchError("the switch is not attached to an Event Socket")
        return self.esl

    def _service(self) -> AgentService:
        if self.service is None:
            raise SwitchError("the switch is not attached to an agent service")
        return self.service

    async def _ok(self, command: str, what: str) -> ApiReply:
        try:
            reply = await self._esl().api(command)
        except (EslUnavailable, codec.CommandError) as exc:
            raise SwitchError(f"could not {what}: {exc}") from None
        if not reply.ok:
            raise SwitchError(f"the switch refused to {what}: "
                              f"{reply.text.strip() or 'no reason given'}")
        return reply

    async def _kill_quietly(self, uuid: str, cause: str = "") -> bool:
        """uuid_kill; True when the switch had the channel."""
        try:
            return (await self._esl().kill(uuid, cause)).ok
        except (EslUnavailable, codec.CommandError, SwitchError):
            log.warning("could not hang a channel up", extra={"call": uuid})
            return False

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


@dataclass(eq=False)
class Leg:
    """A call the switch carries now: a caller transferred to an agent (`bridge`), or a
    callback's leg to the agent, then the customer (`callback`)."""

    uuid: str
    call_id: str
    kind: str  # bridge | callback
    offer_id: str = ""
    queued: QueuedCall | None = None  # bridge: the caller's place in the queue, to go back to
    bridged: bool = False
    answered: bool = False  # callback: the customer answered
    cancelled: bool = False
    failing: bool = False  # bridge: it failed; the caller is being put back in the queue
    hung_up: bool = False
    done: bool = False


@dataclass(eq=False)
class _Message:
    text: str
    pcm: bytes
    then: Callable[[], None] | None = None


@dataclass(eq=False)
class QueuedCall:
    """A caller waiting for a person on their own socket: hold audio, announcements, keys.

    state: queued (hold audio, keys work) -> leaving (a last message, then the leg ends:
    callback scheduled, voicemail, disconnect) | bridging (gone to an agent; back to queued
    when the bridge fails) | gone."""

    switch: EslSwitch
    bridge: CallBridge
    action: A.Handoff
    voice: str = ""
    language: str = ""
    voicemail: bool = False  # the queue ends in voicemail: the voicemail key works
    state: str = "queued"
    callback_offered: bool = False
    said: list[str] = field(default_factory=list)  # what the caller was told (tests, logs)
    hold_played: int = 0  # hold segments sent
    _messages: deque[_Message] = field(default_factory=deque)
    _playing: str = ""  # playback id in the channel ("" when nothing of ours plays)
    _playing_hold: bool = False
    _then: Callable[[], None] | None = None
    _seq: Any = field(default_factory=itertools.count)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # synthesis in order
    _epoch: int = 0  # bumped when the call leaves the queue: what was said before is dropped
    _killed: bool = False

    @property
    def uuid(self) -> str:
        return self.bridge.uuid

    def start(self) -> None:
        self.switch.spawn(self._start())

    async def _start(self) -> None:
        service = self.switch.service
        if service is not None:
            # What the router says as the caller enters (their position) comes before the
            # hold audio: its requests are in the service's switch queue already.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(service.idle(), 1.0)
            await asyncio.sleep(0)  # the announcements' tasks take their turn at the voice
        if self.voicemail and self.state == "queued":
            s = self.switch.settings
            await self._say(f"To leave a message instead of waiting, press {s.voicemail_key} "
                            "at any time.", None, self._epoch)
        self._next()

    # ---- what the router says -----------------------------------------------------------------
    def tell(self, command: CallerCommand) -> None:
        if self.state != "queued":
            return  # leaving or gone: nothing more to say
        s = self.switch.settings
        if isinstance(command, C.Announce):
            text = announcement(command)
            if text:
                self.say(text)
        elif isinstance(command, C.OfferCallback):
            self.callback_offered = True
            self.say(f"If you'd rather not wait, press {s.callback_key} and we'll call you "
                     "back. You'll keep your place in line.")
        elif isinstance(command, C.CallbackScheduled):
            self._leave()
            ending = _ending(command.number)
            if command.reason == "max_wait":
                text = ("We're sorry to keep you waiting. We'll call you back on "
                        f"{ending} as soon as someone is free. Goodbye.")
            else:
                text = f"Thank you. We'll call you back on {ending}. Goodbye."
            self.say(text, then=self._end)
        elif isinstance(command, C.ToVoicemail):
            self._leave()
            sorry = ("We're sorry, no one is free to take your call right now. "
                     if command.reason == "max_wait" else "")
            if not self._can_record():
                self.say(sorry + "We can't take a message right now either. Please call "
                         "again later. Goodbye.", then=self._end)
            else:
                self.say(sorry + "Please leave your message after the tone, and hang up "
                         "when you're done.", then=self._record)
        elif isinstance(command, C.Disconnect):
            self._leave()
            self.say("We're sorry, no one is free to take your call right now. Please call "
                     "again later. Goodbye.", then=self._end)
        elif isinstance(command, C.ConnectFailed):
            self.say("We're sorry, we couldn't connect you just then. Please stay on the "
                     "line: you keep your place.")

    def say(self, text: str, then: Callable[[], None] | None = None) -> None:
        """Synthesise `text` (in order with what was said before) and play it next."""
        self.switch.spawn(self._say(text, then, self._epoch))

    async def _say(self, text: str, then: Callable[[], None] | None, epoch: int) -> None:
        synth = self.switch.synthesizer
        channel = self.bridge.channel
        pcm = b""
        async with self._lock:
            if synth is not None and channel is not None and self.state in ("queued",
                                                                             "leaving"):
                try:
                    pcm = await synth.synthesize(text, rate=channel.rate,
                                                 language=self.language, voice=self.voice)
                except Exception as exc:  # a broken voice must not strand the caller
                    log.warning("announcement audio unavailable", extra={
                        "call": self.uuid, "error": type(exc).__name__})
            if self.state not in ("queued", "leaving") or epoch != self._epoch:
                return  # gone, or left the queue since: an old position is no goodbye
            self.said.append(text)
            self._messages.append(_Message(text, pcm, then))
            if self._playing_hold and channel is not None:
                channel.stop_playback()  # the hold audio gives way; its end plays this
            else:
                self._next()

    def _next(self) -> None:
        """Play the next message, or hold audio while the caller waits."""
        channel = self.bridge.channel
        if self._playing or channel is None or self.state not in ("queued", "leaving"):
            return
        if self._messages:
            message = self._messages.popleft()
            if not message.pcm:  # nothing to hear (no voice): go straight on
                if message.then is not None:
                    message.then()
                self._next()
                return
            self._playing, self._playing_hold = f"queue-{next(self._seq)}", False
            self._then = message.then
            channel.play_pcm(self._playing, message.pcm)
        elif self.state == "queued":
            self._playing, self._playing_hold = f"hold-{next(self._seq)}", True
            self.hold_played += 1
            channel.play_pcm(self._playing, hold_audio(channel.rate))

    # ---- what the caller does -----------------------------------------------------------------
    def on_event(self, event: E.Event) -> None:
        if isinstance(event, E.PlaybackFinished):
            if event.playback_id != self._playing:
                return
            self._playing, self._playing_hold = "", False
            then, self._then = self._then, None
            if then is not None:
                then()
            asyncio.get_running_loop().call_soon(self._next)
        elif isinstance(event, E.KeyPressed):
            self._key(event.key)
        elif isinstance(event, E.RecordResult):
            self._recorded(event)

    def _key(self, key: str) -> None:
        if self.state != "queued":
            return
        service, s = self.switch.service, self.switch.settings
        if service is None:
            return
        if key == s.callback_key and self.callback_offered:
            service.callback_accepted(self.uuid)
        elif key == s.voicemail_key and self.voicemail:
            service.voicemail_chosen(self.uuid)

    def on_gone(self, hung_up: bool) -> None:
        state, self.state = self.state, "gone"
        self._messages.clear()
        if self.switch.waiting.get(self.uuid) is self:
            del self.switch.waiting[self.uuid]
        if state == "queued":
            service = self.switch.service
            if service is not None:
                if service.router.call_state(self.uuid) == "connected":
                    # An agent accepted and the bridge has not begun: the caller never
                    # reached them (abandoned, the agent free again), as when they hang up
                    # while the agent's phone rings.
                    service.bridge_failed(self.uuid, CALLER_HUNG_UP, caller_gone=True)
                else:
                    service.hung_up(self.uuid)  # abandoned
            if not hung_up:
                self._end()  # the stream broke: the caller would hear nothing more
        elif state == "leaving" and not hung_up:
            self._end()
        # bridging: the switch watches the leg now (`EslSwitch.bridge`)

    # ---- leaving ------------------------------------------------------------------------------
    def _leave(self) -> None:
        """A last message, then the leg ends: no more hold audio, keys do nothing."""
        self.state = "leaving"
        self._epoch += 1
        if self.switch.waiting.get(self.uuid) is self:
            del self.switch.waiting[self.uuid]
        self._messages.clear()
        if self._playing_hold and self.bridge.channel is not None:
            self.bridge.channel.stop_playback()

    def leave_for_agent(self, successor: Callable[[EslEvent], None]) -> None:
        """The switch is bridging the caller to an agent: silence, and the channel's events
        go to `successor` from now on."""
        self.state = "bridging"
        self._epoch += 1
        if self.switch.waiting.get(self.uuid) is self:
            del self.switch.waiting[self.uuid]
        self._messages.clear()
        self.bridge.esl_successor = successor
        if self._playing and self.bridge.channel is not None:
            self.bridge.channel.stop_playback()

    def back_in_queue(self) -> None:
        """The bridge to the agent failed and the stream is resumed: the caller waits again
        (hold audio, keys), their channel's events ours again. What the router says next
        (an apology, their position, the next agent) comes through `tell`."""
        self.state = "queued"
        self._epoch += 1
        self.bridge.esl_successor = None
        self.switch.waiting[self.uuid] = self
        self._messages.clear()
        self._playing, self._playing_hold, self._then = "", False, None
        self._next()

    def _can_record(self) -> bool:
        channel = self.bridge.channel
        return channel is not None and hasattr(channel.speech, "record")

    def _record(self) -> None:
        channel = self.bridge.channel
        if channel is None or self.state != "leaving":
            return
        channel.record(A.Record(request_id="voicemail",
                                max_ms=self.switch.settings.voicemail_max_s * 1000, beep=True))

    def _recorded(self, event: E.RecordResult) -> None:
        if event.ok and event.uri:
            self.switch.voicemails[self.uuid] = event.uri
            log.info("voicemail left", extra={"call": self.uuid,
                                              "seconds": event.duration_ms / 1000})
            path = file_path(event.uri)
            service = self.switch.service
            if path is not None and service is not None:
                service.voicemail_left(self.uuid, path, event.duration_ms / 1000)
        if self.state == "leaving":
            self.say("Thank you. Goodbye." if event.ok else "We didn't hear a message. "
                     "Goodbye.", then=self._end)

    def _end(self) -> None:
        if self._killed:
            return
        self._killed = True
        self.switch.spawn(self.switch._kill_quietly(self.uuid))


# ---- words --------------------------------------------------------------------------------------

def announcement(c: C.Announce) -> str:
    """What a waiting caller hears for the router's `Announce`."""
    if c.what == "position":
        if c.position < 1:
            return ""
        return ("You're next in line." if c.position == 1
                else f"You are number {c.position} in line.")
    if c.wait_minutes is None:
        return "Thank you for waiting. Someone will be with you as soon as possible."
    minutes = "one minute" if c.wait_minutes == 1 else f"{c.wait_minutes} minutes"
    if c.more_than:
        return f"Your expected wait is more than {minutes}. Thank you for waiting."
    return f"Your expected wait is about {minutes}. Thank you for waiting."


def _ending(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) < 4:
        return "the number you called from"
    return f"the number ending {say_as('digits', digits[-4:])}"


def file_path(uri: str) -> Path | None:
    """The local file a `file://` URI (a recording's, from `MediaChannel`) names; None for
    anything else."""
    parts = urlsplit(uri)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    return Path(url2pathname(parts.path))


# ---- command arguments --------------------------------------------------------------------------

def _word(value: str, what: str) -> str:
    if not WORD_RE.fullmatch(value or ""):
        raise SwitchError(f"{what} {value!r} is not one word (no spaces or quotes)")
    return value


def inline_bridge(endpoint: str) -> str:
    """The inline dialplan that bridges to `endpoint`, then parks: `bridge:<endpoint>,park`
    (with `continue_on_fail`, a bridge that fails goes on to `park`, where the caller waits
    again). A comma separates inline applications, so an endpoint with commas
    (`{a=b,c=d}user/1001`, two phones at once) takes the delimiter form
    `m:^:bridge:<endpoint>^park`."""
    _word(endpoint, "the agent's endpoint")
    if "," not in endpoint:
        return f"bridge:{endpoint},park"
    if "^" in endpoint:
        raise SwitchError(f"the agent's endpoint {endpoint!r} has both ',' and '^'; "
                          "use one of them, or give the agent another endpoint")
    return f"m:^:bridge:{endpoint}^park"


def _channel_variables(variables: dict[str, str]) -> str:
    """`{a=1,b=2}` for a dial string; values are plain words (no commas, spaces, quotes)."""
    for name, value in variables.items():
        if not codec.VAR_NAME_RE.fullmatch(name) or not VALUE_RE.fullmatch(value):
            raise SwitchError(f"channel variable {name} cannot carry {value!r}")
    return "{" + ",".join(f"{k}={v}" for k, v in variables.items() if v) + "}"


# ---- hold audio ---------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def hold_audio(rate: int) -> bytes:
    """Four seconds of hold audio: a soft rising chime (C5, E5, G5, each fading over about a
    second, peaks near -20 dBFS) and then quiet. Made here, so no music file has to exist on
    the switch or be licensed; every caller hears the same, and the chime tells them the line
    is still open."""
    n = rate * HOLD_SECONDS
    out = [0.0] * n
    for start_s, hz in ((0.0, 523.25), (0.3, 659.25), (0.6, 783.99)):
        first = int(start_s * rate)
        for i in range(min(int(1.2 * rate), n - first)):
            t = i / rate
            envelope = min(1.0, t / 0.01) * math.exp(-3.5 * t)
            out[first + i] += 2400 * envelope * (math.sin(2 * math.pi * hz * t)
                                                 + 0.25 * math.sin(4 * math.pi * hz * t))
    return struct.pack(f"<{n}h", *(max(-32767, min(32767, int(v))) for v in out))



# ---- wiring (voxflow serve/call --agents) -------------------------------------------------------

def agent_service_for(bot: Any, db: Any, *, settings: LinkSettings | None = None,
                      config: Any = None) -> AgentService:
    """An `AgentService` routing `bot`'s queues, its records in the SQLite file `db`, with an
    (unattached) `EslSwitch`: pass it to `VoiceService(..., agents=...)`."""
    from agents.queues import specs_from_program
    from agents.router import Router
    from agents.service import AgentService
    from agents.store import Store

    path = Path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    return AgentService(Router(specs_from_program(bot.program)), Store(path),
                        EslSwitch(settings), config=config)


async def start_agents_web(service: AgentService, host: str, port: int,
                           dist: Any = None, *, secure_cookies: bool = False
                           ) -> tuple[Any, str]:
    """The agent desktop and supervisor view (agents/web.py) on HOST:PORT, in this process and
    loop; returns (runner, base URL). `await runner.cleanup()` stops it and closes the service.
    `secure_cookies` marks the session cookie Secure: for a desktop served through an HTTPS
    proxy (browsers then send it over HTTPS only)."""
    from aiohttp import web

    from agents.web import DEFAULT_DIST, make_app

    runner = web.AppRunner(make_app(service, dist or DEFAULT_DIST,
                                    secure_cookies=secure_cookies),
                           access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()  # type: ignore[union-attr]
    return runner, f"http://{bound[0]}:{bound[1]}"
