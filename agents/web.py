"""The web app of the agent desktop and the supervisor view (aiohttp), over `AgentService`.

Pages are the front-end's build (`studio/dist`: desktop.html, supervisor.html and their
assets). The API is JSON: a sign-in sets an HttpOnly, SameSite=Strict session cookie (or send
`Authorization: Bearer TOKEN`); each signed-in screen opens one WebSocket (`/api/ws`) and
receives pushes (offers with their screen pop, state changes, wrap-up; supervisors get
snapshots); actions are REST calls. Every error is `{"error": "text for the person"}`.
Voicemails are listed per viewer and their recordings served by id (the file the store has,
never a path from the request). `secure_cookies` marks the session cookie Secure, for a
desktop behind an HTTPS proxy.

Cross-site requests are refused: state-changing calls must be JSON (a form cannot send it)
and a request with an `Origin` header (every WebSocket) must come from this host.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from agents.service import AgentService, ServiceError
from agents.users import SESSION_TTL_S, SignInError, User

log = logging.getLogger("voxflow.agents.web")

COOKIE = "voxflow_session"
DEFAULT_DIST = Path(__file__).resolve().parent.parent / "studio" / "dist"
PAGES = ("desktop.html", "supervisor.html")  # and favicon.svg, from studio/public
SERVICE: web.AppKey[AgentService] = web.AppKey("service", AgentService)
DIST: web.AppKey[Path] = web.AppKey("dist", Path)
SECURE: web.AppKey[bool] = web.AppKey("secure", bool)
SOCKETS: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("sockets", set)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_app(service: AgentService, dist: Path = DEFAULT_DIST, *,
             secure_cookies: bool = False) -> web.Application:
    """`secure_cookies`: mark the session cookie Secure (serve behind HTTPS in production)."""
    app = web.Application(middlewares=[_headers, _errors], client_max_size=64 * 1024)
    app[SERVICE], app[DIST], app[SECURE] = service, dist, secure_cookies
    app[SOCKETS] = set()
    r = app.router
    r.add_get("/", _home)
    for page in PAGES:
        r.add_get(f"/{page}", _page)
    r.add_get("/assets/{path:.+}", _asset)
    r.add_get("/favicon.svg", _page)
    r.add_post("/api/sign-in", _sign_in)
    r.add_post("/api/sign-out", _sign_out)
    r.add_get("/api/me", _me)
    r.add_get("/api/ws", _socket)
    r.add_post("/api/agent/state", _agent_state)
    r.add_post("/api/offers/{offer_id}/accept", _accept)
    r.add_post("/api/offers/{offer_id}/decline", _decline)
    r.add_post("/api/call/end", _end_call)
    r.add_post("/api/wrap-up", _wrap_up)
    r.add_get("/api/calls/{call_id}", _call)
    r.add_get("/api/voicemails", _voicemails)
    r.add_get(r"/api/voicemails/{voicemail_id:\d{1,12}}/audio", _voicemail_audio)
    r.add_post(r"/api/voicemails/{voicemail_id:\d{1,12}}/handled", _voicemail_handled)
    r.add_get("/api/supervisor/snapshot", _snapshot)
    r.add_post("/api/supervisor/agents/{agent_id}/state", _supervisor_state)
    app.on_startup.append(_startup)
    app.on_shutdown.append(_shutdown)
    return app


async def _startup(app: web.Application) -> None:
    await app[SERVICE].start()


async def _shutdown(app: web.Application) -> None:
    for ws in list(app[SOCKETS]):
        await ws.close(code=1001, message=b"server shutting down")
    await app[SERVICE].close()


# --- middlewares ---------------------------------------------------------------------------

def _fail(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ServiceError as exc:
        return _fail(exc.status, exc.message)
    except web.HTTPException as exc:
        if request.path.startswith("/api/") and exc.status >= 400:
            return _fail(exc.status, exc.reason)
        raise


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        if not _same_origin(request):
            return _fail(403, "Cross-site requests are not allowed.")
        if request.content_type != "application/json":
            return _fail(415, "Send JSON (Content-Type: application/json).")
    response = await handler(request)
    host = request.host
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; connect-src 'self' ws://{host} wss://{host}; "
        "img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser's cross-site request (curl, the bench, tests)
    return origin in (f"http://{request.host}", f"https://{request.host}")


# --- pages ---------------------------------------------------------------------------------

async def _home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/desktop.html")


def _not_built(dist: Path) -> web.Response:
    return web.Response(status=503, content_type="text/plain", text=(
        f"The agent desktop is not built ({dist} is missing). Build it with `make studio` "
        "(cd studio && npm ci && npm run build)."))


async def _page(request: web.Request) -> web.StreamResponse:
    dist = request.app[DIST]
    path = dist / request.path.lstrip("/")
    if not path.is_file():
        return _not_built(dist)
    return web.FileResponse(path, headers={"Cache-Control": "no-cache"})


async def _asset(request: web.Request) -> web.StreamResponse:
    root = (request.app[DIST] / "assets").resolve()
    path = (root / request.match_info["path"]).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise web.HTTPNotFound()
    # Vite names assets by content hash: they never change under one name.
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, "
                                                            "immutable"})


# --- signing in ----------------------------------------------------------------------------

def _token(request: web.Request) -> str:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:].strip()
    return request.cookies.get(COOKIE, "")


def _user(request: web.Request, *, desk: bool = False, supervisor: bool = False) -> User:
    service = request.app[SERVICE]
    user = service.users.session_user(_token(request), service.clock.now())
    if user is None:
        raise ServiceError(401, "You are signed out. Sign in again.")
    if desk and not user.takes_calls:
        raise ServiceError(403, "Only agents can do this.")
    if supervisor and user.role != "supervisor":
        raise ServiceError(403, "Only supervisors can do this.")
    return user


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ServiceError(400, "The request is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ServiceError(400, "Send a JSON object.")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise ServiceError(400, f"`{name}` must be text.")
    return value


async def _sign_in(request: web.Request) -> web.StreamResponse:
    service = request.app[SERVICE]
    body = await _body(request)
    name, password = _text(body, "user"), _text(body, "password")
    try:
        user = service.users.check(name, password, service.clock.now())
    except SignInError as exc:
        log.info("sign-in refused for %r (%d)", name.strip().lower()[:64], exc.status)
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
        return _fail(exc.status, exc.message, **headers)
    token = service.users.start_session(user, service.clock.now())
    log.info("signed in: %s (%s)", user.id, user.role)
    response = web.json_response({"user": user.public()})
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/",
                        secure=request.app[SECURE], max_age=int(SESSION_TTL_S))
    return response


async def _sign_out(request: web.Request) -> web.StreamResponse:
    service = request.app[SERVICE]
    token = _token(request)
    user = service.users.session_user(token, service.clock.now())
    if user is not None:
        service.sign_out(user)
        service.users.end_session(token)
        log.info("signed out: %s", user.id)
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


async def _me(request: web.Request) -> web.StreamResponse:
    """Who is signed in: `{"user": null}` when nobody is (a page asks this on load)."""
    service = request.app[SERVICE]
    user = service.users.session_user(_token(request), service.clock.now())
    return web.json_response({"user": user.public() if user else None})


# --- the socket ----------------------------------------------------------------------------

async def _socket(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):
        return _fail(403, "Cross-site requests are not allowed.")
    service = request.app[SERVICE]
    user = _user(request)
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=4096)
    await ws.prepare(request)
    request.app[SOCKETS].add(ws)
    conn = service.connect(user)

    async def write() -> None:
        while (message := await conn.queue.get()) is not None:
            await ws.send_str(json.dumps(message, default=str))
        await ws.close(code=4001, message=b"signed out")

    writer = asyncio.create_task(write())
    try:
        async for msg in ws:  # the screens only listen; a "ping" text keeps proxies awake
            if msg.type == WSMsgType.TEXT and msg.data == "ping":
                await ws.send_str('{"type":"pong"}')
    finally:
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
        request.app[SOCKETS].discard(ws)
        service.disconnect(conn)
    return ws


# --- agents --------------------------------------------------------------------------------

async def _agent_state(request: web.Request) -> web.StreamResponse:
    user = _user(request, desk=True)
    body = await _body(request)
    request.app[SERVICE].set_state(user, _text(body, "state"), _text(body, "reason"))
    return web.json_response({"ok": True})


async def _accept(request: web.Request) -> web.StreamResponse:
    user = _user(request, desk=True)
    request.app[SERVICE].accept(user, request.match_info["offer_id"])
    return web.json_response({"ok": True})


async def _decline(request: web.Request) -> web.StreamResponse:
    user = _user(request, desk=True)
    request.app[SERVICE].decline(user, request.match_info["offer_id"])
    return web.json_response({"ok": True})


async def _end_call(request: web.Request) -> web.StreamResponse:
    user = _user(request, desk=True)
    await request.app[SERVICE].end_call(user)
    return web.json_response({"ok": True})


async def _wrap_up(request: web.Request) -> web.StreamResponse:
    user = _user(request, desk=True)
    body = await _body(request)
    request.app[SERVICE].wrap_up(user, _text(body, "disposition"), _text(body, "notes"))
    return web.json_response({"ok": True})


async def _call(request: web.Request) -> web.StreamResponse:
    """A call's screen pop: for a supervisor, or the agent it is offered or connected to."""
    service = request.app[SERVICE]
    user = _user(request)
    call_id = request.match_info["call_id"]
    if user.role != "supervisor":
        desk = service.desks.get(user.id)
        current = desk and (desk.offer or desk.call)
        if not current or current["call_id"] != call_id:
            raise ServiceError(403, "This call is not yours.")
    screen = service.screen_for(user, call_id)
    if screen is None:
        raise ServiceError(404, "No such call.")
    return web.json_response(screen)


