// The JSON API of `agents/web.py`, and the messages its WebSocket pushes.

export type Role = "agent" | "senior" | "supervisor";
export type AgentState = "logged_out" | "available" | "not_ready" | "offered" | "on_call" | "wrap_up";

export interface User {
  id: string;
  name: string;
  role: Role;
}

export interface Field {
  name: string;
  type: string;
  sensitive: boolean;
  masked: boolean;
  value: unknown;
}

export interface Turn {
  who: string;
  text: string;
  step: string;
  at: number | null;
}

export interface PreviousCall {
  call_id: string;
  queue: string;
  reason: string;
  queued_at: number;
  outcome: string | null;
  ended_at: number | null;
  agent: string | null;
  disposition: string;
  notes: string;
}

export interface ScreenPop {
  call_id: string;
  handoff_id: string;
  queue: string;
  reason: string;
  priority: string;
  priority_level: number;
  caller: { number: string; name: string; tier: string; vip: boolean; callback_number: string };
  intent: { name: string; confidence: number | null } | null;
  context: Field[];
  slots: Field[];
  summary: string;
  transcript: Turn[];
  consulted: { question: string; source: string; confidence: number | null }[];
  queued_at: number;
  waited_s: number;
  previous_calls: PreviousCall[];
  revealed: boolean;
}

export interface OfferInfo {
  offer_id: string;
  call_id: string;
  queue: string;
  kind: "call" | "callback";
  offered_at: number;
  expires_at: number;
}

export interface CallInfo {
  call_id: string;
  queue: string;
  since: number;
  offer_id: string;
}

/** A voicemail a waiting caller left (`GET /api/voicemails`); `audio` plays it (signed in). */
export interface Voicemail {
  id: number;
  call_id: string;
  queue: string;
  left_at: number;
  duration_s: number;
  caller: { number: string; name: string };
  reason: string;
  summary: string;
  handled_at: number | null;
  handled_by: { id: string; name: string } | null;
  audio: string;
}

export interface Kpis {
  waits_ended: number;
  answered: number;
  answered_within: number;
  abandoned: number;
  max_wait_reached: number;
  chose_callback: number;
  handled: number;
  service_level: number | null;
  asa_s: number | null;
  abandonment_rate: number | null;
  aht_s: number | null;
  callbacks_kept: number;
  callbacks_failed: number;
  callbacks_kept_rate: number | null;
}

export interface QueueRow {
  name: string;
  waiting: number;
  callbacks: number;
  longest_wait_s: number;
  staffed: number;
  available: number;
  today: Kpis;
}

export interface AgentRow {
  id: string;
  name: string;
  role: Role;
  state: AgentState;
  reason: string;
  since: number | null;
  connected: boolean;
  call_id: string | null;
  queue: string | null;
}

export interface Snapshot {
  type: "snapshot";
  now: number;
  threshold_s: number;
  day: { start: number; end: number; timezone: string };
  queues: QueueRow[];
  agents: AgentRow[];
  by_state: Record<AgentState, number>;
  today: Kpis;
}

export interface Hello {
  type: "hello";
  now: number;
  user: User;
  state: AgentState;
  reason: string;
  since: number;
  offer: OfferInfo | null;
  call: CallInfo | null;
  screen: ScreenPop | null;
  wrap_until: number | null;
  reveal: boolean;
  dispositions: { code: string; label: string }[];
  not_ready_reasons: string[];
}

export type DesktopMessage =
  | Hello
  | { type: "state"; state: AgentState; reason: string; since: number }
  | { type: "offer"; now: number; offer: OfferInfo; screen: ScreenPop | null }
  | { type: "offer_ended"; offer_id: string; reason: string }
  | { type: "connected"; call: CallInfo; now: number }
  | { type: "call_ended"; call_id: string }
  | { type: "call_failed"; call_id: string; reason: string; text: string }
  | { type: "voicemails"; queue: string }
  | { type: "wrap_up"; call_id: string; until: number; now: number }
  | { type: "wrap_up_ended"; call_id: string; timed_out: boolean }
  | { type: "notice"; level: "info" | "error"; text: string }
  | { type: "pong" };

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** GET when `body` is undefined, else POST it as JSON. Errors carry the server's message. */
export async function api<T>(path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError("The server cannot be reached. Check your connection.", 0);
  }
  const data = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) {
    throw new ApiError(data.error ?? `The server answered ${response.status}.`, response.status);
  }
  return data as T;
}

export function signIn(user: string, password: string): Promise<{ user: User }> {
  return api("/api/sign-in", { user, password });
}

export function signOut(): Promise<unknown> {
  return api("/api/sign-out", {});
}

/** The signed-in user, or null when signed out. */
export async function me(): Promise<User | null> {
  return (await api<{ user: User | null }>("/api/me")).user;
}
