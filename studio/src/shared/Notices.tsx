import { useCallback, useState } from "react";

export interface Notice {
  id: number;
  level: "info" | "error";
  text: string;
}

let seq = 0;

/** Messages for the person, newest last; each can be dismissed. */
export function useNotices() {
  const [notices, setNotices] = useState<Notice[]>([]);
  const add = useCallback((level: Notice["level"], text: string) => {
    const id = ++seq;
    setNotices((list) => [...list.slice(-3), { id, level, text }]);
    if (level === "info") {
      window.setTimeout(() => setNotices((list) => list.filter((n) => n.id !== id)), 8000);
    }
  }, []);
  const dismiss = useCallback((id: number) => setNotices((list) => list.filter((n) => n.id !== id)), []);
  return { notices, add, dismiss };
}

export function Notices({ notices, dismiss }: { notices: Notice[]; dismiss: (id: number) => void }) {
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.level}`} role={n.level === "error" ? "alert" : "status"}>
          <span>{n.text}</span>
          <button type="button" className="quiet" onClick={() => dismiss(n.id)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
