import { useRef, useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { Link, useLocation, useNavigate } from "react-router";
import { auth } from "../../../api/endpoints";
import { LAST_PROJECT_KEY } from "../projects/ProjectSwitcher";
import { useTitle } from "../../../lib/title";
import { identityQueries } from "../queries";
import { acceptProblem, type AcceptProblem } from "./acceptErrors";
import { useMe } from "../useMe";

/** The token of an invitation link, `/invite#token=pyi_…` (the fragment never reaches
 * the server, so the token is in no access log). */
export function tokenFromHash(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, "")).get("token");
  return token?.trim() || null;
}

/** Public page: accept an invitation with a new password (a new account) or the
 * current password of the invited email's account, then land in the app signed in. */
export default function AcceptInvitationPage() {
  useTitle("Accept an invitation");
  const location = useLocation();
  const fromLink = tokenFromHash(location.hash);
  const [typedToken, setTypedToken] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<AcceptProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const passwordInput = useRef<HTMLInputElement>(null);
  const tokenInput = useRef<HTMLInputElement>(null);
  const navigate = useNavigate();
  const client = useQueryClient();
  const me = useMe();
  const token = fromLink ?? typedToken.trim();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      await auth.acceptInvitation({ token, password, name: name.trim() || undefined });
      // Signed in now, maybe in another workspace than before: start afresh.
      client.clear();
      localStorage.setItem(LAST_PROJECT_KEY, "default");
      await client.fetchQuery({ ...identityQueries.me(), staleTime: 0 });
      navigate("/", { replace: true });
    } catch (err) {
      const found = acceptProblem(err);
      setProblem(found);
      setBusy(false);
      const fix = found.field === "password" ? passwordInput.current : found.field === "token" ? tokenInput.current : null;
      fix?.focus();
      fix?.select();
    }
  }

  return (
    <main className="signin" id="main">
      <form className="panel signin-card" onSubmit={submit} aria-labelledby="invite-title">
        <p className="brand-mark" aria-hidden="true">
          Promptyard
        </p>
        <h1 id="invite-title">Join a workspace</h1>
        <p>
          You were invited to a Promptyard workspace. Choose a password to create your account,
          or sign in with the account you already have.
        </p>
        {me.data && (
          <div className="notice warn" role="note">
            <span>
              This browser is signed in as <strong>{me.data.actor.name}</strong>. Accepting
              signs it in as the invited account instead.
            </span>
          </div>
        )}
        {fromLink ? null : (
          <>
            <label className="field">
              <span>Invitation token</span>
              <input
                ref={tokenInput}
                className="secret"
                autoComplete="off"
                required
                value={typedToken}
                onChange={(e) => setTypedToken(e.target.value)}
                aria-describedby="invite-token-hint"
              />
            </label>
            <p id="invite-token-hint" className="hint">
              Open the link you were sent, or paste its token (<code>pyi_…</code>).
            </p>
          </>
        )}
        <label className="field">
          <span>Your name (optional)</span>
          <input
            autoComplete="name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-describedby="invite-name-hint"
          />
        </label>
        <p id="invite-name-hint" className="hint">
          Used for a new account only.
        </p>
        <label className="field">
          <span>Password</span>
          <input
            ref={passwordInput}
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby="invite-password-hint"
            aria-invalid={problem?.field === "password" || undefined}
          />
        </label>
        <p id="invite-password-hint" className="hint">
          If you already have an account, enter its current password. Otherwise choose a new
          one of at least 10 characters.
        </p>
        {problem && (
          <div className="notice error" role="alert">
            <strong>{problem.title}</strong>
            <span> {problem.text}</span>
            {problem.signIn && <Link to="/signin">Sign in</Link>}
          </div>
        )}
        <button type="submit" className="btn primary block" disabled={busy}>
          {busy ? "Joining…" : "Accept the invitation"}
        </button>
        <p className="hint">
          Already a member? <Link to="/signin">Sign in</Link>.
        </p>
      </form>
    </main>
  );
}
