import { useEffect, useState, type ReactNode } from "react";
import { me, type User } from "./api";
import { SignIn } from "./SignIn";

/** Shows the sign-in form until someone is signed in, then the page. */
export function Gate({ title, children }: { title: string; children: (user: User, signedOut: () => void) => ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [problem, setProblem] = useState("");
  useEffect(() => {
    me()
      .then(setUser)
      .catch((err: Error) => {
        setProblem(err.message);
        setUser(null);
      });
  }, []);
  if (user === undefined) return <p className="loading">Loading…</p>;
  if (user === null) {
    return (
      <>
        {problem && (
          <p className="error banner" role="alert">
            {problem}
          </p>
        )}
        <SignIn title={title} onSignedIn={setUser} />
      </>
    );
  }
  return <>{children(user, () => setUser(null))}</>;
}
