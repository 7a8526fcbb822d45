import { useEffect, useRef, useState } from "react";
import { me } from "./api";
import { syncClock } from "./clock";

export type Link = "connecting" | "open" | "reconnecting";

/**
 * The screen's WebSocket (`/api/ws`): pushes in, reconnecting with a growing pause when it
 * drops. When the server says the session is over (or it has expired), `onSignedOut` runs.
 */
export function useSocket<M extends { type: string; now?: number }>(
  onMessage: (message: M) => void,
  onSignedOut: () => void,
): Link {
  const [link, setLink] = useState<Link>("connecting");
  const handlers = useRef({ onMessage, onSignedOut });
  handlers.current = { onMessage, onSignedOut };

  useEffect(() => {
    let socket: WebSocket | null = null;
    let retry = 0;
    let timer = 0;
    let stopped = false;

    const connect = () => {
      const scheme = window.location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${window.location.host}/api/ws`);
      socket.onopen = () => {
        retry = 0;
        setLink("open");
      };
      socket.onmessage = (event) => {
        const message = JSON.parse(String(event.data)) as M;
        syncClock(message.now);
        handlers.current.onMessage(message);
      };
      socket.onclose = async (event) => {
        if (stopped) return;
        if (event.code === 4001) {
          handlers.current.onSignedOut();
          return;
        }
        setLink("reconnecting");
        const user = await me().catch(() => undefined);
        if (stopped) return;
        if (user === null) {
          handlers.current.onSignedOut();
          return;
        }
        retry = Math.min(retry + 1, 5);
        timer = window.setTimeout(connect, 500 * 2 ** retry);
      };
    };
    connect();
    const ping = window.setInterval(() => {
      if (socket?.readyState === WebSocket.OPEN) socket.send("ping");
    }, 25_000);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      window.clearInterval(ping);
      socket?.close();
    };
  }, []);
  return link;
}
