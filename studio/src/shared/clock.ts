import { useEffect, useState } from "react";

// The server's clock, as seen from this browser: every pushed message carries the server's
// `now`, and times on screen (waited, time in state, countdowns) are counted from it.
let offsetMs = 0;

export function syncClock(serverNow: number | undefined): void {
  if (typeof serverNow === "number") offsetMs = serverNow * 1000 - Date.now();
}

export function serverNow(): number {
  return (Date.now() + offsetMs) / 1000;
}

/** The server's time, re-rendering every `everyMs`. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    const id = window.setInterval(() => setNow(serverNow()), everyMs);
    return () => window.clearInterval(id);
  }, [everyMs]);
  return now;
}
