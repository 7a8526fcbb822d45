import { useCallback, useEffect, useReducer, useState, type FormEvent } from "react";
import {
  api,
  ApiError,
  signOut,
  type AgentState,
  type CallInfo,
  type DesktopMessage,
  type Hello,
  type OfferInfo,
  type ScreenPop,
  type User,
} from "../shared/api";
import { useNow } from "../shared/clock";
import { duration, OFFER_ENDED, STATE_LABELS, words } from "../shared/format";
import { Header } from "../shared/Header";
import { Notices, useNotices } from "../shared/Notices";
import { useSocket } from "../shared/socket";
import { Voicemails } from "../shared/Voicemails";
import { ScreenPopView } from "./ScreenPop";

interface Desk {
  ready: boolean;
  state: AgentState;
  reason: string;
  since: number;
  offer: OfferInfo | null;
  call: CallInfo | null;
  screen: ScreenPop | null;
  wrapUntil: number | null;
  dispositions: Hello["dispositions"];
  reasons: string[];
}

const EMPTY: Desk = {
  ready: false,
  state: "logged_out",
  reason: "",
  since: 0,
  offer: null,
  call: null,
  screen: null,
  wrapUntil: null,
  dispositions: [],
  reasons: [],
};

function reduce(desk: Desk, m: DesktopMessage): Desk {
  switch (m.type) {
    case "hello":
      return {
        ready: true,
        state: m.state,
        reason: m.reason,
        since: m.since,
        offer: m.offer,
        call: m.call,
        screen: m.screen,
        wrapUntil: m.wrap_until,
        dispositions: m.dispositions,
        reasons: m.not_ready_reasons,
      };
    case "state":
      return { ...desk, state: m.state, reason: m.reason, since: m.since };
    case "offer":
      return { ...desk, offer: m.offer, screen: m.screen };
    case "offer_ended":
      if (desk.offer?.offer_id !== m.offer_id) return desk;
      return { ...desk, offer: null, screen: desk.call ? desk.screen : null };
    case "connected":
      return { ...desk, offer: null, call: m.call };
    case "call_failed":
      // The agent's phone never took the call: the caller went back to the queue.
      if (desk.call?.call_id !== m.call_id) return desk;
      return { ...desk, call: null, screen: null };
    case "wrap_up":
      return { ...desk, wrapUntil: m.until };
    case "wrap_up_ended":
      return { ...desk, call: null, screen: null, wrapUntil: null };
    default:
      return desk;
  }
}

export function Desktop({ user, onSignedOut }: { user: User; onSignedOut: () => void }) {
  const [desk, dispatch] = useReducer(reduce, EMPTY);
  const { notices, add, dismiss } = useNotices();
  const [voicemails, setVoicemails] = useState(0);

  const onMessage = useCallback(
    (m: DesktopMessage) => {
      dispatch(m);
      if (m.type === "offer_ended") add("info", OFFER_ENDED[m.reason] ?? `The offer ended (${words(m.reason)}).`);
      if (m.type === "notice") add(m.level, m.text);
      if (m.type === "call_failed") add("error", m.text);
      if (m.type === "voicemails" || m.type === "hello") setVoicemails((n) => n + 1);
      if (m.type === "wrap_up_ended" && m.timed_out) add("info", "Wrap-up time ran out; the call was closed without a disposition.");
    },
    [add],
  );
  const link = useSocket<DesktopMessage>(onMessage, onSignedOut);

  const act = useCallback(
    async (path: string, body: unknown = {}) => {
      try {
        await api(path, body);
        return true;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) onSignedOut();
        add("error", err instanceof Error ? err.message : String(err));
        return false;
      }
    },
    [add, onSignedOut],
  );

  const leave = async () => {
    await signOut().catch(() => undefined);
    onSignedOut();
  };
  const voicemailError = useCallback((text: string) => add("error", text), [add]);

  return (
    <>
      <Header title="Agent desktop" user={user} link={link} onSignOut={leave} />
      <Notices notices={notices} dismiss={dismiss} />
      <main className="desk">
        {!desk.ready ? (
          <p className="muted">Connecting to the server…</p>
        ) : (
          <>
            <StatusBar desk={desk} act={act} />
            {desk.offer && <OfferBanner offer={desk.offer} screen={desk.screen} act={act} />}
            {desk.call && desk.state === "on_call" && <CallBar call={desk.call} screen={desk.screen} act={act} />}
            {desk.state === "wrap_up" && <WrapUp desk={desk} act={act} />}
            {desk.screen ? <LivePop screen={desk.screen} call={desk.call} /> : <Idle desk={desk} />}
            <Voicemails version={voicemails} onError={voicemailError} onSignedOut={onSignedOut} />
          </>
        )}
      </main>
    </>
  );
}

type Act = (path: string, body?: unknown) => Promise<boolean>;

