import { useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate, useSearchParams } from "react-router";
import { auth } from "../../../api/endpoints";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { useTitle } from "../../../lib/title";
import { identityQueries } from "../queries";

type Mode = "password" | "key";

export default function SignInPage() {
  useTitle("Sign in");
  const [mode, setMode] = useState<Mode>("password");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [apiKey, setApiKey] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const client = useQueryClient();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await auth.login(mode === "password" ? { email, password } : { api_key: apiKey });
      client.clear();
      await client.fetchQuery({ ...identityQueries.me(), staleTime: 0 });
      const next = params.get("next");
      navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", {
        replace: true,
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin" id="main">
      <form className="panel signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <p className="brand-mark" aria-hidden="true">
          Promptyard
        </p>
        <h1 id="signin-title">Sign in to Promptyard</h1>
        <fieldset className="segmented">
          <legend className="sr-only">Sign in with</legend>
          <label className={mode === "password" ? "active" : ""}>
            <input
              type="radio"
              name="mode"
              value="password"
              checked={mode === "password"}
              onChange={() => setMode("password")}
            />
            Email and password
          </label>
          <label className={mode === "key" ? "active" : ""}>
            <input
              type="radio"
              name="mode"
              value="key"
              checked={mode === "key"}
              onChange={() => setMode("key")}
            />
            API key
          </label>
        </fieldset>
        {mode === "password" ? (
          <>
            <label className="field">
              <span>Email</span>
              <input
                type="email"
                autoComplete="username"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
            </label>
            <label className="field">
              <span>Password</span>
              <input
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
          </>
        ) : (
          <label className="field">
            <span>API key</span>
            <input
              type="password"
              autoComplete="off"
              required
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
            />
          </label>
        )}
        {error ? <ErrorMessage error={error} title="Could not sign in." /> : null}
        <button type="submit" className="btn primary block" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="hint">
          The first administrator comes from <code>PROMPTYARD_INIT_ADMIN_EMAIL</code> and{" "}
          <code>PROMPTYARD_INIT_ADMIN_PASSWORD</code>; an API key from{" "}
          <code>PROMPTYARD_INIT_API_KEY</code>.
        </p>
      </form>
    </main>
  );
}
