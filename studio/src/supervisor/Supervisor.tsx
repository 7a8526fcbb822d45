import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, ApiError, signOut, type AgentRow, type AgentState, type Snapshot, type User } from "../shared/api";
import { useNow } from "../shared/clock";
import { duration, percent, STATE_LABELS, words } from "../shared/format";
import { Header } from "../shared/Header";
import { Notices, useNotices } from "../shared/Notices";
import { useSocket } from "../shared/socket";
import { Voicemails } from "../shared/Voicemails";

const STATE_ORDER: AgentState[] = ["available", "offered", "on_call", "wrap_up", "not_ready", "logged_out"];

export function Supervisor({ user, onSignedOut }: { user: User; onSignedOut: () => void }) {
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const [voicemails, setVoicemails] = useState(0);
  const { notices, add, dismiss } = useNotices();
  const onMessage = useCallback((m: Snapshot | { type: string }) => {
    if (m.type === "snapshot") setSnap(m as Snapshot);
    if (m.type === "voicemails") setVoicemails((n) => n + 1);
  }, []);
  const voicemailError = useCallback((text: string) => add("error", text), [add]);
  const link = useSocket(onMessage, onSignedOut);
  useEffect(() => {
    if (link === "open") setVoicemails((n) => n + 1); // pushes may have been missed meanwhile
  }, [link]);

  const leave = async () => {
    await signOut().catch(() => undefined);
    onSignedOut();
  };
  const setState = async (agent: AgentRow, state: string, reason: string) => {
    try {
      await api(`/api/supervisor/agents/${encodeURIComponent(agent.id)}/state`, { state, reason });
      add("info", `${agent.name}: ${state === "not_ready" ? `not ready (${reason})` : words(state)} requested.`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) onSignedOut();
      add("error", err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <>
      <Header title="Supervisor" user={user} link={link} onSignOut={leave} />
      <Notices notices={notices} dismiss={dismiss} />
      <main className="supervisor">
        {!snap ? <p className="muted">Loading the floor…</p> : <Floor snap={snap} setState={setState} />}
        <Voicemails version={voicemails} onError={voicemailError} onSignedOut={onSignedOut} />
      </main>
    </>
  );
}

function Floor({ snap, setState }: { snap: Snapshot; setState: (a: AgentRow, s: string, r: string) => void }) {
  const now = useNow();
  const t = snap.today;
  const waiting = snap.queues.reduce((n, q) => n + q.waiting, 0);
  const longest = Math.max(0, ...snap.queues.map((q) => (q.waiting ? q.longest_wait_s + (now - snap.now) : 0)));
  return (
    <>
      <section aria-labelledby="today-title">
        <h2 id="today-title">
          Today <span className="muted">({snap.day.timezone})</span>
        </h2>
        <dl className="tiles">
          <Tile label="Waiting now" value={String(waiting)} id="tile-waiting" />
          <Tile label="Longest wait" value={duration(longest)} id="tile-longest" />
          <Tile label={`Service level (${snap.threshold_s} s)`} value={percent(t.service_level)} id="tile-sl" />
          <Tile label="Answered" value={String(t.answered)} id="tile-answered" />
          <Tile label="Abandoned" value={`${t.abandoned} (${percent(t.abandonment_rate)})`} id="tile-abandoned" />
          <Tile label="Avg. speed of answer" value={duration(t.asa_s)} id="tile-asa" />
          <Tile label="Avg. handle time" value={duration(t.aht_s)} id="tile-aht" />
          <Tile label="Callbacks kept" value={percent(t.callbacks_kept_rate)} id="tile-callbacks" />
        </dl>
      </section>

      <section aria-labelledby="queues-title" className="card">
        <h2 id="queues-title">Queues</h2>
        <table className="grid" aria-labelledby="queues-title">
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col" className="num">Waiting</th>
              <th scope="col" className="num">Longest wait</th>
              <th scope="col" className="num">Callbacks</th>
              <th scope="col" className="num">Staffed</th>
              <th scope="col" className="num">Available</th>
              <th scope="col" className="num">Service level</th>
              <th scope="col" className="num">Answered</th>
              <th scope="col" className="num">Abandoned</th>
              <th scope="col" className="num">ASA</th>
            </tr>
          </thead>
          <tbody>
            {snap.queues.map((q) => (
              <tr key={q.name} data-queue={q.name} className={q.waiting && !q.available ? "warn" : ""}>
                <th scope="row">{words(q.name)}</th>
                <td className="num" data-col="waiting">{q.waiting}</td>
                <td className="num">{q.waiting ? duration(q.longest_wait_s + (now - snap.now)) : "–"}</td>
                <td className="num">{q.callbacks}</td>
                <td className="num">{q.staffed}</td>
                <td className="num">{q.available}</td>
                <td className="num" data-col="service-level">{percent(q.today.service_level)}</td>
                <td className="num" data-col="answered">{q.today.answered}</td>
                <td className="num" data-col="abandoned">{q.today.abandoned}</td>
                <td className="num">{duration(q.today.asa_s)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section aria-labelledby="agents-title" className="card">
        <h2 id="agents-title">Agents</h2>
        <ul className="by-state" aria-label="Agents by state">
          {STATE_ORDER.map((s) => (
            <li key={s}>
              <span className={`state state-${s}`}>{STATE_LABELS[s]}</span> {snap.by_state[s] ?? 0}
            </li>
          ))}
        </ul>
        <table className="grid" aria-labelledby="agents-title">
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">State</th>
              <th scope="col" className="num">For</th>
              <th scope="col">Call</th>
              <th scope="col">Desktop</th>
              <th scope="col">Change state</th>
            </tr>
          </thead>
          <tbody>
            {snap.agents.map((a) => (
              <tr key={a.id} data-agent={a.id}>
                <th scope="row">
                  {a.name} <span className="muted">{a.id}</span>
                </th>
                <td>
                  <span className={`state state-${a.state}`} data-col="state">
                    {STATE_LABELS[a.state]}
                  </span>
                  {a.reason && <span className="reason">{a.reason}</span>}
                </td>
                <td className="num">{a.since && a.state !== "logged_out" ? duration(now - a.since) : "–"}</td>
                <td>{a.queue ? words(a.queue) : <span className="muted">–</span>}</td>
                <td>{a.connected ? "Open" : <span className="muted">Closed</span>}</td>
                <td>
                  <ChangeState agent={a} onChange={setState} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

function Tile({ label, value, id }: { label: string; value: string; id: string }) {
  return (
    <div className="tile">
      <dt id={id}>{label}</dt>
      <dd aria-labelledby={id}>{value}</dd>
    </div>
  );
}

function ChangeState({ agent, onChange }: { agent: AgentRow; onChange: (a: AgentRow, s: string, r: string) => void }) {
  const [state, setState] = useState("not_ready");
  const [reason, setReason] = useState("Meeting");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChange(agent, state, state === "not_ready" ? reason : "");
  };
  if (agent.state === "logged_out") return <span className="muted">–</span>;
  return (
    <form className="inline" onSubmit={submit}>
      <label className="sr-only" htmlFor={`state-${agent.id}`}>
        New state for {agent.name}
      </label>
      <select id={`state-${agent.id}`} value={state} onChange={(e) => setState(e.target.value)}>
        <option value="available">Available</option>
        <option value="not_ready">Not ready</option>
        <option value="logged_out">Logged out</option>
      </select>
      {state === "not_ready" && (
        <>
          <label className="sr-only" htmlFor={`reason-${agent.id}`}>
            Reason for {agent.name}
          </label>
          <input
            id={`reason-${agent.id}`}
            className="short"
            value={reason}
            maxLength={60}
            onChange={(e) => setReason(e.target.value)}
          />
        </>
      )}
      <button type="submit">Apply</button>
    </form>
  );
}

export function SupervisorApp({ user, onSignedOut }: { user: User; onSignedOut: () => void }) {
  useEffect(() => {
    document.title = `Supervisor · voxflow`;
  }, []);
  if (user.role !== "supervisor") {
    return (
      <main className="sign-in">
        <div className="card sign-in-card">
          <h1>This page is for supervisors</h1>
          <p>
            You are signed in as an agent. Open the <a href="/desktop.html">agent desktop</a>.
          </p>
        </div>
      </main>
    );
  }
  return <Supervisor user={user} onSignedOut={onSignedOut} />;
}