function StatusBar({ desk, act }: { desk: Desk; act: Act }) {
  const now = useNow();
  const [reason, setReason] = useState("");
  const busy = desk.state === "on_call" || desk.state === "wrap_up";
  const chosen = reason || desk.reasons[0] || "Not ready";

  if (desk.state === "logged_out") {
    return (
      <section className="status-bar card" aria-label="Your state">
        <p>
          You are <strong className="state state-logged_out">Logged out</strong>.
        </p>
        <button type="button" className="primary" onClick={() => act("/api/agent/state", { state: "logged_in" })}>
          Log in
        </button>
      </section>
    );
  }
  const notReady = (event: FormEvent) => {
    event.preventDefault();
    act("/api/agent/state", { state: "not_ready", reason: chosen });
  };
  return (
    <section className="status-bar card" aria-label="Your state">
      <p className="status-now">
        <span className={`state state-${desk.state}`} data-testid="agent-state">
          {STATE_LABELS[desk.state]}
        </span>
        {desk.state === "not_ready" && desk.reason && <span className="reason">{words(desk.reason)}</span>}
        <span className="muted"> for {duration(now - desk.since)}</span>
      </p>
      <div className="status-actions">
        <button
          type="button"
          className="primary"
          disabled={desk.state === "available" || desk.state === "offered"}
          onClick={() => act("/api/agent/state", { state: "available" })}
        >
          {busy ? "Available after this call" : "Go available"}
        </button>
        <form className="inline" onSubmit={notReady}>
          <label htmlFor="not-ready-reason">Not ready reason</label>
          <select id="not-ready-reason" value={chosen} onChange={(e) => setReason(e.target.value)}>
            {desk.reasons.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <button type="submit">{busy ? "Not ready after this call" : "Go not ready"}</button>
        </form>
      </div>
    </section>
  );
}

function OfferBanner({ offer, screen, act }: { offer: OfferInfo; screen: ScreenPop | null; act: Act }) {
  const now = useNow(250);
  const left = offer.expires_at - now;
  const who = screen?.caller.name || screen?.caller.number || "A caller";
  return (
    <section className="offer card" role="alertdialog" aria-labelledby="offer-title" aria-describedby="offer-text">
      <div>
        <h2 id="offer-title">{offer.kind === "callback" ? "Callback reserved for you" : "Incoming call"}</h2>
        <p id="offer-text">
          {who} · {words(offer.queue)}
          {screen?.reason && ` · ${screen.reason}`}
          {screen?.caller.vip && " · VIP"}
        </p>
        <p className="muted" aria-live="off">
          {offer.kind === "callback" ? "Calling the customer…" : `Answer within ${duration(left)}`}
        </p>
      </div>
      {offer.kind === "call" && (
        <div className="offer-actions">
          <button type="button" className="primary big" autoFocus onClick={() => act(`/api/offers/${offer.offer_id}/accept`)}>
            Accept
          </button>
          <button type="button" className="big" onClick={() => act(`/api/offers/${offer.offer_id}/decline`)}>
            Decline
          </button>
        </div>
      )}
    </section>
  );
}

function CallBar({ call, screen, act }: { call: CallInfo; screen: ScreenPop | null; act: Act }) {
  const now = useNow();
  return (
    <section className="call-bar card" aria-label="Current call">
      <p>
        On call with <strong>{screen?.caller.name || screen?.caller.number || "the caller"}</strong> ·{" "}
        {words(call.queue)} · <span data-testid="talk-time">{duration(now - call.since)}</span>
      </p>
      <button type="button" className="danger" onClick={() => act("/api/call/end")}>
        End call
      </button>
    </section>
  );
}

function WrapUp({ desk, act }: { desk: Desk; act: Act }) {
  const now = useNow();
  const [disposition, setDisposition] = useState("");
  const [notes, setNotes] = useState("");
  const [error, setError] = useState("");
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!disposition) {
      setError("Choose a disposition.");
      return;
    }
    setError("");
    if (await act("/api/wrap-up", { disposition, notes })) {
      setDisposition("");
      setNotes("");
    }
  };
  return (
    <form className="wrap-up card" onSubmit={submit} aria-labelledby="wrap-title">
      <h2 id="wrap-title">Wrap-up</h2>
      {desk.wrapUntil && (
        <p className="muted">The call closes on its own in {duration(desk.wrapUntil - now)}.</p>
      )}
      <fieldset>
        <legend>Disposition</legend>
        <div className="choices">
          {desk.dispositions.map((d) => (
            <label key={d.code} className="choice">
              <input
                type="radio"
                name="disposition"
                value={d.code}
                checked={disposition === d.code}
                onChange={() => setDisposition(d.code)}
              />
              {d.label}
            </label>
          ))}
        </div>
      </fieldset>
      <label htmlFor="wrap-notes">Notes for the next agent</label>
      <textarea id="wrap-notes" rows={3} maxLength={2000} value={notes} onChange={(e) => setNotes(e.target.value)} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary">
        Finish wrap-up
      </button>
    </form>
  );
}

function LivePop({ screen, call }: { screen: ScreenPop; call: CallInfo | null }) {
  const now = useNow();
  const waited = (call ? call.since : now) - screen.queued_at;
  return <ScreenPopView screen={screen} waited={waited} />;
}

function Idle({ desk }: { desk: Desk }) {
  const text =
    desk.state === "available"
      ? "Waiting for the next call. Its details appear here when it is offered to you."
      : desk.state === "not_ready"
        ? "You are not ready, so no calls are offered to you. Go available when you are ready."
        : "";
  return text ? (
    <section className="idle" aria-live="polite">
      <p>{text}</p>
    </section>
  ) : null;
}

export function DesktopApp({ user, onSignedOut }: { user: User; onSignedOut: () => void }) {
  useEffect(() => {
    document.title = `${user.name} · Agent desktop · voxflow`;
  }, [user]);
  if (user.role === "supervisor") {
    return (
      <main className="sign-in">
        <div className="card sign-in-card">
          <h1>This page is for agents</h1>
          <p>
            You are signed in as a supervisor. Open the <a href="/supervisor.html">supervisor view</a>.
          </p>
        </div>
      </main>
    );
  }
  return <Desktop user={user} onSignedOut={onSignedOut} />;
}
