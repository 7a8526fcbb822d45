import type { ReactNode } from "react";
import type { User } from "./api";
import type { Link } from "./socket";

const LINK_TEXT: Record<Link, string> = {
  connecting: "Connecting…",
  open: "Connected",
  reconnecting: "Connection lost — reconnecting…",
};

export function Header({
  title,
  user,
  link,
  onSignOut,
  children,
}: {
  title: string;
  user: User;
  link: Link;
  onSignOut: () => void;
  children?: ReactNode;
}) {
  return (
    <header className="top">
      <p className="brand">voxflow</p>
      <h1>{title}</h1>
      {children}
      <p className={`link link-${link}`} role="status">
        {LINK_TEXT[link]}
      </p>
      <p className="who">
        {user.name} <span className="muted">({user.role})</span>
      </p>
      <button type="button" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}
