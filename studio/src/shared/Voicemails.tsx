import { useCallback, useEffect, useState } from "react";
import { api, ApiError, type Voicemail } from "./api";
import { dateTime, duration, words } from "./format";

/**
 * Voicemails callers left while waiting: the signed-in user's queues (a supervisor's, all).
 * `version` changes when the server says the list changed (a `voicemails` push), and the list
 * is fetched again. Recordings play from the server by id, with the session cookie.
 */
export function Voicemails({
  version,
  onError,
  onSignedOut,
}: {
  version: number;
  onError: (text: string) => void;
  onSignedOut: () => void;
}) {
  const [items, setItems] = useState<Voicemail[] | null>(null);

  const failed = useCallback(
    (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) onSignedOut();
      onError(err instanceof Error ? err.message : String(err));
    },
    [onError, onSignedOut],
  );

  useEffect(() => {
    let live = true;
    api<{ voicemails: Voicemail[] }>("/api/voicemails")
      .then((data) => live && setItems(data.voicemails))
      .catch(failed);
    return () => {
      live = false;
    };
  }, [version, failed]);

  const mark = async (item: Voicemail, handled: boolean) => {
    try {
      const { voicemail } = await api<{ voicemail: Voicemail }>(`/api/voicemails/${item.id}/handled`, { handled });
      setItems((list) => list && list.map((v) => (v.id === voicemail.id ? voicemail : v)));
    } catch (err) {
      failed(err);
    }
  };

  if (!items || !items.length) return null;
  const open = items.filter((v) => v.handled_at === null).length;
  return (
    <section className="card voicemails" aria-labelledby="voicemails-title">
      <h2 id="voicemails-title">
        Voicemails <span className="muted">({open} open)</span>
      </h2>
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">Left</th>
            <th scope="col">Queue</th>
            <th scope="col">Caller</th>
            <th scope="col">Reason</th>
            <th scope="col" className="num">Length</th>
            <th scope="col">Message</th>
            <th scope="col">Handled</th>
          </tr>
        </thead>
        <tbody>
          {items.map((v) => (
            <tr key={v.id} data-voicemail={v.id} className={v.handled_at === null ? "open" : "handled"}>
              <td>{dateTime(v.left_at)}</td>
              <td>{words(v.queue)}</td>
              <th scope="row">
                {v.caller.name || v.caller.number || "Unknown caller"}
                {v.caller.name && v.caller.number && <span className="muted"> {v.caller.number}</span>}
              </th>
              <td>
                {v.reason}
                {v.summary && <p className="muted">{v.summary}</p>}
              </td>
              <td className="num">{duration(v.duration_s)}</td>
              <td>
                <audio controls preload="none" src={v.audio} aria-label={`Voicemail from ${v.caller.name || v.caller.number || "a caller"}`} />
              </td>
              <td>
                {v.handled_at === null ? (
                  <button type="button" onClick={() => mark(v, true)}>
                    Mark handled
                  </button>
                ) : (
                  <span className="handled-by">
                    {v.handled_by?.name ?? "Someone"}, {dateTime(v.handled_at)}{" "}
                    <button type="button" className="link-button" onClick={() => mark(v, false)}>
                      Reopen
                    </button>
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
