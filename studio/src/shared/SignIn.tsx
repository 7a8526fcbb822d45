import { useState, type FormEvent } from "react";
import { ApiError, signIn, type User } from "./api";

export function SignIn({ title, onSignedIn }: { title: string; onSignedIn: (user: User) => void }) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      const { user } = await signIn(name, password);
      setPassword("");
      onSignedIn(user);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Signing in failed. Try again.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form className="card sign-in-card" onSubmit={submit} aria-labelledby="sign-in-title">
        <p className="brand">voxflow</p>
        <h1 id="sign-in-title">{title}</h1>
        <label htmlFor="user">User name</label>
        <input
          id="user"
          name="user"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
