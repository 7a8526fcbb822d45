import type { AgentState } from "./api";

export const STATE_LABELS: Record<AgentState, string> = {
  logged_out: "Logged out",
  available: "Available",
  not_ready: "Not ready",
  offered: "Call offered",
  on_call: "On call",
  wrap_up: "Wrap-up",
};

/** 75 -> "1:15", 3725 -> "1:02:05"; negative as 0. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`;
}

export function clock(epochSeconds: number | null | undefined): string {
  if (!epochSeconds) return "–";
  return new Date(epochSeconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function dateTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toLocaleString([], {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** "caller_hung_up" -> "Caller hung up" */
export function words(code: string): string {
  const text = code.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const OFFER_ENDED: Record<string, string> = {
  no_answer: "The offer timed out and went to the next agent.",
  declined: "You declined the call.",
  caller_hung_up: "The caller hung up before you answered.",
  agent_not_ready: "The offer was withdrawn because you went not ready.",
  agent_logged_out: "The offer was withdrawn because you logged out.",
  agent_disconnected: "The offer was withdrawn because your desktop disconnected.",
  callback_accepted: "The caller chose a callback instead of waiting.",
  voicemail_chosen: "The caller chose to leave a voicemail.",
  customer_no_answer: "The customer did not answer the callback.",
};

export const OUTCOMES: Record<string, string> = {
  answered: "Answered",
  abandoned: "Hung up while waiting",
  voicemail: "Voicemail",
  disconnected: "Disconnected after the maximum wait",
  callback_requested: "Callback requested",
  bridge_failed: "Not put through to the agent's phone; waited again",
};
