"""The Event Socket client against the stand-in switch: auth, the subscription and its CUSTOM
rule, the switch's exact reply texts, routing by Unique-ID, and reconnection."""

from __future__ import annotations

import asyncio

import pytest

from media_bridge import esl_codec as C
from media_bridge.esl import Backoff, EslAuthError, EslClient, EslRejected, EslUnavailable
from media_bridge.standin import StandInSwitch
from tests.media_bridge.rig import CaptureServer, run, until


async def raw_session(port: int, *commands: str) -> tuple[asyncio.StreamReader,
                                                          asyncio.StreamWriter, C.EslParser,
                                                          list[C.EslMessage]]:
    """A bare socket speaking the protocol, to see exactly what the switch sends."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    parser = C.EslParser()
    seen: list[C.EslMessage] = []
    for command in commands:
        writer.write(C.encode_command(command))
    want = 1 + len(commands)
    while len(seen) < want:
        seen += parser.feed(await reader.read(4096))
    return reader, writer, parser, seen


async def read_events(reader: asyncio.StreamReader, parser: C.EslParser,
                      wait: float = 0.2) -> list[C.EslEvent]:
    events: list[C.EslEvent] = []
    while True:
        try:
            data = await asyncio.wait_for(reader.read(65536), wait)
        except TimeoutError:
            return events
        if not data:
            return events
        events += [C.parse_event_plain(m.body) for m in parser.feed(data)
                   if m.content_type == "text/event-plain"]


def test_the_handshake_on_the_wire() -> None:
    async def main() -> None:
        switch = StandInSwitch()
        port = await switch.start()
        try:
            _, writer, _, seen = await raw_session(
                port, "auth ClueCon", "event plain DTMF CUSTOM mod_audio_stream::play",
                "filter Unique-ID abc", "api uuid_kill nobody", "bgapi uuid_kill nobody",
                "nonsense", "exit")
            assert seen[0].content_type == "auth/request"
            assert [m.reply_text for m in seen[1:4]] == [
                "+OK accepted", "+OK event listener enabled plain",
                "+OK filter added. [Unique-ID]=[abc]"]
            assert seen[4].content_type == "api/response"
            assert seen[4].body == b"-ERR No such channel!\n"
            assert seen[5].reply_text.startswith("+OK Job-UUID: ")
            assert seen[5].headers["Job-UUID"] == seen[5].reply_text.split(": ")[1]
            assert seen[6].reply_text == "-ERR command not found"
            assert seen[7].reply_text == "+OK bye"
            writer.close()
        finally:
            await switch.close()

    run(main())


def test_a_wrong_password_is_refused_and_disconnected() -> None:
    async def main() -> None:
        switch = StandInSwitch()
        port = await switch.start()
        try:
            reader, _, parser, seen = await raw_session(port, "auth wrong")
            assert seen[1].reply_text == "-ERR invalid"
            rest = parser.feed(await reader.read(4096)) if len(seen) < 3 else seen[2:]
            assert rest[0].content_type == "text/disconnect-notice"
            assert await reader.read(10) == b""
            client = EslClient("127.0.0.1", port, "wrong", backoff=Backoff(first_s=0.01))
            with pytest.raises(EslAuthError):
                await client.start()
            await client.close()
        finally:
            await switch.close()

    run(main())


def test_every_word_after_custom_is_a_subclass() -> None:
    """Observed on a real switch: `event plain CUSTOM x DTMF` receives no DTMF."""
    async def main() -> None:
        switch = StandInSwitch()
        port = await switch.start()
        try:
            wrong_r, wrong_w, wrong_p, _ = await raw_session(
                port, "auth ClueCon", "event plain CUSTOM mod_audio_stream::connect DTMF")
            right_r, right_w, right_p, _ = await raw_session(
                port, "auth ClueCon", "event plain DTMF CUSTOM mod_audio_stream::connect")
            call = switch.new_call()
            call.press("7")
            switch.fire_stream_event(call, "connect", '{"status":"connected"}')
            wrong = await read_events(wrong_r, wrong_p)
            right = await read_events(right_r, right_p)
            assert [e.name for e in wrong] == ["CUSTOM"]
            assert [e.name for e in right] == ["DTMF", "CUSTOM"]
            dtmf = right[0]
            assert (dtmf.get("DTMF-Digit"), dtmf.get("DTMF-Duration"),
                    dtmf.get("DTMF-Source"), dtmf.unique_id) == ("7", "2080", "RTP", call.uuid)
            assert right[1].subclass == "mod_audio_stream::connect"
            wrong_w.close()
            right_w.close()
        finally:
            await switch.close()

    run(main())


def test_api_replies_are_the_switchs_texts() -> None:
    async def main() -> None:
        switch = StandInSwitch(broadcast_delay_s=0.01)
        port = await switch.start()
        client = EslClient("127.0.0.1", port, "ClueCon")
        await client.start()
        capture = await CaptureServer().__aenter__()
        try:
            call = switch.new_call()
            u = call.uuid
            start = await client.audio_stream_start(u, capture.url, 8000, "{}")
            assert start.text == "+OK Success" and start.ok
            again = await client.audio_stream_start(u, capture.url, 8000)
            assert again.text == "-ERR Operation Failed" and not again.ok  # bug attached
            assert (await client.broadcast(u, "/tmp/x.wav")).text == "+OK Message sent"
            assert (await client.break_all(u)).text == "+OK"
            assert (await client.setvar(u, "voxflow_queue", "billing")).text == "+OK"
            assert (await client.setvar_multi(u, {"a": "1", "b": "two words"})).text == "+OK"
            assert call.variables["voxflow_queue"] == "billing"
            assert call.variables["b"] == "two words"
            assert (await client.transfer(u, "to_queue", "default")).text == "+OK"
            assert call.transferred_to == ("to_queue", "XML", "default")
            assert (await client.api("no_such_api x")).text == (
                "-ERR no_such_api Command not found!")
            assert (await client.kill(u)).text == "+OK"
            await until(lambda: call.hung_up, what="the hang-up")
            assert (await client.kill(u)).text == "-ERR No such channel!"
        finally:
            await client.close()
            await switch.close()
            await capture.__aexit__()

    run(main())


def test_events_are_routed_by_unique_id_in_wire_order() -> None:
    async def main() -> None:
        switch = StandInSwitch()
        port = await switch.start()
        # Also subscribed to another module's events: they must still be dropped.
        client = EslClient("127.0.0.1", port, "ClueCon",
                           subclasses=["mod_audio_stream::json", "mod_audio_fork::json"])
        await client.start()
        try:
            mine, other = switch.new_call(), switch.new_call()
            seen: list[C.EslEvent] = []
            client.watch(mine.uuid, seen.append)
            for digit in "123":
                other.press("9")
                mine.press(digit)
            switch.fire("CUSTOM", mine, [], "{}", subclass="mod_audio_fork::json")
            switch.fire_stream_event(mine, "json", '{"hello":1}')
            await mine.hang_up()
            await until(lambda: len(seen) == 5, what="five events")
            assert [(e.name, e.get("DTMF-Digit")) for e in seen] == [
                ("DTMF", "1"), ("DTMF", "2"), ("DTMF", "3"), ("CUSTOM", ""),
                ("CHANNEL_HANGUP_COMPLETE", "")]
            assert seen[3].body == '{"hello":1}'
            client.unwatch(mine.uuid)
        finally:
            await client.close()
            await switch.close()

    run(main())


def test_it_reconnects_with_backoff_when_the_switch_restarts() -> None:
    async def main() -> None:
        switch = StandInSwitch()
        port = await switch.start()
        client = EslClient("127.0.0.1", port, "ClueCon", backoff=Backoff(first_s=0.02,
                                                                          max_s=0.1))
        await client.start()
        try:
            call = switch.new_call()
            seen: list[str] = []
            client.watch(call.uuid, lambda e: seen.append(e.get("DTMF-Digit")))
            await switch.stop_esl()
            await until(lambda: not client.connected.is_set(), what="the loss")
            with pytest.raises(EslUnavailable):
                await client.setvar(call.uuid, "x", "1")
            await asyncio.sleep(0.15)  # a few failed attempts while the switch is down
            await switch.start()
            await asyncio.wait_for(client.connected.wait(), 2)
            assert client.connections == 2
            assert (await client.setvar(call.uuid, "x", "1")).ok
            call.press("5")  # the subscription was renewed too
            await until(lambda: seen == ["5"], what="DTMF after the reconnection")
        finally:
            await client.close()
            await switch.close()

    run(main())


def test_no_switch_at_all() -> None:
    async def main() -> None:
        switch = StandInSwitch()
        port = await switch.start()
        await switch.stop_esl()
        client = EslClient("127.0.0.1", port, "ClueCon", backoff=Backoff(first_s=0.01))
        with pytest.raises(EslUnavailable):
            await client.start(wait_s=0.1)
        await client.close()
        await switch.close()

    run(main())


def test_an_address_the_acl_refuses_is_told_so_before_auth() -> None:
    async def main() -> None:
        switch = StandInSwitch(acl=["192.0.2.1"])
        port = await switch.start()
        try:
            reader, _ = await asyncio.open_connection("127.0.0.1", port)
            wire = await reader.read()  # the switch closes the connection after it
            assert wire == (b"Content-Type: text/rude-rejection\nContent-Length: 24\n\n"
                            b"Access Denied, go away.\n"
                            b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n"
                            b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n")
            client = EslClient("127.0.0.1", port, "ClueCon", backoff=Backoff(first_s=0.01))
            with pytest.raises(EslRejected, match=f"^the Event Socket at 127.0.0.1:{port} "
                                                  "refused this host$"):
                await client.start()  # at once, not after the 5 s wait
            await client.close()
        finally:
            await switch.close()

    run(main())


def test_a_running_client_refused_by_a_new_acl_keeps_trying(
        caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        switch = StandInSwitch()
        port = await switch.start()
        client = EslClient("127.0.0.1", port, "ClueCon", backoff=Backoff(first_s=0.02,
                                                                          max_s=0.05))
        await client.start()
        try:
            switch.acl = frozenset({"192.0.2.1"})  # the operator edits the ACL and restarts
            await switch.stop_esl()
            await switch.start()
            await until(lambda: "refused this host" in caplog.text, what="the refusal")
            await asyncio.sleep(0.2)  # several refusals
            switch.acl = None  # fixed, `reloadacl`
            await asyncio.wait_for(client.connected.wait(), 2)
            assert client.connections == 2
            refusals = [r for r in caplog.records if "refused this host" in r.getMessage()]
            assert len(refusals) == 1  # said once, not at every attempt
        finally:
            await client.close()
            await switch.close()

    run(main())
