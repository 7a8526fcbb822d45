import { useEffect, useRef } from "react";
import type { Field, ScreenPop } from "../shared/api";
import { dateTime, duration, OUTCOMES, percent, words } from "../shared/format";

function value(field: Field) {
  if (field.masked) {
    return (
      <span className="masked">
        <span aria-hidden="true">••••••</span> <span className="muted">hidden: your role may not see it</span>
      </span>
    );
  }
  if (field.value === null || field.value === undefined || field.value === "") return <span className="muted">–</span>;
  return typeof field.value === "object" ? <code>{JSON.stringify(field.value)}</code> : String(field.value);
}

function Fields({ fields, label }: { fields: Field[]; label: string }) {
  if (!fields.length) return <p className="muted">None.</p>;
  return (
    <table className="fields" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Type</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {fields.map((f) => (
          <tr key={f.name} data-field={f.name}>
            <th scope="row">
              {words(f.name)}
              {f.sensitive && <span className="tag tag-sensitive">sensitive</span>}
            </th>
            <td className="type">{f.type}</td>
            <td>{value(f)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ScreenPopView({ screen, waited }: { screen: ScreenPop; waited: number }) {
  const { caller } = screen;
  const transcript = useRef<HTMLOListElement>(null);
  useEffect(() => {
    // The last turns are what the agent needs first: show the end of the conversation.
    const list = transcript.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [screen.call_id]);
  return (
    <div className="pop" aria-label="Caller details" role="region">
      <div className="pop-main">
        <section className="card" aria-labelledby="pop-caller">
          <h2 id="pop-caller">Caller</h2>
          <p className="caller-name">
            {caller.name || "Name not known"}
            {caller.vip && <span className="tag tag-vip">VIP</span>}
            {caller.tier && <span className="tag">{words(caller.tier)}</span>}
          </p>
          <dl className="facts">
            <dt>Number</dt>
            <dd>{caller.number || <span className="muted">withheld</span>}</dd>
            {caller.callback_number && caller.callback_number !== caller.number && (
              <>
                <dt>Callback number</dt>
                <dd>{caller.callback_number}</dd>
              </>
            )}
          </dl>
        </section>

        <section className="card" aria-labelledby="pop-call">
          <h2 id="pop-call">Why they called</h2>
          <dl className="facts">
            <dt>Queue</dt>
            <dd>{words(screen.queue)}</dd>
            <dt>Reason</dt>
            <dd data-testid="reason">{screen.reason || <span className="muted">–</span>}</dd>
            <dt>Priority</dt>
            <dd>
              {words(String(screen.priority))} <span className="muted">({screen.priority_level} of 10)</span>
            </dd>
            <dt>Intent</dt>
            <dd>
              {screen.intent ? (
                <>
                  {words(screen.intent.name)}{" "}
                  <span className="muted">({percent(screen.intent.confidence)} confident)</span>
                </>
              ) : (
                <span className="muted">none recognised</span>
              )}
            </dd>
            <dt>Waited</dt>
            <dd data-testid="waited">{duration(waited)}</dd>
          </dl>
          {screen.summary && (
            <>
              <h3>Summary</h3>
              <p className="summary">{screen.summary}</p>
            </>
          )}
        </section>

        <section className="card" aria-labelledby="pop-context">
          <h2 id="pop-context">Details from the bot</h2>
          <Fields fields={screen.context} label="Handoff details" />
          {screen.slots.length > 0 && (
            <details>
              <summary>Everything the bot collected ({screen.slots.length})</summary>
              <Fields fields={screen.slots} label="Collected answers" />
            </details>
          )}
        </section>

        <section className="card" aria-labelledby="pop-previous">
          <h2 id="pop-previous">Previous calls</h2>
          {screen.previous_calls.length === 0 ? (
            <p className="muted">No earlier calls from this number.</p>
          ) : (
            <ul className="previous">
              {screen.previous_calls.map((p) => (
                <li key={p.call_id}>
                  <p>
                    <strong>{dateTime(p.queued_at)}</strong> · {words(p.queue)} · {p.reason || "no reason given"}
                  </p>
                  <p className="muted">
                    {OUTCOMES[p.outcome ?? ""] ?? (p.outcome ? words(p.outcome) : "Still open")}
                    {p.agent && ` · with ${p.agent}`}
                    {p.disposition && ` · ${words(p.disposition)}`}
                  </p>
                  {p.notes && <p className="notes">“{p.notes}”</p>}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <div className="pop-side">
        <section className="card" aria-labelledby="pop-transcript">
          <h2 id="pop-transcript">Conversation with the bot</h2>
          {screen.transcript.length === 0 ? (
            <p className="muted">No conversation recorded.</p>
          ) : (
            <ol className="transcript" ref={transcript} tabIndex={0} aria-label="Transcript, oldest first">
              {screen.transcript.map((t, i) => (
                <li key={i} className={`turn turn-${t.who === "caller" ? "caller" : "bot"}`}>
                  <p className="turn-head">
                    <span className="who">{t.who === "caller" ? "Caller" : "Bot"}</span>
                    {t.step && (
                      <span className="step" title="Flow step">
                        {t.step}
                      </span>
                    )}
                  </p>
                  <p className="turn-text">{t.text}</p>
                </li>
              ))}
            </ol>
          )}
        </section>

        <section className="card" aria-labelledby="pop-knowledge">
          <h2 id="pop-knowledge">Help articles the bot used</h2>
          {screen.consulted.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul className="consulted">
              {screen.consulted.map((c, i) => (
                <li key={i}>
                  <strong>{c.source || "article"}</strong>{" "}
                  <span className="muted">({percent(c.confidence)} match)</span>
                  <br />
                  <span>asked: “{c.question}”</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </div>
  );
}