# --- voicemails ----------------------------------------------------------------------------

async def _voicemails(request: web.Request) -> web.StreamResponse:
    """The voicemails the signed-in user may see: a supervisor's all, an agent's queues'."""
    user = _user(request)
    return web.json_response({"voicemails": request.app[SERVICE].voicemails_for(user)})


async def _voicemail_audio(request: web.Request) -> web.StreamResponse:
    """A voicemail's recording, by its id: the file the store has for it, nothing else."""
    user = _user(request)
    path = request.app[SERVICE].voicemail_file(user, int(request.match_info["voicemail_id"]))
    return web.FileResponse(path, headers={
        "Content-Type": "audio/wav", "Cache-Control": "no-store",
        "Content-Disposition": f'inline; filename="voicemail-'
                               f'{request.match_info["voicemail_id"]}.wav"'})


async def _voicemail_handled(request: web.Request) -> web.StreamResponse:
    user = _user(request)
    handled = (await _body(request)).get("handled", True)
    if not isinstance(handled, bool):
        raise ServiceError(400, "`handled` must be true or false.")
    voicemail = request.app[SERVICE].mark_voicemail(
        user, int(request.match_info["voicemail_id"]), handled)
    return web.json_response({"voicemail": voicemail})


# --- supervisors ---------------------------------------------------------------------------

async def _snapshot(request: web.Request) -> web.StreamResponse:
    _user(request, supervisor=True)
    return web.json_response(request.app[SERVICE].snapshot())


async def _supervisor_state(request: web.Request) -> web.StreamResponse:
    supervisor = _user(request, supervisor=True)
    service = request.app[SERVICE]
    agent = service.users.get(request.match_info["agent_id"])
    if agent is None or not agent.takes_calls:
        raise ServiceError(404, "No such agent.")
    body = await _body(request)
    service.set_state(agent, _text(body, "state"), _text(body, "reason"), by=supervisor)
    return web.json_response({"ok": True})
